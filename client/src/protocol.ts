/**
 * `@medrec/client/protocol`: what the device and the gateway must compute or expect byte for byte the
 * same — canonical JSON, the ledger pointer's hash, the gatekeeper answer's shape and the requester's
 * check of it, the signed request's fixed parts. Browser-safe and small (no wallet, no Fabric protos),
 * so the gateway imports it alone: one implementation on both sides.
 */
export { canonicalJson } from './canonical.js';
export { hashResources, type FhirResource } from './fhir/hash.js';
export { checkRecords, isGatekeeperAnswer, type GatekeeperAnswer, type RecordCheck } from './gatekeeper/answer.js';
export { DEFAULT_LIFETIME_SECONDS, JOSE_MEDIA_TYPE, LOGIN_TYP, MAX_LIFETIME_SECONDS, RECOVER_TYP, REQUEST_TYP, SEALED_ANSWER_CTY } from './gatekeeper/wire.js';
