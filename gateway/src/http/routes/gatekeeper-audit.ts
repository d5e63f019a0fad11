import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditEntry } from '../../services/audit/record.js';
import { answerAuditQuery, type AuditAnswer } from '../../services/gatekeeper/audit-answer.js';
import { AUDIT_QUERY, type AuditQueryClaims } from '../../services/gatekeeper/audit-claims.js';
import { ReplayCache } from '../../services/gatekeeper/replay.js';
import { JOSE_MEDIA_TYPE, RequestVerifier, type VerifiedToken } from '../../services/gatekeeper/signed-request.js';
import { Problem } from '../../services/problem.js';
import { AuditAnswerSchema } from '../audit-schemas.js';
import { JWS_PATTERN } from '../gatekeeper-schemas.js';
import { gatekeeperRefusals } from '../gatekeeper-refusals.js';
import type { HospitalRuntime } from '../runtime.js';
import { Problem as ProblemSchema } from '../schemas.js';

/** the largest signed audit query: 64 relationship ids and a certificate fit in well under 16 KiB */
const BODY_LIMIT = 16 * 1024;

/**
 * POST /gatekeeper/audit: a signed query of this hospital's access log (docs/fhir.md, "Access as
 * AuditEvent"). Signed by the requester's own key exactly like a data request, with its own `typ`;
 * verified the same way (channel CA, CRL, validity, signature, audience, lifetime, replay). The
 * query is itself audited, one record per relationship it names (category `AuditEvent`), so a
 * patient sees who read their access log; refused queries signed with a valid certificate too (the
 * rest are counted, not audited: gatekeeper-refusals.ts). No record, no answer. Rate-limited per
 * certificate once verified (`gatekeeperAudit`) and per address before (`gatekeeperUnverified`,
 * shared with /gatekeeper/query); 16 KiB at most.
 */
export default async function gatekeeperAudit(app: FastifyInstance, opts: { runtime: HospitalRuntime }): Promise<void> {
  const { runtime } = opts;
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

  const refuse = gatekeeperRefusals(app, {
    route: 'audit',
    verified: (request) => proven.get(request)?.identityId !== undefined,
    audit: (request, problem) => audited(request, problem.code, problem.status),
  });

  // Its own scope: the only body this route parses is a compact JWS; JSON and the rest get 415.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(JOSE_MEDIA_TYPE, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

    scope.post<{ Body: string }>(
      '/gatekeeper/audit',
      {
        bodyLimit: BODY_LIMIT,
        config: { limit: 'gatekeeper' },
        // An address that sent too many unverified requests is refused before its body is read.
        onRequest: async (request) => app.rateLimited('gatekeeperUnverified', request, { count: false }),
        errorHandler: refuse,
        schema: {
          summary: "Read this hospital's gatekeeper access log (a signed audit query)",
          description:
            "Body: a compact ES256 JWS (application/jose), header {alg: ES256, typ: medrec-audit+jws, x5c: [the requester's certificate]}, " +
            'claims exactly {rels, requester, since, until, before, limit, aud, iat, exp, jti} (null: no filter). A patient names their ' +
            "relationships (each checked on the ledger); an auditor of any member hospital reads every record. Newest first; `next` is the next page's `before`. " +
            'Every query signed with a valid certificate is itself audited.',
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
        await app.rateLimited('gatekeeperAudit', request, { key: verified.identityId });
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
