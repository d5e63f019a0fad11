import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Audit, Registrar, Relationship, Summary } from '../../contract/medrec.js';
import { requesterKeys } from '../requester.js';
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

export const auditorRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { client, externalIds, ledger }) => {
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
        response: { 200: Type.Object({ history: Type.Array(HistoryEntry) }), ...problems(400, 401, 403, 404, 502, 503, 504) },
      },
    },
    async (request) => {
      // The entry is found as a registrar's would be: here, or by a blinded lookup at the person's home (audited there).
      const keys = await requesterKeys(app, request);
      const { hash } = await externalIds.resolve(keys, request.body.externalIdKind, request.body.externalId);
      return { history: await client.evaluate(keys.ledger, Registrar.history(hash)) };
    },
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
    '/auditor/ledger/verify',
    {
      onRequest: auditor,
      schema: {
        tags: ['auditor'],
        summary: "Checks the ledger's own integrity: the embedded ledger's whole file (hash chain, signatures, state), or a Fabric peer's block hash chain",
        security: SECURED,
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            height: Type.Integer({ description: 'blocks read' }),
            problems: Type.Array(Type.String(), { description: 'each finding, naming its block' }),
            checked: Type.Union([Type.Literal('file'), Type.Literal('hash-chain')]),
          }),
          ...problems(401, 403, 503),
        },
      },
    },
    () => ledger.verify(),
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
