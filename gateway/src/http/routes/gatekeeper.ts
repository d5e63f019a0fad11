import type { Category } from '@medrec/chaincode/domain';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuditAnchorer } from '../../services/audit/anchor.js';
import type { AuditEntry } from '../../services/audit/record.js';
import { answerRequest, type GatekeeperAnswer } from '../../services/gatekeeper/answer.js';
import { fetchRecords } from '../../services/gatekeeper/client.js';
import { ReplayCache } from '../../services/gatekeeper/replay.js';
import type { EnvelopeClaims, RequestClaims } from '../../services/gatekeeper/claims.js';
import { relay } from '../../services/gatekeeper/relay.js';
import { sealAnswer, wantsSealed } from '../../services/gatekeeper/sealed.js';
import { JOSE_MEDIA_TYPE, RequestVerifier, type Verified } from '../../services/gatekeeper/signed-request.js';
import type { ResearchClaims } from '../../services/research/claims.js';
import { Relationship } from '../../contract/medrec.js';
import { Problem } from '../../services/problem.js';
import { AnswerSchema, FetchAnswerSchema, FetchBody, JWS_PATTERN } from '../gatekeeper-schemas.js';
import { Problem as ProblemSchema } from '../schemas.js';
import type {} from '../plugins/sessions.js';
import { gatekeeperRefusals } from '../gatekeeper-refusals.js';
import { requesterKeys } from '../requester.js';
import type { HospitalRuntime } from '../runtime.js';
import { researchGatekeeperRoutes } from './research-gatekeeper.js';

/** What any kind of signed request proved, as far as verification got: what the audit record can say. */
export type Proven = Partial<Verified<EnvelopeClaims & Partial<RequestClaims> & Partial<ResearchClaims>>>;

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
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const replay = new ReplayCache(audit.liveJtis(nowSeconds()));
  const verifier = new RequestVerifier(runtime.trust, replay, () => new URL(hospital.publicUrl).origin, settings.certificateCacheSize);
  const proven = new WeakMap<FastifyRequest, Proven>();
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

  const audited = async (request: FastifyRequest, decision: string, status: number, hashMatches: boolean | null) => {
    const seen = proven.get(request) ?? {};
    const entry: AuditEntry = {
      at: new Date().toISOString(),
      requester: seen.identityId ?? null,
      mspId: seen.mspId ?? null,
      role: seen.role ?? null,
      relationshipId: seen.claims?.rel ?? null,
      category: seen.claims?.cat ?? null,
      fields: seen.claims?.fields ?? null,
      decision,
      status,
      hashMatches,
      jti: seen.claims?.jti ?? null,
      exp: seen.claims?.exp ?? null,
      ...(seen.claims?.query ? { queryId: seen.claims.query } : {}),
    };
    await audit.append(entry);
  };

  /** The record of a served answer; without it nothing is sent. */
  const served = async (request: FastifyRequest, decision: string, hashMatches: boolean | null) => {
    try {
      await audited(request, decision, 200, hashMatches);
    } catch (auditErr) {
      request.log.error({ err: auditErr }, 'audit log write failed');
      // No record, no data: the refusal below is itself attempted as an audit record.
      throw new Problem(503, 'AUDIT_UNAVAILABLE', 'the audit log cannot be written');
    }
  };

  const refuse = gatekeeperRefusals(app, {
    route: 'query',
    verified: (request) => proven.get(request)?.identityId !== undefined,
    audit: (request, problem) => audited(request, problem.code, problem.status, null),
  });

  // Its own scope: the only body this route parses is a compact JWS; JSON and the rest get 415.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(JOSE_MEDIA_TYPE, { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body));

    scope.post<{ Body: string }>(
      '/gatekeeper/query',
      {
        bodyLimit,
        config: { limit: 'gatekeeper' },
        // An address that sent too many unverified requests is refused before its body is read.
        onRequest: async (request) => app.rateLimited('gatekeeperUnverified', request, { count: false }),
        errorHandler: refuse,
        schema: {
          summary: 'Answer a signed request for one relationship category (the Database Gatekeeper)',
          description:
            "Body: a compact ES256 JWS (application/jose) signed by the requester's own enrolled key, header x5c = [certificate]. " +
            'No session token is accepted here. With `Accept: application/jose` the answer is a compact JWE (ECDH-ES, A256GCM, ' +
            'cty medrec-answer+json, jti of the request) sealed to the key of the x5c certificate: only the requester can read it.',
          tags: ['gatekeeper'],
          consumes: [JOSE_MEDIA_TYPE],
          body: Type.String({ pattern: JWS_PATTERN, maxLength: bodyLimit }),
          response: { 200: AnswerSchema, '4xx': ProblemSchema, '5xx': ProblemSchema },
        },
      },
      async (request, reply): Promise<GatekeeperAnswer | string> => {
        const seen: Proven = {};
        proven.set(request, seen);
        const verified = await verifier.verify(request.body, seen as Partial<Verified<RequestClaims>>);
        await app.rateLimited('gatekeeperCertificate', request, { key: verified.identityId });
        const answer = await answerRequest({ ...runtime, mspId: hospital.mspId, recheck: (r) => verifier.recheck(r) }, verified);
        await served(request, answer.decision, answer.hashMatches);
        if (!wantsSealed(request.headers.accept)) return answer;
        return reply.type(JOSE_MEDIA_TYPE).send(await sealAnswer(answer, verified.certificate, verified.claims.jti));
      },
    );
    researchGatekeeperRoutes(scope, { runtime, verifier, proven, served, refuse, bodyLimit });
  });

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
      return fetchRecords(runtime.client, await requesterKeys(app, request), request.user.identityId, { relationshipId, category, fields }, runtime.gatekeepers);
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
