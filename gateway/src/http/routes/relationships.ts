import type { Category as CategoryName, RelationshipView as View } from '@medrec/chaincode/domain';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { hashResources, type RecordService } from '../ehr/records.js';
import { conflict, notFound } from '../http/problem.js';
import type { Signer } from '../ports/ledger.js';
import { evaluateJson, submitJson } from './chaincode.js';
import type { RouteContext } from './context.js';
import {
  Category,
  Mrn,
  ParticipantId,
  Pointer,
  RelationshipId,
  RelationshipParams,
  RelationshipView,
  SECURED,
  TxReceipt,
  problems,
} from './schemas.js';

/** The pointer hash of every category this hospital holds data for (empty categories get none). */
export async function pointersFor(records: RecordService, mrn: string, categories?: readonly CategoryName[]) {
  const pointers: { category: CategoryName; hash: string }[] = [];
  for (const category of categories ?? records.categories()) {
    const resources = await records.fetch(category, mrn);
    if (resources.length > 0) pointers.push({ category, hash: hashResources(resources) });
  }
  return pointers;
}

export async function getRelationship(ctx: RouteContext, signer: Signer, id: string): Promise<View> {
  return evaluateJson<View>(ctx.ledger, signer, 'Relationship', 'get', [id]);
}

export const relationshipRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  app.post(
    '/relationships',
    {
      onRequest: app.requireRole('provider'),
      schema: {
        tags: ['relationships'],
        summary: 'Provider: start a relationship with a registered patient, with pointers to the data held here',
        description:
          'Links the participant to the local MRN (gateway.db only), hashes each record category the hospital ' +
          'holds for that patient and writes relationship and pointers in one transaction.',
        security: SECURED,
        body: Type.Object({ patientId: ParticipantId, mrn: Mrn }, { additionalProperties: false }),
        response: {
          201: Type.Object({
            relationshipId: RelationshipId,
            pointers: Type.Array(Type.Object({ category: Type.String(), hash: Type.String() })),
            ...TxReceipt.properties,
          }),
          ...problems(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const { patientId, mrn } = request.body;
      const linked = ctx.links.get(patientId);
      if (linked !== undefined && linked !== mrn) {
        throw conflict('PATIENT_LINK_CONFLICT', 'this participant is already linked to another local patient');
      }
      if ((await ctx.records.fetch('Patient', mrn)).length === 0) {
        throw notFound('PATIENT_NOT_FOUND', 'no local patient has that MRN');
      }
      const pointers = await pointersFor(ctx.records, mrn);
      const created = await submitJson<string[]>(
        ctx.ledger,
        await app.signerFor(request),
        'Relationship',
        'createBatch',
        [JSON.stringify([{ patientId, endpoint: ctx.hospital.publicUrl, pointers }])],
        { endorsingOrganizations: [ctx.hospital.mspId] },
      );
      ctx.links.set(patientId, mrn, request.user.sub);
      reply.code(201);
      return {
        relationshipId: created.value[0]!,
        pointers,
        txId: created.txId,
        blockNumber: created.blockNumber,
      };
    },
  );

  app.get(
    '/relationships/:id',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['relationships'],
        summary: 'A relationship with its pointers and grants (its parties, live viewers and auditors only)',
        security: SECURED,
        params: RelationshipParams,
        response: { 200: RelationshipView, ...problems(400, 401, 403, 404, 503) },
      },
    },
    async (request) => getRelationship(ctx, await app.signerFor(request), request.params.id),
  );

  app.post(
    '/relationships/:id/pointers',
    {
      onRequest: app.requireRole('provider'),
      schema: {
        tags: ['relationships'],
        summary: "Provider: re-hash the patient's records and update the pointers (patient sees update_available)",
        security: SECURED,
        params: RelationshipParams,
        body: Type.Object(
          { categories: Type.Optional(Type.Array(Category, { minItems: 1, maxItems: 7, uniqueItems: true })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ pointers: Type.Array(Pointer) }),
          ...problems(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request) => {
      const signer = await app.signerFor(request);
      const view = await getRelationship(ctx, signer, request.params.id);
      const mrn = ctx.links.get(view.patientId);
      if (mrn === undefined || view.providerMspId !== ctx.hospital.mspId) {
        throw notFound('PATIENT_NOT_LINKED', 'this hospital holds no records for that relationship');
      }
      const updated = [];
      for (const p of await pointersFor(ctx.records, mrn, request.body.categories as CategoryName[] | undefined)) {
        const result = await submitJson<{ relationshipId: string; category: string; hash: string; version: number; updatedAt: string }>(
          ctx.ledger,
          signer,
          'Relationship',
          'putPointer',
          [view.relationshipId, p.category, p.hash],
          { endorsingOrganizations: [ctx.hospital.mspId] },
        );
        updated.push(result.value);
      }
      return { pointers: updated };
    },
  );

  /** The patient's decisions: each is endorsed by the provider's hospital, which keeps the data. */
  const patientAction = (path: string, method: 'POST' | 'DELETE', transaction: string, summary: string) =>
    app.route({
      method,
      url: path,
      onRequest: app.requireRole('patient'),
      schema: {
        tags: ['relationships'],
        summary,
        security: SECURED,
        params: RelationshipParams,
        response: { 200: Type.Object({ relationshipId: RelationshipId, ...TxReceipt.properties }), ...problems(400, 401, 403, 404, 409, 503) },
      },
      handler: async (request: FastifyRequest<{ Params: { id: string } }>) => {
        const signer = await app.signerFor(request);
        const view = await getRelationship(ctx, signer, request.params.id);
        const contract = transaction === 'acknowledge' ? 'Summary' : 'Relationship';
        const result = await submitJson<unknown>(ctx.ledger, signer, contract, transaction, [view.relationshipId], {
          endorsingOrganizations: [view.providerMspId],
        });
        return { relationshipId: view.relationshipId, txId: result.txId, blockNumber: result.blockNumber };
      },
    });

  patientAction('/relationships/:id/accept', 'POST', 'accept', 'Patient: accept the relationship');
  patientAction('/relationships/:id/reject', 'POST', 'reject', 'Patient: reject the relationship');
  patientAction('/relationships/:id', 'DELETE', 'remove', 'Patient: delete the relationship (terminal; revokes its grants)');
  patientAction('/relationships/:id/acknowledge', 'POST', 'acknowledge', 'Patient: acknowledge an update (update_available → accepted)');
};
