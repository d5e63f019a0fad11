/** @medrec/client — the patient's (and any viewer's) wallet. Runs in browsers and Node; Node-only parts are in `@medrec/client/node`. */
export { WalletError, type WalletErrorCode } from './errors.js';
export { Wallet, WalletIdentity, WalletVault, type Enrollment, type IdentityRecord } from './wallet.js';
export { newPhrase, isValidPhrase, seedFromPhrase, normalisePhrase } from './keys/mnemonic.js';
export { masterNode, childNode, derivePath, parsePath, formatPath, publicKeyOf, fingerprintOf, HARDENED, type Slip10Node } from './keys/slip10.js';
export { scopeUri, scopePath, slip13Path, type KeyScope } from './keys/scheme.js';
export { DeviceKey, type PublicJwk } from './keys/device-key.js';
export { createCsr, type CsrOptions } from './keys/csr.js';
export { DEFAULT_COST, type ScryptCost } from './storage/sealed.js';
export { IndexedDbStore, MemoryStore, type WalletStore } from './storage/store.js';
export {
  OfflineSigner,
  type OfflineSignerIdentity,
  type ProposalTicket,
  type Signed,
  type SignedTransaction,
  type TransactionIntent,
} from './fabric/offline-signer.js';
export {
  decodeProposedTransaction,
  decodePreparedTransaction,
  decodeCommitStatusRequest,
  type DecodedProposal,
  type DecodedTransaction,
  type DecodedCommitStatus,
} from './fabric/decode.js';
export {
  signRequest,
  signJws,
  freshClaims,
  REQUEST_TYP,
  JOSE_MEDIA_TYPE,
  type RequestSpec,
  type RequestClaims,
  type SignedRequest,
} from './gatekeeper/request.js';
export { openSealedAnswer, openSealedInclusions, SEALED_ANSWER_CTY, SEALED_INCLUSIONS_CTY, type Inclusion } from './gatekeeper/sealed.js';
export { canonicalJson, hashResources, checkRecords, isGatekeeperAnswer, type FhirResource, type GatekeeperAnswer, type RecordCheck } from './protocol.js';
export { GatewayClient, GatewayProblem, type ActivationInfo, type ActivationResult, type Prepared, type Endorsed, type Submitted, type Session } from './http/gateway-client.js';
export type { RelationshipView, SummaryEntry } from './http/views.js';
export {
  enrolByActivation,
  enrolDelegate,
  assertDelegateCode,
  assembleSummary,
  recoverEnrollment,
  recoverJws,
  enrollmentOf,
  login,
  signerFor,
  intentFor,
  submitTransaction,
  evaluateTransaction,
  fetchRecords,
  listRelationships,
  LOGIN_TYP,
  RECOVER_TYP,
  type TransactionOutcome,
  type FetchedRecords,
} from './flows.js';
export { researchOptIn, researchOptOut, researchInclusions, type ConsentTerms, type ConsentChange, type InclusionReport } from './research/consent.js';
