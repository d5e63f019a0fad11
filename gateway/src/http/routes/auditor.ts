import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { externalIdHash } from '../../services/enrolment/external-id.js';
import { Audit, Registrar, Relationship, Summary } from '../../contract/medrec.js';
import type { HospitalRuntime } from '../runtime.js';
import {
  ExternalId,
  ExternalIdKind,
  HistoryEntry,
  MspId,
  ParticipantId,
  RelationshipParams,
  SECURED,
  SummaryEntry,
  problems,
} from '../schemas.js';

export const auditorRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { client, settings }) => {
  // The auditor's own area: the chaincode lets providers list their own anchors too, but not here.
  const auditor = app.requireRole('auditor');

  app.get(
    '/auditor/relationships/:id/history',
    {
      onRequest: auditor,
      schema: {
        tags: ['auditor'],
        summary: 'Full ledger history of a relationship, its pointers and its grants',
        security: SECURED,
        params: RelationshipParams,
        response: {
          200: Type.Object({
            relationship: Type.Array(HistoryEntry),
            pointers: Type.Array(Type.Object({ category: Type.String(), history: Type.Array(HistoryEntry) })),
            grants: Type.Array(Type.Object({ viewerId: Type.String(), history: Type.Array(HistoryEntry) })),
          }),
          ...problems(400, 401, 403, 404, 503),
        },
      },
    },
    async (request) =>
      client.evaluate(await app.signerFor(request), Relationship.history(request.params.id)),
  );

  app.post(
    '/auditor/identities/history',
    {
      config: { idempotency: false },
      onRequest: auditor,
      schema: {
        tags: ['auditor'],
        summary: "History of a person's identity mapping (external id in the body, hashed before use)",
        security: SECURED,
        body: Type.Object({ externalIdKind: ExternalIdKind, externalId: ExternalId }, { additionalProperties: false }),
        response: { 200: Type.Object({ history: Type.Array(HistoryEntry) }), ...problems(400, 401, 403, 404, 503) },
      },
    },
    async (request) => ({
      history: await client.evaluate(
        await app.signerFor(request),
        Registrar.history(externalIdHash(settings.consortiumKey, request.body.externalIdKind, request.body.externalId)),
      ),
    }),
  );

  app.get(
    '/auditor/participants/:pid/summary',
    {
      onRequest: auditor,
      schema: {
        tags: ['auditor'],
        summary: "A participant's summary",
        security: SECURED,
        params: Type.Object({ pid: ParticipantId }, { additionalProperties: false }),
        response: { 200: Type.Object({ entries: Type.Array(SummaryEntry) }), ...problems(400, 401, 403, 503) },
      },
    },
    async (request) => ({
      entries: await client.evaluate(await app.signerFor(request), Summary.of(request.params.pid)),
    }),
  );

  app.get(
    '/auditor/participants/:pid/history',
    {
      onRequest: auditor,
      schema: {
        tags: ['auditor'],
        summary: "History of a participant's identity mapping by its id: the way to a delegate's, which no external id names",
        security: SECURED,
        params: Type.Object({ pid: ParticipantId }, { additionalProperties: false }),
        response: { 200: Type.Object({ history: Type.Array(HistoryEntry) }), ...problems(400, 401, 403, 404, 503) },
      },
    },
    async (request) => ({ history: await client.evaluate(await app.signerFor(request), Registrar.historyOf(request.params.pid)) }),
  );

  app.get(
    '/auditor/anchors/:mspId',
    {
      onRequest: auditor,
      schema: {
        tags: ['auditor'],
        summary: "The audit-log anchors a hospital's gatekeeper wrote on the ledger",
        security: SECURED,
        params: Type.Object({ mspId: MspId }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            anchors: Type.Array(
              Type.Object(
                {
                  mspId: Type.String(),
                  fromSeq: Type.Integer(),
                  toSeq: Type.Integer(),
                  headHash: Type.String(),
                  anchoredAt: Type.String(),
                  txId: Type.String(),
                },
                { additionalProperties: true },
              ),
            ),
          }),
          ...problems(400, 401, 403, 503),
        },
      },
    },
    async (request) => ({
      anchors: await client.evaluate(await app.signerFor(request), Audit.list(request.params.mspId)),
    }),
  );
};
