import type { MedrecClient } from '../contract/client.js';
import type { ServerCredentials } from '../adapters/identity/embedded/tls-ca.js';
import type { GatekeeperTransport } from '../services/gatekeeper/transport.js';
import type { RateLimits } from './plugins/limits.js';
import type { TrustStore } from '../pki/trust-store.js';
import type { ExternalIds } from '../services/registrar/external-ids.js';
import type { IndexKeys } from '../services/registrar/index-keys.js';
import type { IndexRotation } from '../services/registrar/rotation.js';
import type { EhrStore } from '../ports/ehr.js';
import type { LedgerPort, Signer } from '../ports/ledger.js';
import type { StaffAdministration } from '../services/admin/staff.js';
import type { AccountStore } from '../services/accounts/accounts.js';
import type { DeviceAuth } from '../services/accounts/device.js';
import type { LoginService } from '../services/accounts/login.js';
import type { PasswordChange } from '../services/accounts/password-change.js';
import type { KeySealer } from '../services/accounts/sealer.js';
import type { LoginThrottleSettings } from '../services/accounts/throttle.js';
import type { AnchorOptions } from '../services/audit/anchor.js';
import type { AuditLog } from '../services/audit/log.js';
import type { ActivationService } from '../services/enrolment/activation.js';
import type { EnrolmentService } from '../services/enrolment/enroll.js';
import type { IdempotencyStore } from '../services/idempotency/store.js';
import type { ShareCodeStore } from '../services/sharing/share-codes.js';
import type { NotificationStore } from '../services/notifications/store.js';
import type { RecordService } from '../services/records/records.js';
import type { PointerWatcher } from '../services/records/watcher.js';
import type { PatientLinks } from '../services/relationships/links.js';
import type { RelationshipService } from '../services/relationships/relationships.js';
import type { ResearchGatekeeper } from '../services/research/gatekeeper.js';
import type { ResearchService } from '../services/research/service.js';
import type { PanelOnboarding } from '../services/onboarding/onboarding.js';
import type { CustodialDelegates } from '../services/custodial/delegates.js';
import type { OfflineTransactions } from '../services/transactions/offline.js';

/** Who this gateway is; `publicUrl` may be settled only after listen (port 0), so it is read on use. */
export interface HospitalIdentity {
  mspId: string;
  name: string;
  host: string;
  port: number;
  publicUrl: string;
}

export interface HttpSettings {
  jwtSecret: string;
  sessionTtlSeconds: number;
  bodyLimitBytes: number;
  /** certificates whose verified chain the gatekeeper keeps (default DEFAULT_CERTIFICATE_CACHE_SIZE) */
  certificateCacheSize?: number;
  logLevel: string;
  loginThrottle: LoginThrottleSettings;
  rateLimits: RateLimits;
  /** The ledger's channel and chaincode names (told to a person at activation). */
  channel: string;
  chaincode: string;
  /** when the gatekeeper's audit log is anchored; false: someone else anchors it */
  anchoring?: Pick<AnchorOptions, 'everyRecords' | 'intervalMs' | 'retryMs'> | false;
  /** how often the pointer watcher reads the EHR's changes, ms; false: it does not poll */
  changePollMs: number | false;
}

/**
 * Everything one hospital's HTTP app serves from, built once by the composition root
 * (src/system): the ports it probes, the services its routes call, the stores its plugins read.
 */
export interface HospitalRuntime {
  hospital: HospitalIdentity;
  settings: HttpSettings;
  ledger: LedgerPort;
  ehr: EhrStore;
  client: MedrecClient;
  records: RecordService;
  links: PatientLinks;
  accounts: AccountStore;
  login: LoginService;
  passwords: PasswordChange;
  sealer: KeySealer;
  notifications: NotificationStore;
  /** Idempotency-Key answers, replayed to a client's retry. */
  idempotency: IdempotencyStore;
  /** The app's share codes (gateway.db: they survive a restart). */
  shareCodes: ShareCodeStore;
  enrolment: EnrolmentService;
  /** One-time activation codes: how people are enrolled and set their own password. */
  activations: ActivationService;
  relationships: RelationshipService;
  /** The channel members' CAs and CRLs, from the ledger's configuration, kept current. */
  trust: TrustStore;
  audit: AuditLog;
  /** Research as users act on it (consents, studies, collection, bounties) and as the gatekeeper answers it. */
  research: ResearchService;
  researchGatekeeper: ResearchGatekeeper;
  /** This hospital's records-service identity (role provider): only the gatekeeper's checkAccess and anchors use it. */
  service: Signer;
  /** Keeps this hospital's pointers on the ledger following its EHR. */
  pointers: PointerWatcher;
  /** The hospital admin's work: staff accounts, certificate revocation, the records service's rotation. */
  staff: StaffAdministration;
  /** Logins and certificate lookups of identities whose key is on the person's device. */
  devices: DeviceAuth;
  /** Transactions signed on the person's device, pending between their steps. */
  offline: OfflineTransactions;
  /** This hospital's external-id index key: its own people's ledger index entries, other hospitals' blinded lookups. */
  indexKeys: IndexKeys;
  /** The rotation of that key (docs/privacy.md §2): the hospital admin's. */
  indexRotation: IndexRotation;
  /** Finding a participant from an external id, here or at its home (docs/privacy.md §2). */
  externalIds: ExternalIds;
  /** How this gateway reaches other hospitals' gatekeepers (HTTPS trusting the channel's TLS roots) and how long it waits. */
  gatekeepers: GatekeeperTransport;
  /** The gateway's HTTPS server certificate and key; undefined: plain HTTP (configuration tls: false). */
  tls?: ServerCredentials;
  /** Patient panels onboarded by the hospital admin (docs/onboarding.md). */
  panels: PanelOnboarding;
  /** The delegates this home holds for its password patients (docs/privacy.md §3). */
  custodial: CustodialDelegates;
}
