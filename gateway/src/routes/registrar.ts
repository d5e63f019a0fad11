import { identityId, type IdentityRecord, type ResolveResult } from '@medrec/chaincode/domain';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { externalIdHash } from '../auth/external-id.js';
import { hashPassword } from '../auth/passwords.js';
import { conflict } from '../http/problem.js';
import { evaluateJson, submitJson } from './chaincode.js';
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
      preHandler: app.requireRole('registrar'),
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
            txId: Type.String(),
          }),
          ...problems(400, 401, 403, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const { username, password, role, externalIdKind, externalId } = request.body;
      if (ctx.accounts.exists(username)) throw conflict('USERNAME_TAKEN', 'that username is taken');
      const signer = await app.signerFor(request);
      const registrar = { ...signer, enrollmentId: request.user.enrollmentId };
      const { secret } = await ctx.identity.register(registrar, {
        enrollmentId: username,
        role,
        attrs: { hospital: ctx.hospital.name },
      });
      const credentials = await ctx.identity.enroll(username, secret);
      const idHash = externalIdHash(ctx.consortiumKey, externalIdKind, externalId);
      let registered: { value: IdentityRecord; txId: string };
      try {
        registered = await submitJson<IdentityRecord>(ctx.ledger, signer, 'Registrar', 'register', [
          idHash,
          username,
          role,
        ]);
      } catch (err) {
        // The certificate must not outlive a failed registration: it would be an identity with no ledger record.
        await ctx.identity.revoke(registrar, username, 'ledger registration failed').catch(() => undefined);
        throw err;
      }
      ctx.accounts.insert({
        username,
        passwordHash: await hashPassword(password),
        role,
        enrollmentId: credentials.enrollmentId,
        participantId: registered.value.participantId,
        identityId: registered.value.identityId ?? identityId(ctx.hospital.mspId, credentials.enrollmentId),
        certificate: credentials.certificate,
        sealedKey: await ctx.sealer.seal(credentials.privateKey, password),
        createdAt: new Date().toISOString(),
      });
      reply.code(201);
      return {
        username,
        role,
        enrollmentId: credentials.enrollmentId,
        participantId: registered.value.participantId,
        identityId: registered.value.identityId,
        txId: registered.txId,
      };
    },
  );

  app.post(
    '/registrar/resolve',
    {
      preHandler: app.requireRole('registrar', 'provider', 'auditor'),
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
