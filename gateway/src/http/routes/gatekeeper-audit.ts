import fastifyRateLimit from '@fastify/rate-limit';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEntry } from '../../services/audit/record.js';
import { answerAuditQuery, type AuditAnswer } from '../../services/gatekeeper/audit-answer.js';
import { AUDIT_QUERY, type AuditQueryClaims } from '../../services/gatekeeper/audit-claims.js';
import { ReplayCache } from '../../services/gatekeeper/replay.js';
import { JOSE_MEDIA_TYPE, RequestVerifier, type VerifiedToken } from '../../services/gatekeeper/signed-request.js';
import { Problem } from '../../services/problem.js';
import { AuditAnswerSchema } from '../audit-schemas.js';
import { JWS_PATTERN } from '../gatekeeper-schemas.js';
import { sendProblem, toProblem } from '../plugins/errors.js';
import type { HospitalRuntime } from '../runtime.js';
import { Problem as ProblemSchema } from '../schemas.js';

/** the largest signed audit query: 64 relationship ids and a certificate fit in well under 16 KiB */
const BODY_LIMIT = 16 * 1024;

export interface Budget {
  max: number;
  windowSeconds: number;
}

/** How many audit queries this route answers per window: per certificate once verified, per address before. */
export interface AuditRouteLimits {
  certificate: Budget;
  unverifiedAddress: Budget;
}

export const AUDIT_ROUTE_LIMITS: AuditRouteLimits = {
  // A patient's "who looked" page asks each holding gatekeeper once per page; auditors page through logs.
  certificate: { max: 120, windowSeconds: 60 },
  unverifiedAddress: { max: 60, windowSeconds: 60 },
};

/**
 * POST /gatekeeper/audit: a signed query of this hospital's access log (docs/fhir.md, "Access as
 * AuditEvent"). Signed by the requester's own key exactly like a data request, with its own `typ`;
 * verified the same way (channel CA, CRL, validity, signature, audience, lifetime, replay). The
 * query is itself audited, one record per relationship it names (category `AuditEvent`), so a
 * patient sees who read their access log; refused queries too. No record, no answer. Rate-limited
 * per certificate once verified and per address before (AUDIT_ROUTE_LIMITS); 16 KiB at most.
 */
export default async function gatekeeperAudit(
  app: FastifyInstance,
  opts: { runtime: HospitalRuntime; limits?: AuditRouteLimits },
): Promise<void> {
  const { runtime } = opts;
  const limits = opts.limits ?? AUDIT_ROUTE_LIMITS;
  const { audit, hospital } = runtime;
  const replay = new ReplayCache(audit.liveJtis(Math.floor(Date.now() / 1000)));
  const verifier = new RequestVerifier(runtime.trust, replay, () => new URL(hospital.publicUrl).origin);
  const proven = new WeakMap<FastifyRequest, Partial<VerifiedToken<AuditQueryClaims>>>();
  const deps = { ...runtime, mspId: hospital.mspId, participants: new Map<string, string>() };

  /** One record per relationship the query names (one without a relationship when it names none). */
  const audited = async (request: FastifyRequest, decision: string, status: number) => {
    const seen = proven.get(request) ?? {};
    const rels = seen.claims?.rels.length ? seen.claims.rels : [null];
    const at = new Date().toISOString();
    await Promise.all(
      rels.map((relationshipId) => {
        const entry: AuditEntry = {
          at,
          requester: seen.identityId ?? null,
          mspId: seen.mspId ?? null,
          role: seen.role ?? null,
          relationshipId,
          category: seen.claims ? 'AuditEvent' : null,
          fields: null,
          decision,
          status,
          hashMatches: null,
          jti: seen.claims?.jti ?? null,
          exp: seen.claims?.exp ?? null,
        };
        return audit.append(entry);
      }),
    );
  };

  const refuse = async (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const problem =
      (err as FastifyError).validation !== undefined ? new Problem(400, 'MALFORMED_REQUEST', 'the body must be one compact JWS') : toProblem(err);
    if (problem.status >= 500) request.log.error({ err, code: problem.code }, 'audit query failed');
    // Over budget: refused before any work, and not audited, so a flood cannot grow the log (or the ledger's anchors).
    if (problem.code === 'RATE_LIMITED') return sendProblem(reply, request, problem);
    if (proven.get(request)?.identityId === undefined) await limited(request, 'unverifiedAddress', request.ip, true).catch(() => undefined);
    try {
      await audited(request, problem.code, problem.status);
    } catch (auditErr) {
      request.log.error({ err: auditErr }, 'audit log write failed');
      return sendProblem(reply, request, new Problem(503, 'AUDIT_UNAVAILABLE', 'the audit log cannot be written'));
    }
    return sendProblem(reply, request, problem);
  };

  let limited: (request: FastifyRequest, name: keyof AuditRouteLimits, key: string, count: boolean) => Promise<void> = async () => undefined;

  await app.register(async (scope) => {
    // @fastify/rate-limit (in memory, per process); a gateway that already registered it for the whole app shares its store.
    if (!scope.hasDecorator('createRateLimit')) await scope.register(fastifyRateLimit, { global: false });
    const keys = new WeakMap<FastifyRequest, string>();
    const checks = {
      certificate: scope.createRateLimit({ max: limits.certificate.max, timeWindow: limits.certificate.windowSeconds * 1000, keyGenerator: (r) => keys.get(r)! }),
      unverifiedAddress: scope.createRateLimit({
        max: limits.unverifiedAddress.max,
        timeWindow: limits.unverifiedAddress.windowSeconds * 1000,
        keyGenerator: (r) => keys.get(r)!,
      }),
    };
    limited = async (request, name, key, count) => {
      keys.set(request, `audit-${name}:${key}`);
      const result = await checks[name](request, { increment: count });
      if (!result.isAllowed && (count ? result.isExceeded : result.remaining <= 0)) {
        throw new Problem(429, 'RATE_LIMITED', `too many audit queries; try again in ${Math.max(1, result.ttlInSeconds)} s`, { limit: name });
      }
    };

    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(JOSE_MEDIA_TYPE, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

    scope.post<{ Body: string }>(
      '/gatekeeper/audit',
      {
        bodyLimit: BODY_LIMIT,
        // An address that sent too many unverified queries is refused before its body is read.
        onRequest: async (request) => limited(request, 'unverifiedAddress', request.ip, false),
        errorHandler: refuse,
        schema: {
          summary: "Read this hospital's gatekeeper access log (a signed audit query)",
          description:
            "Body: a compact ES256 JWS (application/jose), header {alg: ES256, typ: medrec-audit+jws, x5c: [the requester's certificate]}, " +
            'claims exactly {rels, requester, since, until, before, limit, aud, iat, exp, jti} (null: no filter). A patient names their ' +
            "relationships (each checked on the ledger); an auditor of any member hospital reads every record. Newest first; `next` is the next page's `before`. " +
            'Every query is itself audited.',
          tags: ['gatekeeper', 'audit'],
          consumes: [JOSE_MEDIA_TYPE],
          body: Type.String({ pattern: JWS_PATTERN, maxLength: BODY_LIMIT }),
          response: { 200: AuditAnswerSchema, '4xx': ProblemSchema, '5xx': ProblemSchema },
        },
      },
      async (request): Promise<AuditAnswer> => {
        const seen: Partial<VerifiedToken<AuditQueryClaims>> = {};
        proven.set(request, seen);
        const verified = await verifier.verifyToken(request.body, AUDIT_QUERY, seen);
        await limited(request, 'certificate', verified.identityId, true);
        const answer = await answerAuditQuery(deps, verified);
        try {
          await audited(request, answer.access, 200);
        } catch (auditErr) {
          request.log.error({ err: auditErr }, 'audit log write failed');
          throw new Problem(503, 'AUDIT_UNAVAILABLE', 'the audit log cannot be written');
        }
        return answer;
      },
    );
  });
}
