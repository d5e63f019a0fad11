import { rolesFor } from '@medrec/chaincode/domain';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { badRequest, forbidden } from '../../services/problem.js';
import { EXTERNAL_ID_LOOKUP, type LookupClaims } from '../../services/registrar/lookup-claims.js';
import type { HospitalRuntime } from '../runtime.js';
import { signedScope } from '../signed-routes.js';

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
  const { runtime } = opts;
  const allowed = rolesFor('Registrar.resolve') ?? [];
  await signedScope<LookupClaims>(
    app,
    { runtime, route: 'external-id', bodyLimit: BODY_LIMIT, subjects: () => [{ relationshipId: null, category: LOOKUP_CATEGORY, fields: null }] },
    ({ route }) =>
      route({
        url: '/gatekeeper/external-id',
        kind: EXTERNAL_ID_LOOKUP,
        limit: 'externalIdLookup',
        authorize: (verified) => {
          if (!allowed.includes(verified.role as never)) throw forbidden('ROLE_NOT_ALLOWED', 'only registrars, providers and auditors may look up external ids');
        },
        schema: {
          summary: "Evaluate this hospital's external-id index key on a blinded id (RFC 9497 OPRF)",
          description:
            "Body: a compact ES256 JWS (application/jose), header {alg: ES256, typ: medrec-extid+jws, x5c: [the requester's certificate]}, " +
            'claims exactly {blinded, aud, iat, exp, jti}. The requester unblinds the answer into the ledger index key of the id it ' +
            'holds (Registrar.resolve). Only registrars, providers and auditors; audited and rate-limited per certificate.',
          tags: ['gatekeeper', 'registrar'],
          answer: Type.Object({
            evaluated: Type.String(),
            previous: Type.Optional(Type.String({ description: "while this hospital rotates its index key: the old key's evaluation (try it after `evaluated`)" })),
          }),
        },
        answer: async (verified) => {
          try {
            const [current, previous] = runtime.indexKeys.all().map((key) => key.evaluate(verified.claims.blinded));
            return { decision: 'evaluated', body: { evaluated: current!, ...(previous ? { previous } : {}) } };
          } catch (err) {
            throw badRequest('INVALID_BLINDED_ELEMENT', (err as Error).message);
          }
        },
      }),
  );
}
