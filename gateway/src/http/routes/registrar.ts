import type { ResolveResult } from '@medrec/chaincode/domain';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { externalIdHash } from '../auth/external-id.js';
import { enrollUser } from '../auth/enroll.js';
import { conflict } from '../http/problem.js';
import { evaluateJson } from './chaincode.js';
import type { RouteContext } from './context.js';
import {
  EnrollableRole,
  ExternalId,
  ExternalIdKind,
  ParticipantId,
  Password,
  SECURED,
  Username,
  problems,
} from './schemas.js';

const ExternalRef = { externalIdKind: ExternalIdKind, externalId: ExternalId };

export const registrarRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  app.post(
    '/registrar/users',
    {
      onRequest: app.requireRole('registrar'),
      schema: {
        tags: ['registrar'],
        summary: 'Enroll a person at this hospital (CA certificate + ledger identity + gateway account)',
        description:
          'The external id is never stored: the ledger gets its keyed hash, the gateway nothing. ' +
          'The new private key is sealed under the new password.',
        security: SECURED,
        body: Type.Object(
          { username: Username, password: Password, role: EnrollableRole, ...ExternalRef },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            username: Type.String(),
            role: Type.String(),
            enrollmentId: Type.String(),
            participantId: ParticipantId,
            identityId: Type.String(),
            txId: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problems(400, 401, 403, 409, 503),
        },
      },
    },
    async (request, reply) => {
      if (ctx.accounts.exists(request.body.username)) throw conflict('USERNAME_TAKEN', 'that username is taken');
      const registrar = { ...(await app.signerFor(request)), enrollmentId: request.user.enrollmentId };
      const enrolled = await enrollUser(
        {
          mspId: ctx.hospital.mspId,
          identity: ctx.identity,
          ledger: ctx.ledger,
          accounts: ctx.accounts,
          sealer: ctx.sealer,
          consortiumKey: ctx.consortiumKey,
        },
        { ca: registrar, ledger: registrar },
        request.body,
      );
      reply.code(201);
      // Never the credentials: the key stays sealed in gateway.db.
      const { credentials: _credentials, ...answer } = enrolled;
      return answer;
    },
  );

  app.post(
    '/registrar/resolve',
    {
      onRequest: app.requireRole('registrar', 'provider', 'auditor'),
      schema: {
        tags: ['registrar'],
        summary: "Find a person's participant id from their external id (sent in the body, never in a URL)",
        security: SECURED,
        body: Type.Object(ExternalRef, { additionalProperties: false }),
        response: {
          200: Type.Object({
            participantId: ParticipantId,
            role: Type.String(),
            mspId: Type.String(),
            status: Type.String(),
          }),
          ...problems(400, 401, 403, 404, 503),
        },
      },
    },
    async (request) => {
      const { externalIdKind, externalId } = request.body;
      return evaluateJson<ResolveResult>(ctx.ledger, await app.signerFor(request), 'Registrar', 'resolve', [
        externalIdHash(ctx.consortiumKey, externalIdKind, externalId),
      ]);
    },
  );
};
