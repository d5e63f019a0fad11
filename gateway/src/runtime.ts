import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { contracts } from '@medrec/chaincode';
import Database from 'better-sqlite3';
import { openEhrStore } from './adapters/ehr/open.js';
import { EmbeddedCa } from './adapters/identity/embedded/index.js';
import { openEmbeddedLedger, type ChannelMember } from './adapters/ledger/embedded/index.js';
import { AuditLog } from './audit/log.js';
import { AccountStore } from './auth/accounts.js';
import { bootstrapHospital, serviceSigner, type DemoUser } from './auth/bootstrap.js';
import { vaultSealer, type KeySealer } from './auth/sealer.js';
import { ConfigError, type GatewayConfig, type HospitalConfig } from './config/config.js';
import { demoUsersFor } from './config/demo-users.js';
import { persistentSecret } from './config/secrets.js';
import { loadMapping } from './ehr/mapping.js';
import { RecordService } from './ehr/records.js';
import { seedHospital } from './ehr/seed/seed.js';
import { TrustStore } from './gatekeeper/trust.js';
import { PatientLinks } from './links.js';
import { NotificationStore } from './notifications/store.js';
import type { EhrStore } from './ports/ehr.js';
import type { Credentials, IdentityPort } from './ports/identity.js';
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

/** Both ends of a running MedRec installation: one ledger, one runtime per hospital. */
export interface MedrecSystem {
  config: GatewayConfig;
  ledger: LedgerPort;
  hospitals: HospitalRuntime[];
  /** Demo users created or reused per hospital (mspId → users), for the start-up printout. */
  demoUsers: Record<string, DemoUser[]>;
  close(): Promise<void>;
}

interface HospitalParts {
  config: HospitalConfig;
  identity: IdentityPort & { close?(): void };
  caAdmin: (accounts: AccountStore, sealer: KeySealer) => Promise<Credentials>;
  member: () => Promise<ChannelMember>;
}

const sealer = vaultSealer();

/** Adapters are chosen by name; the Fabric ones live in their own modules and load only when named. */
async function openIdentity(hospital: HospitalConfig): Promise<HospitalParts> {
  if (hospital.identity.adapter !== 'embedded') {
    throw new ConfigError(`identity adapter ${hospital.identity.adapter} is not available in this build`);
  }
  const dir = join(hospital.dataDir, 'ca');
  const adminSecret = persistentSecret(join(hospital.dataDir, 'ca-admin.secret'));
  const ca = await EmbeddedCa.open({
    dataDir: dir,
    mspId: hospital.mspId,
    hospital: hospital.name,
    passphrase: persistentSecret(join(hospital.dataDir, 'ca.passphrase')),
    bootstrapAdmin: { enrollmentId: 'admin', secret: adminSecret },
  });
  return {
    config: hospital,
    identity: ca,
    member: () => ca.channelMember(),
    // The admin's secret is one-time: enroll once, then keep the credentials sealed under it.
    caAdmin: async (accounts, keys) => {
      const stored = accounts.getCredential('ca-admin');
      if (stored) {
        return { mspId: hospital.mspId, enrollmentId: stored.enrollmentId, certificate: stored.certificate, privateKey: await keys.open(stored.sealedKey, adminSecret) };
      }
      const admin = await ca.enroll('admin', adminSecret);
      accounts.putCredential('ca-admin', admin.enrollmentId, admin.certificate, await keys.seal(admin.privateKey, adminSecret));
      return admin;
    },
  };
}

async function openLedger(config: GatewayConfig, members: ChannelMember[]): Promise<LedgerPort & { updateMember?(m: ChannelMember): Promise<void> }> {
  if (config.ledger.adapter !== 'embedded') {
    throw new ConfigError(`ledger adapter ${config.ledger.adapter} is not available in this build`);
  }
  return openEmbeddedLedger({ dataDir: join(config.dataDir, 'ledger'), members, contracts });
}

async function openEhr(hospital: HospitalConfig): Promise<{ ehr: EhrStore; records: RecordService }> {
  const mapping = loadMapping(hospital.ehr.mappingFile);
  if (hospital.ehr.adapter === 'mssql') {
    if (!hospital.ehr.mssql) throw new ConfigError(`${hospital.mspId}: ehr.mssql.url is required for the mssql adapter`);
    const ehr = openEhrStore(mapping, { kind: 'mssql', ...hospital.ehr.mssql });
    return { ehr, records: new RecordService(ehr, mapping) };
  }
  const file = hospital.ehr.sqliteFile ?? join(hospital.dataDir, 'ehr.sqlite');
  if (!existsSync(file)) {
    if (!hospital.ehr.demoSeed) throw new ConfigError(`${hospital.mspId}: no EHR database at ${file}`);
    mkdirSync(dirname(file), { recursive: true });
    await seedHospital(hospital.ehr.demoSeed, { kind: 'sqlite', file });
  }
  const ehr = openEhrStore(mapping, { kind: 'sqlite', file });
  return { ehr, records: new RecordService(ehr, mapping) };
}

/**
 * Opens (or, on first start, creates) the whole installation: each hospital's CA, the shared ledger
 * with those CAs as channel members, each hospital's EHR (seeded when it is a demo hospital without
 * a database), gateway.db, audit log, and the bootstrap identities.
 */
export async function openSystem(config: GatewayConfig): Promise<MedrecSystem> {
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const parts: HospitalParts[] = [];
    for (const hospital of config.hospitals) {
      mkdirSync(hospital.dataDir, { recursive: true, mode: 0o700 });
      const p = await openIdentity(hospital);
      closers.push(() => p.identity.close?.());
      parts.push(p);
    }
    const members = await Promise.all(parts.map((p) => p.member()));
    const ledger = await openLedger(config, members);
    closers.push(() => ledger.close());
    const trust = new TrustStore(Object.fromEntries(members.map((m) => [m.mspId, m.caCertificates])));

    const hospitals: HospitalRuntime[] = [];
    const demoUsers: Record<string, DemoUser[]> = {};
    for (const p of parts) {
      const hospital = p.config;
      // A revoked certificate must stop working on the ledger too: publish the CA's new CRL.
      (p.identity as Partial<EmbeddedCa>).onRevoke?.(() => {
        void p.member().then((m) => ledger.updateMember?.(m));
      });
      const { ehr, records } = await openEhr(hospital);
      closers.push(() => ehr.close());
      const db = openGatewayDb(hospital);
      closers.push(() => {
        db.close();
      });
      const stores = localStores(db);
      const settings = settingsFor(config, hospital);
      const deps = {
        mspId: hospital.mspId,
        identity: p.identity,
        ledger,
        accounts: stores.accounts,
        sealer,
        consortiumKey: settings.consortiumKey,
      };
      const serviceSecret = persistentSecret(join(hospital.dataDir, 'service.secret'));
      const users = config.seedDemo && hospital.ehr.demoSeed ? demoUsersFor(hospital.ehr.demoSeed) : [];
      await bootstrapHospital(
        deps,
        () => p.caAdmin(stores.accounts, sealer),
        {
          registrarPassword: config.seedDemo
            ? DEMO_REGISTRAR_PASSWORD
            : persistentSecret(join(hospital.dataDir, 'registrar.password')),
          serviceSecret,
        },
        users,
      );
      demoUsers[hospital.mspId] = users;
      hospitals.push({
        config: hospital,
        settings,
        ledger,
        identity: p.identity,
        ehr,
        records,
        db,
        ...stores,
        sealer,
        trust,
        audit: new AuditLog(db),
        service: await serviceSigner(deps, serviceSecret),
      });
    }
    return { config, ledger, hospitals, demoUsers, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export const DEMO_REGISTRAR_PASSWORD = 'registrar-demo-pass';
