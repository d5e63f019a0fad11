import { badRequest } from '../problem.js';
import { claimObject, envelope, type EnvelopeClaims } from '../gatekeeper/claims.js';

/**
 * Research requests to a gatekeeper, in the data requests' format (compact ES256 JWS, x5c, aud, iat,
 * exp ≤ 120 s, jti; services/gatekeeper/signed-request.ts) with their own claims. Each route accepts
 * exactly its own claim set, so no request of one kind is read as another.
 */

const HEX64 = /^[0-9a-f]{64}$/;

/** A researcher's (or steward's) request for this hospital's answer to a study or bounty. */
export interface ResearchClaims extends EnvelopeClaims {
  query: string;
}

/** A patient's request for the research answers that included them, on one relationship. */
export interface InclusionClaims extends EnvelopeClaims {
  rel: string;
}

export function parseResearchClaims(payload: unknown, audience: string, nowSeconds: number): ResearchClaims {
  const p = claimObject(payload, ['query', 'aud', 'iat', 'exp', 'jti']);
  if (typeof p['query'] !== 'string' || !HEX64.test(p['query'])) throw badRequest('INVALID_QUERY_ID', 'query must be a study or bounty id (64 lowercase hex)');
  return { query: p['query'], ...envelope(p, audience, nowSeconds) };
}

export function parseInclusionClaims(payload: unknown, audience: string, nowSeconds: number): InclusionClaims {
  const p = claimObject(payload, ['rel', 'aud', 'iat', 'exp', 'jti']);
  if (typeof p['rel'] !== 'string' || !HEX64.test(p['rel'])) throw badRequest('INVALID_RELATIONSHIP_ID', 'rel must be a relationship id (64 lowercase hex)');
  return { rel: p['rel'], ...envelope(p, audience, nowSeconds) };
}
