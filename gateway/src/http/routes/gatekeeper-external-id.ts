import { rolesFor } from '@medrec/chaincode/domain';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditEntry } from '../../services/audit/record.js';
import { ReplayCache } from '../../services/gatekeeper/replay.js';
import { JOSE_MEDIA_TYPE, RequestVerifier, type VerifiedToken } from '../../services/gatekeeper/signed-request.js';
import { Problem, badRequest, forbidden } from '../../services/problem.js';
import { EXTERNAL_ID_LOOKUP, type LookupClaims } from '../../services/registrar/lookup-claims.js';
import { JWS_PATTERN } from '../gatekeeper-schemas.js';
import { gatekeeperRefusals } from '../gatekeeper-refusals.js';
import type { HospitalRuntime } from '../runtime.js';
import { Problem as ProblemSchema } from '../schemas.js';

const BODY_LIMIT = 8 * 1024;
/** The audit record's category: one blinded evaluation of this hospital's external-id index key. */
export const LOOKUP_CATEGORY = 'ExternalIdLookup';

/**
 * POST /gatekeeper/external-id: another hospital's registrar, provider or auditor asks this home to
 * evaluate its external-id index key on a blinded id (docs/privacy.md §2). Signed by the asking
 * person's own key and verified like a data request (channel CA, CRL, validity, signature,
 * audience, lifetime, replay); the certificate's role must be one that may resolve. Each evaluation
 * is audited (who, when; the id is never seen) and rate-limited per certificate identity
 * (`externalIdLookup`): it is the only way to test a guess against this home's entries.
 */
export default async function gatekeeperExternalId(app: FastifyInstance, opts: { runtime: HospitalRuntime }): Promise<void> {
  const { audit, hospital, indexKey } = opts.runtime;
  const replay = new ReplayCache(audit.liveJtis(Math.floor(Date.now() / 1000)));
  const verifier = new RequestVerifier(opts.runtime.trust, replay, () => new URL(hospital.publicUrl).origin);
  const proven = new WeakMap<FastifyRequest, Partial<VerifiedToken<LookupClaims>>>();
  const allowed = rolesFor('Registrar.resolve') ?? [];

  const audited = async (request: FastifyRequest, decision: string, status: number) => {
    const seen = proven.get(request) ?? {};
    const entry: AuditEntry = {
      at: new Date().toISOString(),
      requester: seen.identityId ?? null,
      mspId: seen.mspId ?? null,
      role: seen.role ?? null,
      relationshipId: null,
      category: LOOKUP_CATEGORY,
      fields: null,
      decision,
      status,
      hashMatches: null,
      jti: seen.claims?.jti ?? null,
      exp: seen.claims?.exp ?? null,
    };
    await audit.append(entry);
  };
  const refuse = gatekeeperRefusals(app, {
    route: 'external-id',
    verified: (request) => proven.get(request)?.identityId !== undefined,
    audit: (request, problem) => audited(request, problem.code, problem.status),
  });

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(JOSE_MEDIA_TYPE, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.post<{ Body: string }>(
      '/gatekeeper/external-id',
      {
        bodyLimit: BODY_LIMIT,
        config: { limit: 'gatekeeper' },
        onRequest: async (request) => app.rateLimited('gatekeeperUnverified', request, { count: false }),
        errorHandler: refuse,
        schema: {
          summary: "Evaluate this hospital's external-id index key on a blinded id (RFC 9497 OPRF)",
          description:
            'Body: a compact ES256 JWS (application/jose), header {alg: ES256, typ: medrec-extid+jws, x5c: [the requester\'s certificate]}, ' +
            'claims exactly {blinded, aud, iat, exp, jti}. The requester unblinds the answer into the ledger index key of the id it ' +
            'holds (Registrar.resolve). Only registrars, providers and auditors; audited and rate-limited per certificate.',
          tags: ['gatekeeper', 'registrar'],
          consumes: [JOSE_MEDIA_TYPE],
          body: Type.String({ pattern: JWS_PATTERN, maxLength: BODY_LIMIT }),
          response: { 200: Type.Object({ evaluated: Type.String() }), '4xx': ProblemSchema, '5xx': ProblemSchema },
        },
      },
      async (request) => {
        const seen: Partial<VerifiedToken<LookupClaims>> = {};
        proven.set(request, seen);
        const verified = await verifier.verifyToken(request.body, EXTERNAL_ID_LOOKUP, seen);
        if (!allowed.includes(verified.role as never)) throw forbidden('ROLE_NOT_ALLOWED', 'only registrars, providers and auditors may look up external ids');
        await app.rateLimited('externalIdLookup', request, { key: verified.identityId });
        let evaluated: string;
        try {
          evaluated = indexKey.evaluate(verified.claims.blinded);
        } catch (err) {
          throw badRequest('INVALID_BLINDED_ELEMENT', (err as Error).message);
        }
        try {
          await audited(request, 'evaluated', 200);
        } catch (auditErr) {
          request.log.error({ err: auditErr }, 'audit log write failed');
          throw new Problem(503, 'AUDIT_UNAVAILABLE', 'the audit log cannot be written');
        }
        return { evaluated };
      },
    );
  });
}
