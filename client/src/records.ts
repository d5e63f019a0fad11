/**
 * `@medrec/client/records`: what the device and the gateway must compute byte for byte the same —
 * canonical JSON, the ledger pointer's hash, the gatekeeper answer's shape and the requester's check.
 * Browser-safe and small (no wallet, no Fabric protos), so the gateway can import it alone.
 */
export { canonicalJson } from './canonical.js';
export { hashResources, type FhirResource } from './fhir/hash.js';
export { checkRecords, isGatekeeperAnswer, type GatekeeperAnswer, type RecordCheck } from './gatekeeper/answer.js';
