import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AccountStore } from './auth/accounts.js';
import type { KeySealer } from './auth/sealer.js';
import type { GatewayConfig, HospitalConfig } from './config/config.js';
import { persistentSecret } from './config/secrets.js';
import type { AuditLog } from './audit/log.js';
import type { RecordService } from './ehr/records.js';
import type { TrustStore } from './gatekeeper/trust.js';
import { PatientLinks } from './links.js';
import { NotificationStore } from './notifications/store.js';
import type { EhrStore } from './ports/ehr.js';
import type { IdentityPort } from './ports/identity.js';
import type { LedgerPort, Signer } from './ports/ledger.js';

export interface RuntimeSettings {
  consortiumKey: string;
  jwtSecret: string;
  sessionTtlSeconds: number;
  bodyLimitBytes: number;
  logLevel: string;
}

/** Everything one hospital's gateway runs on (docs/DESIGN.md "Gateway internals"). */
export interface HospitalRuntime {
  config: HospitalConfig;
  settings: RuntimeSettings;
  ledger: LedgerPort;
  identity: IdentityPort;
  ehr: EhrStore;
  records: RecordService;
  /** gateway.db: accounts, sealed keys, patient links, notifications, event checkpoint, audit log. */
  db: Database.Database;
  links: PatientLinks;
  accounts: AccountStore;
  sealer: KeySealer;
  notifications: NotificationStore;
  /** The channel members' CAs, for the gatekeeper's signature checks. */
  trust: TrustStore;
  audit: AuditLog;
  /** This hospital's records-service identity (role provider): only the gatekeeper's checkAccess uses it. */
  service: Signer;
}

/** gateway.db of one hospital, WAL so that readers never wait for the audit log's fsyncs. */
export function openGatewayDb(hospital: HospitalConfig): Database.Database {
  mkdirSync(hospital.dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(hospital.dataDir, 'gateway.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  return db;
}

export function settingsFor(config: GatewayConfig, hospital: HospitalConfig): RuntimeSettings {
  return {
    consortiumKey: persistentSecret(join(config.dataDir, 'consortium.key'), config.consortiumKey),
    jwtSecret: persistentSecret(join(hospital.dataDir, 'jwt.secret'), hospital.jwtSecret),
    sessionTtlSeconds: config.sessionTtlSeconds,
    bodyLimitBytes: config.bodyLimitBytes,
    logLevel: config.logLevel,
  };
}

/** The gateway-local stores over gateway.db. */
export function localStores(db: Database.Database) {
  return {
    accounts: new AccountStore(db),
    links: new PatientLinks(db),
    notifications: new NotificationStore(db),
  };
}
