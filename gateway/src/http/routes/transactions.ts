import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HospitalRuntime } from '../runtime.js';
import { SECURED, problems } from '../schemas.js';

/** Where a client learns the final status of a change answered 503 OUTCOME_UNKNOWN (its statusUrl). */
export const transactionRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { ledger }) => {
  app.get(
    '/transactions/:txId',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['transactions'],
        summary: "A transaction's final status on this hospital's peers",
        description:
          'committed: it changed the ledger (a retry with the same Idempotency-Key answers its result); invalid: it ' +
          'changed nothing (validationCode says why; it may be sent again); unknown: not on the ledger (yet) — ask ' +
          'again later, or retry with the same Idempotency-Key, which the ledger keeps from applying twice.',
        security: SECURED,
        params: Type.Object({ txId: Type.String({ pattern: '^[0-9a-f]{64}$' }) }),
        response: {
          200: Type.Object({
            txId: Type.String(),
            status: Type.Union([Type.Literal('committed'), Type.Literal('invalid'), Type.Literal('unknown')]),
            blockNumber: Type.Optional(Type.String()),
            validationCode: Type.Optional(Type.String()),
          }),
          ...problems(400, 401, 503),
        },
      },
    },
    async (request) => {
      const { txId } = request.params;
      const info = await ledger.getTransaction(txId);
      if (!info) return { txId, status: 'unknown' as const };
      return {
        txId,
        status: info.validationCode === 'VALID' ? ('committed' as const) : ('invalid' as const),
        blockNumber: info.blockNumber.toString(),
        validationCode: info.validationCode,
      };
    },
  );
};
