import { EXTERNAL_ID_LOOKUP_TYP, POINT_B64 } from '@medrec/client/protocol';
import { badRequest } from '../problem.js';
import { claimObject, envelope, type Envelope } from '../gatekeeper/claims.js';
import type { TokenKind } from '../gatekeeper/signed-request.js';

/** A blinded external-id lookup (POST /gatekeeper/external-id): exactly `{blinded, aud, iat, exp, jti}`. */
export interface LookupClaims extends Envelope {
  /** RFC 9497 blinded element, a compressed P-256 point in base64url: it reveals nothing of the id */
  blinded: string;
}

export function parseLookupClaims(payload: unknown, audience: string, nowSeconds: number): LookupClaims {
  const p = claimObject(payload, ['blinded', 'aud', 'iat', 'exp', 'jti']);
  if (typeof p['blinded'] !== 'string' || !POINT_B64.test(p['blinded'])) {
    throw badRequest('INVALID_BLINDED_ELEMENT', 'blinded must be a compressed P-256 point in base64url');
  }
  return { blinded: p['blinded'], ...envelope(p, audience, nowSeconds) };
}

export const EXTERNAL_ID_LOOKUP: TokenKind<LookupClaims> = { typ: EXTERNAL_ID_LOOKUP_TYP, parse: parseLookupClaims };
