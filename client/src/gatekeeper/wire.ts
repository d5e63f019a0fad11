/**
 * The fixed parts of a signed gatekeeper request, shared by the device (request.ts) and the
 * gatekeeper that verifies it (the gateway imports them through @medrec/client/protocol).
 */
/** The `typ` the gatekeeper requires, so no other ES256 token of the same key passes for a request. */
export const REQUEST_TYP = 'medrec-request+jws';
/** Media type of a compact JWS (RFC 7515 §9.2.1): the body of POST /gatekeeper/query. */
export const JOSE_MEDIA_TYPE = 'application/jose';
export const DEFAULT_LIFETIME_SECONDS = 60;
/** The longest `exp - iat` the gatekeeper accepts. */
export const MAX_LIFETIME_SECONDS = 120;
