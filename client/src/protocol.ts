/**
 * `@medrec/client/protocol`: what the device and the gateway must compute or expect byte for byte the
 * same — canonical JSON, the ledger pointer's hash, the gatekeeper answer's shape and the requester's
 * check of it, the signed request's fixed parts. Browser-safe and small (no wallet, no Fabric protos),
 * so the gateway imports it alone: one implementation on both sides.
 */
export { canonicalJson } from './canonical.js';
export { canonicalResources, hashResources, sha256Hex, type FhirResource, type Sha256Hex } from './fhir/hash.js';
export { checkRecords, isGatekeeperAnswer, type GatekeeperAnswer, type RecordCheck } from './gatekeeper/answer.js';
export { DEFAULT_LIFETIME_SECONDS, JOSE_MEDIA_TYPE, LOGIN_TYP, MAX_LIFETIME_SECONDS, RECOVER_TYP, REQUEST_TYP, SEALED_ANSWER_CTY, SEALED_INCLUSIONS_CTY } from './gatekeeper/wire.js';
export {
  answerHash,
  combineAnswers,
  isReleasedAnswer,
  type AnswerCell,
  type CellKey,
  type CombinedAnswer,
  type CombinedCell,
  type NoiseReport,
  type ReleasedAnswer,
  type ReleasedCell,
  type ResearchAnswer,
  type SuppressedCell,
} from './research/answer.js';
export { blindLookup, EXTERNAL_ID_LOOKUP_TYP, POINT_B64, type BlindedLookup } from './registrar/external-id.js';
export { IndexKey, type EcdhX } from './registrar/index-key.js';
