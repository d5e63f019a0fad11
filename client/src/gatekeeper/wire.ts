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
/** The `typ` of a device's login token (POST /auth/device): no request passes for a login, nor a login for a request. */
export const LOGIN_TYP = 'medrec-login+jws';
/** The `typ` of a recovered device's proof of its key (POST /device/certificates/lookup). */
export const RECOVER_TYP = 'medrec-recover+jws';
/** `cty` of a sealed gatekeeper answer (the JWE's protected header): its plaintext is the answer's JSON. */
export const SEALED_ANSWER_CTY = 'medrec-answer+json';
/** `cty` of a sealed inclusions answer: its plaintext is {inclusions: [{queryId, kind, releasedAt}]}. */
export const SEALED_INCLUSIONS_CTY = 'medrec-inclusions+json';
