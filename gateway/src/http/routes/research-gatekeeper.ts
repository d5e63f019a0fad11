import { REQUEST_TYP, SEALED_INCLUSIONS_CTY } from '@medrec/client/protocol';
import { parseInclusionClaims, parseResearchClaims } from '../../services/research/claims.js';
import { Inclusions, ReleasedAnswer } from '../research-schemas.js';
import type { HospitalRuntime } from '../runtime.js';
import type { SignedScope } from '../signed-routes.js';
import type { ProvenClaims } from './gatekeeper.js';

/**
 * The research side of the Database Gatekeeper (docs/research.md), in the data requests' signed scope
 * (one verifier, one replay cache, one audit path, the same limits): POST /gatekeeper/research answers
 * a study or bounty for its owner; POST /gatekeeper/research/inclusions tells a patient which released
 * answers included them. Both take the data requests' typ: each route accepts exactly its own claim
 * set, so no kind passes for another.
 */
export function researchGatekeeperRoutes(route: SignedScope<ProvenClaims>['route'], runtime: HospitalRuntime): void {
  route({
    url: '/gatekeeper/research',
    kind: { typ: REQUEST_TYP, parse: parseResearchClaims },
    limit: 'gatekeeperCertificate',
    schema: {
      summary: "Answer a study or bounty for its owner, over this hospital's consenting patients, after disclosure control",
      description:
        'Body: a compact ES256 JWS (application/jose) signed by the researcher (or steward) with claims {query, aud, iat, exp, jti}, ' +
        'header x5c = [certificate]. The release is recorded on the ledger (hash, epsilon, cells) before the answer is sent; ' +
        'a second collection is refused (409 ALREADY_RELEASED).',
      tags: ['gatekeeper', 'research'],
      answer: ReleasedAnswer,
    },
    answer: async (verified) => ({ decision: 'RESEARCH_RELEASED', body: await runtime.researchGatekeeper.answer(verified) }),
  });

  route({
    url: '/gatekeeper/research/inclusions',
    kind: { typ: REQUEST_TYP, parse: parseInclusionClaims },
    limit: 'gatekeeperCertificate',
    schema: {
      summary: 'Tell a patient which released research answers included them (never the answers)',
      description:
        "Body: a compact ES256 JWS signed by the relationship's patient with claims {rel, aud, iat, exp, jti}. " +
        'Kept at this gatekeeper only, never on the ledger. With `Accept: application/jose` the answer is a compact JWE ' +
        '(ECDH-ES, A256GCM, cty medrec-inclusions+json, jti of the request) sealed to the key of the x5c certificate.',
      tags: ['gatekeeper', 'research'],
      answer: Inclusions,
    },
    sealedCty: SEALED_INCLUSIONS_CTY,
    answer: async (verified) => ({ decision: 'INCLUSIONS_LISTED', body: { inclusions: await runtime.researchGatekeeper.inclusionsFor(verified) } }),
  });
}
