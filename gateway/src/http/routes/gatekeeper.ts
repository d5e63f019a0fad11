import type { Category } from '@medrec/chaincode/domain';
import { SEALED_ANSWER_CTY } from '@medrec/client/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AuditAnchorer } from '../../services/audit/anchor.js';
import { answerRequest } from '../../services/gatekeeper/answer.js';
import { fetchRecords } from '../../services/gatekeeper/client.js';
import type { EnvelopeClaims, RequestClaims } from '../../services/gatekeeper/claims.js';
import { relay } from '../../services/gatekeeper/relay.js';
import { sessionKeys } from '../../services/gatekeeper/requester.js';
import { DATA_REQUEST, JOSE_MEDIA_TYPE } from '../../services/gatekeeper/signed-request.js';
import type { ResearchClaims } from '../../services/research/claims.js';
import { Relationship } from '../../contract/medrec.js';
import { AnswerSchema, FetchAnswerSchema, FetchBody, JWS_PATTERN } from '../gatekeeper-schemas.js';
import { Problem as ProblemSchema } from '../schemas.js';
import type {} from '../plugins/sessions.js';
import { actingFor, requesterKeys } from '../requester.js';
import type { HospitalRuntime } from '../runtime.js';
import { signedScope } from '../signed-routes.js';
import { researchGatekeeperRoutes } from './research-gatekeeper.js';

/** The claims of every kind of signed request this scope answers: what its audit records can name. */
export type ProvenClaims = EnvelopeClaims & Partial<RequestClaims> & Partial<ResearchClaims>;

export interface GatekeeperOptions {
  runtime: HospitalRuntime;
  /** largest accepted signed request; a JWS with one certificate is ~2 KiB */
  bodyLimit?: number;
}

const DEFAULT_BODY_LIMIT = 16 * 1024;

/**
 * The Database Gatekeeper (docs/DESIGN.md, "Gateway internals"): POST /gatekeeper/query for signed
 * requests from anyone on the channel, and POST /records/fetch for this gateway's logged-in users.
 * Every gatekeeper answer, served or refused, is durably audited before it is sent.
 */
export default async function gatekeeper(app: FastifyInstance, opts: GatekeeperOptions): Promise<void> {
  const { runtime } = opts;
  const { audit, hospital, settings } = runtime;
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;

  if (settings.anchoring !== false) {
    const anchorer = new AuditAnchorer({
      log: audit,
      client: runtime.client,
      signer: runtime.service,
      ...settings.anchoring,
      onError: (err, range) => app.log.warn({ err, ...range }, 'audit anchoring failed; will retry'),
    });
    app.addHook('onReady', () => anchorer.start());
    app.addHook('onClose', async () => anchorer.stop());
  }

  await signedScope<ProvenClaims>(
    app,
    {
      runtime,
      route: 'query',
      bodyLimit,
      subjects: ({ claims }) => [
        { relationshipId: claims?.rel ?? null, category: claims?.cat ?? null, fields: claims?.fields ?? null, ...(claims?.query ? { queryId: claims.query } : {}) },
      ],
    },
    ({ verifier, route }) => {
      route({
        url: '/gatekeeper/query',
        kind: DATA_REQUEST,
        limit: 'gatekeeperCertificate',
        schema: {
          summary: 'Answer a signed request for one relationship category (the Database Gatekeeper)',
          description:
            "Body: a compact ES256 JWS (application/jose) signed by the requester's own enrolled key, header x5c = [certificate]. " +
            'No session token is accepted here. With `Accept: application/jose` the answer is a compact JWE (ECDH-ES, A256GCM, ' +
            'cty medrec-answer+json, jti of the request) sealed to the key of the x5c certificate: only the requester can read it.',
          tags: ['gatekeeper'],
          answer: AnswerSchema,
        },
        sealedCty: SEALED_ANSWER_CTY,
        answer: async (verified) => {
          const answer = await answerRequest({ ...runtime, mspId: hospital.mspId, recheck: (r) => verifier.recheck(r) }, verified);
          return { decision: answer.decision, hashMatches: answer.hashMatches, body: answer };
        },
      });
      researchGatekeeperRoutes(route, runtime);
    },
  );

  app.post<{ Body: { relationshipId: string; category: Category; fields?: string[] } }>(
    '/records/fetch',
    {
      // A read (its answer is medical data, never stored).
      config: { idempotency: false },
      preHandler: app.requireRole(),
      schema: {
        summary: "Fetch a relationship's records from its provider's gatekeeper, signed as you",
        tags: ['records'],
        security: [{ bearerAuth: [] }],
        body: FetchBody,
        response: { 200: FetchAnswerSchema, '4xx': ProblemSchema, '5xx': ProblemSchema },
      },
    },
    async (request) => {
      const { relationshipId, category, fields = [] } = request.body;
      // A password patient's delegate relationship: read and signed as that delegate (docs/privacy.md §3).
      const as = await actingFor(app, runtime, request, relationshipId);
      const own = as.client === runtime.client;
      const keys = own ? await requesterKeys(app, request) : sessionKeys(as.signer);
      return fetchRecords(as.client, keys, as.identityId, { relationshipId, category, fields }, runtime.gatekeepers, own);
    },
  );

  app.post<{ Body: { jws: string } }>(
    '/records/relay',
    {
      // A read (its answer is medical data, sealed, never stored).
      config: { idempotency: false },
      preHandler: app.requireRole(),
      schema: {
        summary: 'Relay your own device-signed request to the gatekeeper of its relationship; the answer comes back sealed to your key',
        description:
          'Body {jws}: the gatekeeper request, signed on your device. It is forwarded unchanged with Accept: application/jose to ' +
          "`aud`, which must be the origin of the relationship's endpoint on the ledger (a device reads it first with a " +
          'device-signed Relationship.get); the JWE comes back unchanged. Gatekeeper refusals pass through with their status and code.',
        tags: ['records'],
        security: [{ bearerAuth: [] }],
        body: Type.Object({ jws: Type.String({ pattern: JWS_PATTERN, maxLength: bodyLimit }) }, { additionalProperties: false }),
        response: { 200: Type.String({ description: 'compact JWE (application/jose)' }), '4xx': ProblemSchema, '5xx': ProblemSchema },
      },
    },
    async (request, reply) => {
      const creator = app.creatorFor(request);
      const owner = request.user.jti;
      const endpointOf = async (rel: string) => {
        const seen = runtime.offline.endpointSeen(owner, rel);
        if (seen !== undefined || !('privateKey' in (app.sessionKeys.signer(owner) ?? {}))) return seen;
        return (await runtime.client.evaluate(await app.signerFor(request), Relationship.get(rel))).endpoint;
      };
      const jwe = await relay({ jws: request.body.jws, certificate: creator.certificate, endpointOf, transport: runtime.gatekeepers });
      return reply.type(JOSE_MEDIA_TYPE).send(jwe);
    },
  );
}
