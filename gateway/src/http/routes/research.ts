import { rolesFor, type Category as CategoryName, type QuerySpec } from '@medrec/chaincode/domain';
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import { Research } from '../../contract/medrec.js';
import { JOSE_MEDIA_TYPE } from '@medrec/client/protocol';
import { relay } from '../../services/gatekeeper/relay.js';
import { JWS_PATTERN } from '../gatekeeper-schemas.js';
import type { HospitalRuntime } from '../runtime.js';
import {
  Budget,
  BountyBody,
  Collection,
  ConsentBody,
  ConsentView,
  GatekeeperEntry,
  QueryId,
  Release,
  ResearchQuery,
  Steward,
  StudyBody,
} from '../research-schemas.js';
import { ParticipantId, RelationshipId, SECURED, TxReceipt, problems } from '../schemas.js';

const QueryParams = Type.Object({ id: QueryId }, { additionalProperties: false });
const MaybeReceipt = Type.Object({ txId: Type.Union([Type.String(), Type.Null()]), blockNumber: Type.Union([Type.String(), Type.Null()]) });
const tags = ['research'];

/** The query the ledger gets from a route body: template, code, criteria, grouping, epsilon — nothing else. */
function querySpec(body: Static<typeof StudyBody> | Static<typeof BountyBody>): QuerySpec {
  return {
    template: body.template,
    code: body.code ?? null,
    criteria: body.criteria ?? {},
    groupBy: body.groupBy ?? [],
    epsilon: body.epsilon,
  };
}

/**
 * Research (docs/research.md): thin routes over services/research/service.ts; every ledger call is
 * signed by the user, roles from the chaincode's transaction table.
 */
export const researchRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { research, client, offline, gatekeepers }) => {
  const as = async (request: Parameters<typeof app.signerFor>[0]) => app.signerFor(request);

  app.get(
    '/research/consents',
    {
      onRequest: app.requireRole(...rolesFor('Research.consents')!),
      schema: {
        tags,
        summary: 'Patient: your research consent on each of your relationships',
        security: SECURED,
        response: { 200: Type.Object({ consents: Type.Array(ConsentView) }), ...problems(401, 403, 503) },
      },
    },
    async (request) => ({ consents: await research.consents(await as(request)) }),
  );

  app.post(
    '/research/consents',
    {
      onRequest: app.requireRole(...rolesFor('Research.consentBatch')!),
      schema: {
        tags,
        summary: 'Patient: opt in to research use of some record categories, on named relationships or all of yours',
        description:
          'Never by default. Per relationship (one consent links none of your hospitals to another); optionally for one study, until a date. ' +
          'Every hospital’s gatekeeper reads it at answer time.',
        security: SECURED,
        body: ConsentBody,
        response: { 201: Type.Object({ relationshipIds: Type.Array(RelationshipId), ...TxReceipt.properties }), ...problems(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const { relationshipIds, categories, studyId, validUntil } = request.body;
      const terms = { categories: categories as CategoryName[], studyId: studyId ?? null, validUntil: validUntil ?? null };
      return reply.code(201).send(await research.optIn(await as(request), relationshipIds, terms));
    },
  );

  app.delete(
    '/research/consents',
    {
      onRequest: app.requireRole(...rolesFor('Research.consentBatch')!),
      schema: {
        tags,
        summary: 'Patient: opt out on every relationship; the very next answer leaves you out',
        security: SECURED,
        response: { 200: Type.Object({ relationshipIds: Type.Array(RelationshipId), ...MaybeReceipt.properties }), ...problems(401, 403, 503) },
      },
    },
    async (request) => research.optOut(await as(request)),
  );

  app.delete(
    '/research/consents/:id',
    {
      onRequest: app.requireRole(...rolesFor('Research.consentBatch')!),
      schema: {
        tags,
        summary: 'Patient: opt out on one relationship',
        security: SECURED,
        params: Type.Object({ id: RelationshipId }, { additionalProperties: false }),
        response: { 200: Type.Object({ relationshipIds: Type.Array(RelationshipId), ...MaybeReceipt.properties }), ...problems(400, 401, 403, 409, 503) },
      },
    },
    async (request) => research.optOut(await as(request), [request.params.id]),
  );

  app.get(
    '/research/inclusions',
    {
      onRequest: app.requireRole(...rolesFor('Research.consents')!),
      schema: {
        tags,
        summary: 'Patient: which studies and bounties received answers that included you (never the answers)',
        description: "Asked of each hospital's gatekeeper with a request signed as you; kept there, never on the ledger.",
        security: SECURED,
        response: {
          200: Type.Object({
            relationships: Type.Array(
              Type.Object(
                { relationshipId: Type.String(), providerMspId: Type.String(), inclusions: Type.Union([Type.Array(Type.Object({}, { additionalProperties: true })), Type.Null()]) },
                { additionalProperties: true },
              ),
            ),
          }),
          ...problems(401, 403, 503),
        },
      },
    },
    async (request) => ({ relationships: await research.inclusions(await as(request)) }),
  );

  app.post(
    '/research/inclusions/relay',
    {
      // A read: nothing changes, nothing is stored.
      config: { idempotency: false },
      onRequest: app.requireRole(...rolesFor('Research.consents')!),
      schema: {
        tags,
        summary: 'Patient with a device-held key: relay your device-signed inclusions request to the gatekeeper of its relationship',
        description:
          'Body {jws}: a compact ES256 JWS (typ medrec-request+jws, x5c = [your certificate]) with claims {rel, aud, iat, exp, jti}, ' +
          "signed on your device. `aud` must be the origin of the relationship's endpoint, read first with a device-signed " +
          'Relationship.get. Forwarded unchanged with Accept: application/jose to POST <aud>/gatekeeper/research/inclusions; its answer, ' +
          'sealed to your key (this gateway sees ciphertext only), or its refusal comes back as is.',
        security: SECURED,
        body: Type.Object({ jws: Type.String({ pattern: JWS_PATTERN, maxLength: 16_384 }) }, { additionalProperties: false }),
        response: { 200: Type.String({ description: 'compact JWE (application/jose)' }), ...problems(400, 401, 403, 404, 502, 503) },
      },
    },
    async (request, reply) => {
      const owner = request.user.jti;
      const jwe = await relay({
        jws: request.body.jws,
        certificate: app.creatorFor(request).certificate,
        endpointOf: async (rel) => offline.endpointSeen(owner, rel),
        transport: gatekeepers,
        target: { route: 'research/inclusions', accept: JOSE_MEDIA_TYPE },
      });
      return reply.type(JOSE_MEDIA_TYPE).send(jwe);
    },
  );

  app.get(
    '/research/studies',
    {
      onRequest: app.requireRole(),
      schema: { tags, summary: 'Open studies (what a patient may consent to by name)', security: SECURED, response: { 200: Type.Object({ studies: Type.Array(ResearchQuery) }), ...problems(401, 503) } },
    },
    async (request) => ({ studies: await client.evaluate(await as(request), Research.studies()) }),
  );

  app.post(
    '/research/studies',
    {
      onRequest: app.requireRole(...rolesFor('Research.submitStudy')!),
      schema: {
        tags,
        summary: 'Researcher: submit a study query (a catalogue template, its code, cohort criteria, grouping, epsilon)',
        security: SECURED,
        body: StudyBody,
        response: { 201: Type.Object({ queryId: QueryId, ...TxReceipt.properties }), ...problems(400, 401, 403, 422, 503) },
      },
    },
    async (request, reply) => {
      const { validUntil, protocolHash } = request.body;
      const study = { ...querySpec(request.body), validUntil, protocolHash: protocolHash ?? null };
      return reply.code(201).send(await research.submitStudy(await as(request), study));
    },
  );

  app.get(
    '/research/queries/:id',
    {
      onRequest: app.requireRole(),
      schema: { tags, summary: 'A study or bounty', security: SECURED, params: QueryParams, response: { 200: ResearchQuery, ...problems(400, 401, 404, 503) } },
    },
    async (request) => client.evaluate(await as(request), Research.query(request.params.id)),
  );

  app.post(
    '/research/queries/:id/collect',
    {
      onRequest: app.requireRole(...rolesFor('Research.bounties')!),
      schema: {
        tags,
        summary: "Researcher or steward: collect each hospital's answer, signed as you, checked against the ledger, combined",
        description:
          'Each hospital answers once (a second collection is refused). A hospital that did not answer in time is reported as `unknown`: ' +
          'its release record, if any, is at GET /research/queries/{id}/releases.',
        security: SECURED,
        params: QueryParams,
        response: { 200: Collection, ...problems(400, 401, 403, 404, 503) },
      },
    },
    async (request) => research.collect(await as(request), request.params.id),
  );

  app.get(
    '/research/queries/:id/releases',
    {
      onRequest: app.requireRole(...rolesFor('Research.releases')!),
      schema: {
        tags,
        summary: "Which hospitals released an answer to a query: time, answer hash, epsilon, cells (no cohort, no value)",
        security: SECURED,
        params: QueryParams,
        response: { 200: Type.Object({ releases: Type.Array(Release) }), ...problems(400, 401, 403, 404, 503) },
      },
    },
    async (request) => ({ releases: await client.evaluate(await as(request), Research.releases(request.params.id)) }),
  );

  app.get(
    '/research/budgets/:participantId',
    {
      onRequest: app.requireRole(...rolesFor('Research.budget')!),
      schema: {
        tags,
        summary: "A researcher's (or steward's) privacy budget: the epsilon its released answers have spent",
        security: SECURED,
        params: Type.Object({ participantId: ParticipantId }, { additionalProperties: false }),
        response: { 200: Budget, ...problems(400, 401, 403, 503) },
      },
    },
    async (request) => client.evaluate(await as(request), Research.budget(request.params.participantId)),
  );

  app.get(
    '/research/bounties',
    {
      onRequest: app.requireRole(...rolesFor('Research.bounties')!),
      schema: {
        tags,
        summary: 'Steward: the bounties assigned to you, and whether you collected them',
        security: SECURED,
        response: { 200: Type.Object({ bounties: Type.Array(ResearchQuery) }), ...problems(401, 403, 503) },
      },
    },
    async (request) => ({ bounties: await client.evaluate(await as(request), Research.bounties()) }),
  );

  app.post(
    '/research/bounties',
    {
      onRequest: app.requireRole(...rolesFor('Relationship.putPointerWithBounty')!),
      schema: {
        tags,
        summary: "Provider: update a relationship's pointer for one category and attach a bounty query to that update",
        description: 'The chaincode assigns the bounty to one research steward from the transaction id; that steward alone may collect it, once.',
        security: SECURED,
        body: BountyBody,
        response: {
          201: Type.Object({ bountyId: QueryId, stewardId: ParticipantId, pointer: Type.Object({}, { additionalProperties: true }), ...TxReceipt.properties }),
          ...problems(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const { relationshipId, category } = request.body;
      return reply.code(201).send(await research.attachBounty(await as(request), relationshipId, category as CategoryName, querySpec(request.body)));
    },
  );

  app.get(
    '/research/stewards',
    {
      onRequest: app.requireRole(),
      schema: { tags, summary: 'The research stewards, one per organisation', security: SECURED, response: { 200: Type.Object({ stewards: Type.Array(Steward) }), ...problems(401, 503) } },
    },
    async (request) => ({ stewards: await client.evaluate(await as(request), Research.stewards()) }),
  );

  app.post(
    '/research/stewards',
    {
      onRequest: app.requireRole(...rolesFor('Research.registerSteward')!),
      schema: {
        tags,
        summary: "Registrar: name this organisation's research steward (a researcher of it), who may receive bounties",
        security: SECURED,
        body: Type.Object({ participantId: ParticipantId }, { additionalProperties: false }),
        response: { 201: Type.Object({ ...Steward.properties, ...TxReceipt.properties }), ...problems(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => reply.code(201).send(await research.registerSteward(await as(request), request.body.participantId)),
  );

  app.get(
    '/research/gatekeepers',
    {
      onRequest: app.requireRole(),
      schema: {
        tags,
        summary: "Each hospital's gatekeeper and the catalogue templates it answers",
        security: SECURED,
        response: { 200: Type.Object({ gatekeepers: Type.Array(GatekeeperEntry) }), ...problems(401, 503) },
      },
    },
    async (request) => ({ gatekeepers: await client.evaluate(await as(request), Research.gatekeepers()) }),
  );
};
