/**
 * Everything the client's tests take from the gateway, in one place: its built dist (never in the
 * library), so the device's output is checked by the very code that will verify it.
 */
export { createRoot, generateKeys, issueClient } from '@medrec/gateway/dist/src/adapters/identity/embedded/certificates.js';
export { decodeSignedProposal } from '@medrec/gateway/dist/src/adapters/ledger/embedded/proposal.js';
export { verifyLowS } from '@medrec/gateway/dist/src/pki/ecdsa.js';
export { TrustStore } from '@medrec/gateway/dist/src/pki/trust-store.js';
export { RequestVerifier } from '@medrec/gateway/dist/src/services/gatekeeper/signed-request.js';
export { ReplayCache } from '@medrec/gateway/dist/src/services/gatekeeper/replay.js';
export { hashResources as gatewayHashResources } from '@medrec/gateway/dist/src/services/records/records.js';
export { rowToResource } from '@medrec/gateway/dist/src/services/records/to-fhir.js';
export { loadHospitalMapping } from '@medrec/gateway/dist/src/services/records/hospitals.js';
export { generateDataset } from '@medrec/gateway/dist/demo/seed/seed.js';
