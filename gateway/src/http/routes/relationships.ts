import { rolesFor, type Category as CategoryName } from '@medrec/chaincode/domain';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { PatientAction } from '../../services/relationships/relationships.js';
import { relationshipsFor } from '../requester.js';
import type { HospitalRuntime } from '../runtime.js';
import {
  Category,
  Hex64,
  Mrn,
  ParticipantId,
  Pointer,
  RelationshipId,
  RelationshipParams,
  RelationshipView,
  SECURED,
  TxReceipt,
  problems,
} from '../schemas.js';

export const relationshipRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, runtime) => {
  const { relationships } = runtime;
  app.post(
    '/relationships',
    {
      onRequest: app.requireRole(...rolesFor('Relationship.createBatch')!),
      schema: {
        tags: ['relationships'],
        summary: 'Provider: start a relationship with a registered patient, with pointers to the data held here',
        description:
          "Proves the chart is the participant's (the chart's own identifier, declared in the hospital's mapping, " +
          "must hash to the participant's registered external-id hash: else 422 CHART_NOT_PATIENT), links the " +
          'participant to the local MRN one to one (gateway.db only), hashes each record category the hospital ' +
          'holds for that patient and writes relationship and pointers in one transaction. A patient has at most ' +
          'one relationship per hospital: a second (or a retry) gets 409 RELATIONSHIP_EXISTS with its relationshipId. ' +
          'Without patientId, the relationship is for the participant the chart is bound to here: under delegates ' +
          '(docs/privacy.md §3) the delegate a registrar registered for this chart (POST /registrar/delegates), so the ' +
          'provider needs no identifier of the patient; a chart bound to no one: 409 CHART_NOT_BOUND. That is the way for a ' +
          'patient registered at another hospital: a patientId registered by another hospital (her home id) is refused ' +
          'with 403 DELEGATE_REQUIRED and nothing is linked or written; patientId serves only for patients registered here.',
        security: SECURED,
        body: Type.Object(
          {
            patientId: Type.Optional(
              Type.String({
                ...Hex64,
                description:
                  'a patient registered at this hospital (her home is here); a patient registered at another hospital: ' +
                  '403 DELEGATE_REQUIRED — omit patientId and create by mrn for the delegate registered for the chart',
              }),
            ),
            mrn: Mrn,
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            relationshipId: RelationshipId,
            patientId: ParticipantId,
            pointers: Type.Array(Type.Object({ category: Type.String(), hash: Type.String() })),
            ...TxReceipt.properties,
          }),
          ...problems(400, 401, 403, 404, 409, 422, 501, 503),
        },
      },
    },
    async (request, reply) => {
      const { patientId, mrn } = request.body;
      const created = await relationships.create(await app.signerFor(request), request.user.sub, patientId, mrn);
      return reply.code(201).send(created);
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
    async (request) => {
      const { signer, service } = await relationshipsFor(app, runtime, request, request.params.id);
      return service.get(signer, request.params.id);
    },
  );

  app.post(
    '/relationships/:id/pointers',
    {
      onRequest: app.requireRole(...rolesFor('Relationship.putPointer')!),
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
    async (request) => ({
      pointers: await relationships.refreshPointers(
        await app.signerFor(request),
        request.params.id,
        request.body.categories as CategoryName[] | undefined,
      ),
    }),
  );

  /** The patient's decisions: each is endorsed by the provider's hospital, which keeps the data. */
  const patientAction = (path: string, method: 'POST' | 'DELETE', action: PatientAction, summary: string) =>
    app.route({
      method,
      url: path,
      onRequest: app.requireRole(...rolesFor(action === 'acknowledge' ? 'Summary.acknowledge' : `Relationship.${action}`)!),
      schema: {
        tags: ['relationships'],
        summary,
        security: SECURED,
        params: RelationshipParams,
        description:
          'Asking for the status the relationship already has changes nothing: 200 with a null txId. For a password patient, ' +
          "a relationship held by one of her delegates is signed by that delegate at its own hospital's gateway (docs/privacy.md §3).",
        response: {
          200: Type.Object({ relationshipId: RelationshipId, status: Type.String(), ...TxReceipt.properties }),
          ...problems(400, 401, 403, 404, 409, 503),
        },
      },
      handler: async (request: FastifyRequest<{ Params: { id: string } }>) => {
        const { signer, service } = await relationshipsFor(app, runtime, request, request.params.id);
        return service.patientAction(signer, request.params.id, action);
      },
    });

  patientAction('/relationships/:id/accept', 'POST', 'accept', 'Patient: accept the relationship');
  patientAction('/relationships/:id/reject', 'POST', 'reject', 'Patient: reject the relationship');
  patientAction('/relationships/:id', 'DELETE', 'remove', 'Patient: delete the relationship (terminal; revokes its grants)');
  patientAction('/relationships/:id/acknowledge', 'POST', 'acknowledge', 'Patient: acknowledge an update (update_available → accepted)');
};
