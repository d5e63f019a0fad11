import type { FastifyInstance } from 'fastify';
import { answerAuditQuery } from '../../services/gatekeeper/audit-answer.js';
import { AUDIT_QUERY, type AuditQueryClaims } from '../../services/gatekeeper/audit-claims.js';
import { AuditAnswerSchema } from '../audit-schemas.js';
import type { HospitalRuntime } from '../runtime.js';
import { signedScope } from '../signed-routes.js';

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
  const deps = { ...runtime, mspId: runtime.hospital.mspId, participants: new Map<string, string>() };
  await signedScope<AuditQueryClaims>(
    app,
    {
      runtime,
      route: 'audit',
      bodyLimit: BODY_LIMIT,
      // One record per relationship the query names (one without a relationship when it names none).
      subjects: ({ claims }) =>
        (claims?.rels.length ? claims.rels : [null]).map((relationshipId) => ({ relationshipId, category: claims ? 'AuditEvent' : null, fields: null })),
    },
    ({ route }) =>
      route({
        url: '/gatekeeper/audit',
        kind: AUDIT_QUERY,
        limit: 'gatekeeperAudit',
        schema: {
          summary: "Read this hospital's gatekeeper access log (a signed audit query)",
          description:
            "Body: a compact ES256 JWS (application/jose), header {alg: ES256, typ: medrec-audit+jws, x5c: [the requester's certificate]}, " +
            'claims exactly {rels, requester, since, until, before, limit, aud, iat, exp, jti} (null: no filter). A patient names their ' +
            "relationships (each checked on the ledger); an auditor of any member hospital reads every record. Newest first; `next` is the next page's `before`. " +
            'Every query signed with a valid certificate is itself audited.',
          tags: ['gatekeeper', 'audit'],
          answer: AuditAnswerSchema,
        },
        answer: async (verified) => {
          const answer = await answerAuditQuery(deps, verified);
          return { decision: answer.access, body: answer };
        },
      }),
  );
}
