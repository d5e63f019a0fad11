import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Summary } from '../../contract/medrec.js';
import type { HospitalRuntime } from '../runtime.js';
import { Notification, SECURED, SummaryEntry, problems } from '../schemas.js';

export const meRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { client, notifications }) => {
  app.get(
    '/me/summary',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['me'],
        summary: 'Every relationship you are part of, with its status (the papers\' Summary contract)',
        security: SECURED,
        response: { 200: Type.Object({ entries: Type.Array(SummaryEntry) }), ...problems(401, 403, 503) },
      },
    },
    async (request) => ({
      entries: await client.evaluate(await app.signerFor(request), Summary.mine()),
    }),
  );

  app.get(
    '/me/notifications',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['me'],
        summary: 'Your notifications after a block (exclusive), oldest first',
        security: SECURED,
        querystring: Type.Object(
          {
            after: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,15})$', description: 'block number' })),
            limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$', description: '1 to 500' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ notifications: Type.Array(Notification) }), ...problems(400, 401) },
      },
    },
    async (request) => ({
      notifications: notifications.list(
        request.user.participantId,
        BigInt(request.query.after ?? '0'),
        Number(request.query.limit ?? 100),
      ),
    }),
  );
};
