/**
 * Everything the client's tests take from the gateway, in one place: its built dist (never in the
 * library), so the device's output is checked by the very code that will verify it.
 */
export { createRoot, generateKeys, issueClient } from '@medrec/gateway/dist/src/adapters/identity/embedded/certificates.js';
export { decodeSignedProposal } from '@medrec/gateway/dist/src/adapters/ledger/embedded/proposal.js';
export { verifyLowS } from '@medrec/gateway/dist/src/adapters/ledger/embedded/signature.js';
export { Membership } from '@medrec/gateway/dist/src/adapters/ledger/embedded/membership.js';
export { RequestVerifier } from '@medrec/gateway/dist/src/gatekeeper/signed-request.js';
export { ReplayCache } from '@medrec/gateway/dist/src/gatekeeper/replay.js';
export { TrustStore } from '@medrec/gateway/dist/src/gatekeeper/trust.js';
export { hashResources as gatewayHashResources } from '@medrec/gateway/dist/src/ehr/records.js';
export { generateDataset } from '@medrec/gateway/dist/src/ehr/seed/seed.js';
export { rowToResource } from '@medrec/gateway/dist/src/ehr/to-fhir.js';
export { loadHospitalMapping } from '@medrec/gateway/dist/src/ehr/hospitals.js';
