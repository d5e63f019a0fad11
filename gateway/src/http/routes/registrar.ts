import { rolesFor } from '@medrec/chaincode/domain';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Registrar } from '../../contract/medrec.js';
import { externalIdHash } from '../../services/enrolment/external-id.js';
import type { HospitalRuntime } from '../runtime.js';
import {
  EnrollableRole,
  ExternalId,
  ExternalIdKind,
  ParticipantId,
  Password,
  SECURED,
  Username,
  problems,
} from '../schemas.js';

const ExternalRef = { externalIdKind: ExternalIdKind, externalId: ExternalId };

export const registrarRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { enrolment, client, settings }) => {
  app.post(
    '/registrar/users',
    {
      onRequest: app.requireRole(...rolesFor('Registrar.register')!),
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
      const registrar = { ...(await app.signerFor(request)), enrollmentId: request.user.enrollmentId };
      return reply.code(201).send(await enrolment.enrolByRegistrar(registrar, request.body));
    },
  );

  app.post(
    '/registrar/resolve',
    {
      onRequest: app.requireRole(...rolesFor('Registrar.resolve')!),
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
      const hash = externalIdHash(settings.consortiumKey, externalIdKind, externalId);
      return client.evaluate(await app.signerFor(request), Registrar.resolve(hash));
    },
  );
};
