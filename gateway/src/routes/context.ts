import type { AccountStore } from '../auth/accounts.js';
import type { KeySealer } from '../auth/sealer.js';
import type { LoginThrottle } from '../auth/throttle.js';
import type { HospitalConfig } from '../config/config.js';
import type { RecordService } from '../ehr/records.js';
import type { PatientLinks } from '../links.js';
import type { NotificationFeed } from '../notifications/feed.js';
import type { NotificationStore } from '../notifications/store.js';
import type { IdentityPort } from '../ports/identity.js';
import type { LedgerPort } from '../ports/ledger.js';

/** What the REST routes of one hospital work with. */
export interface RouteContext {
  hospital: HospitalConfig;
  ledger: LedgerPort;
  identity: IdentityPort;
  records: RecordService;
  links: PatientLinks;
  accounts: AccountStore;
  sealer: KeySealer;
  notifications: NotificationStore;
  feed: NotificationFeed;
  /** HMAC key for external id hashes (consortium-wide). */
  consortiumKey: string;
  /** Failed-login counts of this gateway (in memory). */
  loginThrottle: LoginThrottle;
}
