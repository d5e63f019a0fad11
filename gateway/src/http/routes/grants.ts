import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { badRequest } from '../http/problem.js';
import { submitJson } from './chaincode.js';
import type { RouteContext } from './context.js';
import { getRelationship } from './relationships.js';
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
} from './schemas.js';

export const grantRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  app.post(
    '/relationships/:id/grants',
    {
      onRequest: app.requireRole('patient'),
      schema: {
        tags: ['grants'],
        summary: 'Patient: let a viewer read some fields of some categories until a date, for a purpose',
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
        response: {
          201: Type.Object({ relationshipId: RelationshipId, viewerId: ParticipantId, ...TxReceipt.properties }),
          ...problems(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const { viewerId, items, validUntil, purpose } = request.body;
      if (Date.parse(validUntil) <= Date.now()) throw badRequest('VALID_UNTIL_PAST', 'validUntil must be in the future');
      const signer = await app.signerFor(request);
      const view = await getRelationship(ctx, signer, request.params.id);
      const result = await submitJson<unknown>(
        ctx.ledger,
        signer,
        'Relationship',
        'grant',
        [view.relationshipId, viewerId, JSON.stringify({ items, validUntil, purpose })],
        { endorsingOrganizations: [view.providerMspId] },
      );
      reply.code(201);
      return { relationshipId: view.relationshipId, viewerId, txId: result.txId, blockNumber: result.blockNumber };
    },
  );

  app.delete(
    '/relationships/:id/grants/:viewerId',
    {
      onRequest: app.requireRole('patient'),
      schema: {
        tags: ['grants'],
        summary: "Patient: revoke a viewer's grant; their next request is refused",
        security: SECURED,
        params: Type.Object({ id: RelationshipId, viewerId: ParticipantId }, { additionalProperties: false }),
        response: {
          200: Type.Object({ relationshipId: RelationshipId, viewerId: ParticipantId, ...TxReceipt.properties }),
          ...problems(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request) => {
      const signer = await app.signerFor(request);
      const view = await getRelationship(ctx, signer, request.params.id);
      const result = await submitJson<unknown>(
        ctx.ledger,
        signer,
        'Relationship',
        'revoke',
        [view.relationshipId, request.params.viewerId],
        { endorsingOrganizations: [view.providerMspId] },
      );
      return { relationshipId: view.relationshipId, viewerId: request.params.viewerId, txId: result.txId, blockNumber: result.blockNumber };
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
      const view = await getRelationship(ctx, await app.signerFor(request), request.params.id);
      return { grants: view.grants };
    },
  );
};
