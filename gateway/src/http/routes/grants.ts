import { rolesFor } from '@medrec/chaincode/domain';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { relationshipsFor } from '../requester.js';
import type { HospitalRuntime } from '../runtime.js';
import {
  Grant,
  GrantItem,
  IsoInstant,
  ParticipantId,
  Purpose,
  RelationshipId,
  RelationshipParams,
  SECURED,
  TxReceipt,
  problems,
} from '../schemas.js';

export const grantRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, runtime) => {
  const as = (request: FastifyRequest, id: string) => relationshipsFor(app, runtime, request, id);
  const GrantReceipt = Type.Object({
    relationshipId: RelationshipId,
    viewerId: ParticipantId,
    status: Type.Union([Type.Literal('granted'), Type.Literal('revoked')]),
    ...TxReceipt.properties,
  });

  app.post(
    '/relationships/:id/grants',
    {
      onRequest: app.requireRole(...rolesFor('Relationship.grant')!),
      schema: {
        tags: ['grants'],
        summary: 'Patient: let a viewer read some fields of some categories until a date, for a purpose',
        description:
          '201 when a grant was written; 200 with a null txId when the viewer already holds this very grant ' +
          '(a retry, or parallel identical requests). validUntil may be at most the consortium maximum ahead.',
        security: SECURED,
        params: RelationshipParams,
        body: Type.Object(
          {
            viewerId: ParticipantId,
            items: Type.Array(GrantItem, { minItems: 1, maxItems: 7 }),
            validUntil: IsoInstant,
            purpose: Purpose,
          },
          { additionalProperties: false },
        ),
        response: { 200: GrantReceipt, 201: GrantReceipt, ...problems(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const { viewerId, items, validUntil, purpose } = request.body;
      const { signer, service } = await as(request, request.params.id);
      const granted = await service.grant(signer, request.params.id, viewerId, { items, validUntil, purpose });
      return reply.code(granted.txId === null ? 200 : 201).send(granted);
    },
  );

  app.delete(
    '/relationships/:id/grants/:viewerId',
    {
      onRequest: app.requireRole(...rolesFor('Relationship.revoke')!),
      schema: {
        tags: ['grants'],
        summary: "Patient: revoke a viewer's grant; their next request is refused",
        security: SECURED,
        params: Type.Object({ id: RelationshipId, viewerId: ParticipantId }, { additionalProperties: false }),
        response: { 200: GrantReceipt, ...problems(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request) => {
      const { signer, service } = await as(request, request.params.id);
      return service.revoke(signer, request.params.id, request.params.viewerId);
    },
  );

  app.get(
    '/relationships/:id/grants',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['grants'],
        summary: "A relationship's grants, as the ledger shows them to the caller",
        security: SECURED,
        params: RelationshipParams,
        response: { 200: Type.Object({ grants: Type.Array(Grant) }), ...problems(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const { signer, service } = await as(request, request.params.id);
      return { grants: (await service.get(signer, request.params.id)).grants };
    },
  );
};
