import { JOSE_MEDIA_TYPE, REQUEST_TYP, SEALED_INCLUSIONS_CTY } from '@medrec/client/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sealTo, wantsSealed } from '../../services/gatekeeper/sealed.js';
import type { RequestVerifier, Verified } from '../../services/gatekeeper/signed-request.js';
import { parseInclusionClaims, parseResearchClaims, type InclusionClaims, type ResearchClaims } from '../../services/research/claims.js';
import { JWS_PATTERN } from '../gatekeeper-schemas.js';
import { Inclusions, ReleasedAnswer } from '../research-schemas.js';
import { Problem as ProblemSchema } from '../schemas.js';
import type { HospitalRuntime } from '../runtime.js';
import type { Proven } from './gatekeeper.js';

/** What the gatekeeper plugin shares with its research routes: one verifier, one replay cache, one audit path, the same limits. */
export interface GatekeeperScope {
  runtime: HospitalRuntime;
  verifier: RequestVerifier;
  proven: WeakMap<FastifyRequest, Proven>;
  /** audits a served answer; throws 503 AUDIT_UNAVAILABLE (and nothing is sent) when it cannot */
  served(request: FastifyRequest, decision: string, hashMatches: boolean | null): Promise<void>;
  /** the gatekeeper's refusal path: audited, RFC 9457 */
  refuse(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
  bodyLimit: number;
}

/**
 * The research side of the Database Gatekeeper (docs/research.md), in the data requests' scope: a
 * compact ES256 JWS body (application/jose) signed by the requester's own key, every answer and
 * refusal audited. POST /gatekeeper/research answers a study or bounty for its owner;
 * POST /gatekeeper/research/inclusions tells a patient which released answers included them.
 */
export function researchGatekeeperRoutes(scope: FastifyInstance, s: GatekeeperScope): void {
  const { runtime, verifier, proven, served, refuse, bodyLimit } = s;
  const body = Type.String({ pattern: JWS_PATTERN, maxLength: bodyLimit });
  const verify = async <C extends ResearchClaims | InclusionClaims>(request: FastifyRequest<{ Body: string }>, parse: (p: unknown, a: string, n: number) => C) => {
    const seen: Partial<Verified<C>> = {};
    proven.set(request, seen as Proven);
    // The data requests' typ: each route accepts exactly its own claim set, so no kind passes for another.
    const verified = await verifier.verifyToken(request.body, { typ: REQUEST_TYP, parse }, seen);
    await scope.rateLimited('gatekeeperCertificate', request, { key: verified.identityId });
    return verified;
  };
  // As /gatekeeper/query: an address that sent too many unverified requests is refused before its body is read.
  const limited = {
    config: { limit: 'gatekeeper' as const },
    onRequest: async (request: FastifyRequest) => scope.rateLimited('gatekeeperUnverified', request, { count: false }),
  };

  scope.post<{ Body: string }>(
    '/gatekeeper/research',
    {
      bodyLimit,
      ...limited,
      errorHandler: refuse,
      schema: {
        summary: "Answer a study or bounty for its owner, over this hospital's consenting patients, after disclosure control",
        description:
          'Body: a compact ES256 JWS (application/jose) signed by the researcher (or steward) with claims {query, aud, iat, exp, jti}, ' +
          'header x5c = [certificate]. The release is recorded on the ledger (hash, epsilon, cells) before the answer is sent; ' +
          'a second collection is refused (409 ALREADY_RELEASED).',
        tags: ['gatekeeper', 'research'],
        consumes: ['application/jose'],
        body,
        response: { 200: ReleasedAnswer, '4xx': ProblemSchema, '5xx': ProblemSchema },
      },
    },
    async (request) => {
      const verified = await verify(request, parseResearchClaims);
      const released = await runtime.researchGatekeeper.answer(verified);
      await served(request, 'RESEARCH_RELEASED', null);
      return released;
    },
  );

  scope.post<{ Body: string }>(
    '/gatekeeper/research/inclusions',
    {
      bodyLimit,
      ...limited,
      errorHandler: refuse,
      schema: {
        summary: 'Tell a patient which released research answers included them (never the answers)',
        description:
          "Body: a compact ES256 JWS signed by the relationship's patient with claims {rel, aud, iat, exp, jti}. " +
          'Kept at this gatekeeper only, never on the ledger. With `Accept: application/jose` the answer is a compact JWE ' +
          '(ECDH-ES, A256GCM, cty medrec-inclusions+json, jti of the request) sealed to the key of the x5c certificate.',
        tags: ['gatekeeper', 'research'],
        consumes: ['application/jose'],
        body,
        response: { 200: Inclusions, '4xx': ProblemSchema, '5xx': ProblemSchema },
      },
    },
    async (request, reply) => {
      const verified = await verify(request, parseInclusionClaims);
      const inclusions = await runtime.researchGatekeeper.inclusionsFor(verified);
      await served(request, 'INCLUSIONS_LISTED', null);
      if (!wantsSealed(request.headers.accept)) return { inclusions };
      return reply.type(JOSE_MEDIA_TYPE).send(await sealTo({ inclusions }, SEALED_INCLUSIONS_CTY, verified.certificate, verified.claims.jti));
    },
  );
}
