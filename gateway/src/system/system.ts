import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { contracts } from '@medrec/chaincode';
import Database from 'better-sqlite3';
import { openEhrStore } from './adapters/ehr/open.js';
import { EmbeddedCa } from './adapters/identity/embedded/index.js';
import { FabricCaIdentity } from './adapters/identity/fabric-ca/ca.js';
import { EmbeddedLedger, openEmbeddedLedger, type ChannelMember } from './adapters/ledger/embedded/index.js';
import { FabricLedger } from './adapters/ledger/fabric/ledger.js';
import { AuditLog } from './audit/log.js';
import { AccountStore } from './auth/accounts.js';
import { bootstrapHospital, SERVICE_USERNAME, serviceSigner, type DemoUser } from './auth/bootstrap.js';
import { vaultSealer, type KeySealer } from './auth/sealer.js';
import type { LoginThrottleSettings } from './auth/throttle.js';
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
  loginThrottle: LoginThrottleSettings;
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
    loginThrottle: config.loginThrottle,
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
  /** The shared embedded ledger, or (Fabric) the first hospital's connection to its peer. */
  ledger: LedgerPort;
  hospitals: HospitalRuntime[];
  /** Demo users created or reused per hospital (mspId → users), for the start-up printout. */
  demoUsers: Record<string, DemoUser[]>;
  close(): Promise<void>;
}

interface HospitalParts {
  config: HospitalConfig;
  identity: IdentityPort & { close?(): void | Promise<void> };
  caAdmin: (accounts: AccountStore, sealer: KeySealer) => Promise<Credentials>;
  member: () => Promise<ChannelMember>;
  /** Staff identities enrolled by the network's own scripts (Fabric): imported, not enrolled again. */
  provisioned: Record<string, Credentials>;
}

const sealer = vaultSealer();

async function openEmbeddedIdentity(hospital: HospitalConfig): Promise<HospitalParts> {
  const adminSecret = persistentSecret(join(hospital.dataDir, 'ca-admin.secret'));
  const ca = await EmbeddedCa.open({
    dataDir: join(hospital.dataDir, 'ca'),
    mspId: hospital.mspId,
    hospital: hospital.name,
    passphrase: persistentSecret(join(hospital.dataDir, 'ca.passphrase')),
    bootstrapAdmin: { enrollmentId: 'admin', secret: adminSecret },
  });
  return {
    config: hospital,
    identity: ca,
    member: () => ca.channelMember(),
    provisioned: {},
    // The admin's secret is one-time: enroll once, then keep the credentials sealed under it.
    caAdmin: async (accounts, keys) => {
      const stored = accounts.getCredential('ca-admin');
      if (stored) {
        const privateKey = await keys.open(stored.sealedKey, adminSecret);
        return { mspId: hospital.mspId, enrollmentId: stored.enrollmentId, certificate: stored.certificate, privateKey };
      }
      const admin = await ca.enroll('admin', adminSecret);
      accounts.putCredential('ca-admin', admin.enrollmentId, admin.certificate, await keys.seal(admin.privateKey, adminSecret));
      return admin;
    },
  };
}

function openFabricCaIdentity(hospital: HospitalConfig): HospitalParts {
  const options = hospital.identity.options!;
  const ca = new FabricCaIdentity({
    url: options.url,
    caName: options.caName,
    tlsRootCert: readFileSync(options.tlsRootCertFile, 'utf8'),
    mspId: hospital.mspId,
    hospital: hospital.name,
  });
  const provisioned = Object.fromEntries(
    Object.entries(options.staff ?? {}).map(([name, files]) => [
      name,
      {
        mspId: hospital.mspId,
        enrollmentId: name,
        certificate: readFileSync(files.certificateFile, 'utf8'),
        privateKey: readFileSync(files.privateKeyFile, 'utf8'),
      },
    ]),
  );
  return {
    config: hospital,
    identity: ca,
    member: async () => ({ mspId: hospital.mspId, caCertificates: await ca.trustAnchors() }),
    provisioned,
    caAdmin: async () => {
      const admin = provisioned['ca-admin'];
      if (!admin) throw new ConfigError(`${hospital.mspId}: identity.options.staff needs the CA's "ca-admin" identity`);
      return admin;
    },
  };
}

/** Adapters are chosen by name in the configuration. */
async function openIdentity(hospital: HospitalConfig): Promise<HospitalParts> {
  return hospital.identity.adapter === 'fabric-ca' ? openFabricCaIdentity(hospital) : openEmbeddedIdentity(hospital);
}

/** One ledger for every hospital (embedded), or each hospital's own peer connection (Fabric). */
async function openLedgers(config: GatewayConfig, parts: HospitalParts[], members: ChannelMember[]) {
  if (config.ledger.adapter === 'embedded') {
    const ledger = await openEmbeddedLedger({ dataDir: join(config.dataDir, 'ledger'), members, contracts });
    return { shared: ledger as LedgerPort, byMsp: new Map(parts.map((p) => [p.config.mspId, ledger as LedgerPort])) };
  }
  const byMsp = new Map<string, LedgerPort>();
  for (const p of parts) {
    const peer = p.config.fabric;
    const service = p.provisioned[SERVICE_USERNAME];
    if (!peer) throw new ConfigError(`${p.config.mspId}: "fabric" (peerEndpoint, tlsRootCertFile) is required for the fabric ledger`);
    if (!service) throw new ConfigError(`${p.config.mspId}: the fabric ledger needs the provisioned ${SERVICE_USERNAME} identity`);
    byMsp.set(
      p.config.mspId,
      new FabricLedger({
        peerEndpoint: peer.peerEndpoint,
        tlsRootCert: readFileSync(peer.tlsRootCertFile, 'utf8'),
        ...(peer.hostAlias ? { hostAlias: peer.hostAlias } : {}),
        channel: config.ledger.options?.channel ?? 'medrec',
        chaincode: config.ledger.options?.chaincode ?? 'medrec',
        serviceSigner: { mspId: service.mspId, certificate: service.certificate, privateKey: service.privateKey },
      }),
    );
  }
  return { shared: undefined, byMsp };
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
    const ledgers = await openLedgers(config, parts, members);
    for (const ledger of new Set(ledgers.byMsp.values())) closers.push(() => ledger.close());
    const trust = new TrustStore(Object.fromEntries(members.map((m) => [m.mspId, m.caCertificates])));

    const hospitals: HospitalRuntime[] = [];
    const demoUsers: Record<string, DemoUser[]> = {};
    for (const p of parts) {
      const hospital = p.config;
      const ledger = ledgers.byMsp.get(hospital.mspId)!;
      // A revoked certificate must stop working on the embedded ledger too: publish the CA's new CRL.
      if (p.identity instanceof EmbeddedCa && ledger instanceof EmbeddedLedger) {
        // Awaited by revoke(): once it resolves, the channel refuses the certificate.
        p.identity.onRevoke(async () => ledger.updateMember(await p.member()));
      }
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
        p.provisioned,
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
    return { config, ledger: ledgers.shared ?? hospitals[0]!.ledger, hospitals, demoUsers, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export const DEMO_REGISTRAR_PASSWORD = 'registrar-demo-pass';
