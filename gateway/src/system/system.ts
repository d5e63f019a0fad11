/**
 * The composition root: the one place that builds a running MedRec installation from validated
 * configuration — each hospital's identity port, the ledger (one embedded ledger, or each
 * hospital's Fabric peer), the trust the gatekeepers verify against (from the ledger's channel
 * configuration, kept current), each hospital's EHR, gateway.db, services and bootstrap identities.
 * `npm start`, `npm run demo`, the tests and the benches all build their systems here; they may
 * tune it (costs, timers, ports, logging) but never wire it differently.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { MedrecClient } from '../contract/client.js';
import { buildApp } from '../http/app.js';
import type { HospitalRuntime, HttpSettings } from '../http/runtime.js';
import type { ScryptCost } from '../pki/vault.js';
import type { TrustStore } from '../pki/trust-store.js';
import type { LedgerPort } from '../ports/ledger.js';
import { AccountStore } from '../services/accounts/accounts.js';
import { DeviceAuth } from '../services/accounts/device.js';
import { certificateProblem, LoginService } from '../services/accounts/login.js';
import { OfflineTransactions } from '../services/transactions/offline.js';
import { DEFAULT_PANEL_BATCH } from '../services/onboarding/batch-size.js';
import { PanelOnboarding } from '../services/onboarding/onboarding.js';
import { vaultSealer } from '../services/accounts/sealer.js';
import { CustodialDelegates } from '../services/custodial/delegates.js';
import { clientPeers } from '../adapters/peers/gateway-client.js';
import { PasswordChange } from '../services/accounts/password-change.js';
import { LoginThrottle } from '../services/accounts/throttle.js';
import { AuditLog } from '../services/audit/log.js';
import { ActivationService } from '../services/enrolment/activation.js';
import { STAFF_ROLES, StaffAdministration } from '../services/admin/staff.js';
import { bootstrapHospital, registrarCredentials, serviceSigner, staffExternalId, type ProvisionedUser } from '../services/enrolment/bootstrap.js';
import { EnrolmentService } from '../services/enrolment/enroll.js';
import { NotificationStore } from '../services/notifications/store.js';
import { ChartProof } from '../services/relationships/chart.js';
import { ExternalIds } from '../services/registrar/external-ids.js';
import { IndexKeys } from '../services/registrar/index-keys.js';
import { IndexRotation } from '../services/registrar/rotation.js';
import { opensslEcdhX } from '../services/registrar/native-ecdh.js';
import { PatientLinks } from '../services/relationships/links.js';
import { PointerWatcher } from '../services/records/watcher.js';
import { RelationshipService } from '../services/relationships/relationships.js';
import { ShareCodeStore } from '../services/sharing/share-codes.js';
import { IdempotencyStore } from '../services/idempotency/store.js';
import { ResearchGatekeeper } from '../services/research/gatekeeper.js';
import { InclusionStore } from '../services/research/inclusions.js';
import { ResearchService } from '../services/research/service.js';
import { openGatewayDb } from '../services/store/gateway-db.js';
import type { GatewayConfig, HospitalConfig } from './config.js';
import { openEhr, type EhrSeeder } from './ehr.js';
import { privateDataDir } from './files.js';
import { openIdentity, type HospitalCa } from './identity.js';
import { openLedgers } from './ledger.js';
import { openResearch } from './research.js';
import { persistentSecret } from './secrets.js';
import { GatekeeperTls, openHospitalTls, writeTlsRoots, type HospitalTls } from './tls.js';
import { ledgerTrust } from './trust.js';

/** The first admin's one-time activation code, written at first start (0600) into the hospital's data directory. */
export const FIRST_ADMIN_CODE_FILE = 'admin-activation.json';

/** What the entry point hands in when it runs the demo: the product itself ships no demo data. */
export interface Provisioner {
  /** Creates a demo hospital's EHR database (hospital.ehr.demoSeed) when it is missing. */
  seedEhr?: EhrSeeder;
  /** The people to create on a hospital's first start, when the configuration says seedDemo. */
  users?(hospital: HospitalConfig): ProvisionedUser[];
  /** The registrar's password when seeding demo users (otherwise one is generated into the data dir). */
  registrarPassword?: string;
}

/** Tuning for tests and benches: never a different wiring of trust, ledger or gatekeeper. */
export interface SystemTuning {
  /** scrypt cost of the key vault (users' keys, CA root keys). */
  sealCost?: ScryptCost;
  /** the embedded ledger's block cutter timeout */
  batchTimeoutMs?: number;
  anchoring?: HttpSettings['anchoring'];
  /** the pointer watcher's polling interval, ms (false: it does not poll; tests call poll()) */
  changePollMs?: number | false;
  fetchTimeoutMs?: number;
  /** false: no request logging (the logger still exists) */
  logger?: boolean;
}

export interface SystemOptions {
  provisioner?: Provisioner;
  tuning?: SystemTuning;
}

/** Both ends of a running MedrecSystem installation: the ledger, one runtime per hospital. */
export interface MedrecSystem {
  config: GatewayConfig;
  /** The shared embedded ledger, or (Fabric) the first hospital's connection to its peer. */
  ledger: LedgerPort;
  /** `<dataDir>/tls-ca.pem`: every channel member's TLS roots, for curl (--cacert) and the CLI (NODE_EXTRA_CA_CERTS); undefined with tls: false. */
  tlsRootsFile?: string;
  hospitals: HospitalRuntime[];
  /** Each hospital's CA, as the identity port (tests revoke through it). */
  identities: Map<string, HospitalCa>;
  /** People created or reused per hospital (mspId → users), for the start-up printout. */
  provisioned: Record<string, ProvisionedUser[]>;
  tuning: SystemTuning;
  close(): Promise<void>;
}

function httpSettings(config: GatewayConfig, hospital: HospitalConfig, tuning: SystemTuning): HttpSettings {
  return {
    jwtSecret: persistentSecret(join(hospital.dataDir, 'jwt.secret'), hospital.jwtSecret),
    sessionTtlSeconds: config.sessionTtlSeconds,
    channel: config.ledger.options?.channel ?? 'medrec',
    chaincode: config.ledger.options?.chaincode ?? 'medrec',
    bodyLimitBytes: config.bodyLimitBytes,
    certificateCacheSize: config.certificateCacheSize,
    logLevel: config.logLevel,
    loginThrottle: config.loginThrottle,
    rateLimits: config.rateLimits,
    changePollMs: tuning.changePollMs ?? config.changePollSeconds * 1000,
    ...(tuning.anchoring !== undefined ? { anchoring: tuning.anchoring } : {}),
  };
}

/**
 * Opens (or, on first start, creates) the whole installation: each hospital's CA, the shared ledger
 * with those CAs as channel members, each hospital's EHR (seeded when it is a demo hospital without
 * a database), gateway.db, audit log, and the bootstrap identities.
 */
export async function openSystem(config: GatewayConfig, options: SystemOptions = {}): Promise<MedrecSystem> {
  const { provisioner = {}, tuning = {} } = options;
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    privateDataDir(config.dataDir);
    const parts: HospitalCa[] = [];
    const tls = new Map<string, HospitalTls>();
    for (const hospital of config.hospitals) {
      privateDataDir(hospital.dataDir);
      const p = await openIdentity(hospital, tuning.sealCost);
      closers.push(() => p.identity.close?.());
      if (config.tls) {
        const own = await openHospitalTls(hospital);
        tls.set(hospital.mspId, own);
        // The embedded channel lists each hospital's TLS CA with its identity CA, as an MSP does.
        if (own.root) p.tlsRoot = own.root;
      }
      parts.push(p);
    }
    const ledgers = await openLedgers(config, parts, tuning);
    for (const ledger of new Set(ledgers.byMsp.values())) closers.push(() => ledger.close());
    const trusts = new Map<LedgerPort, TrustStore>();
    const outbound = new Map<LedgerPort, GatekeeperTls>();
    for (const ledger of new Set(ledgers.byMsp.values())) {
      const { trust, stop } = await ledgerTrust(ledger);
      closers.push(stop);
      trusts.set(ledger, trust);
      const followed = await GatekeeperTls.follow(ledger, config.tls);
      closers.push(followed.stop);
      outbound.set(ledger, followed.tls);
    }
    const tlsRootsFile = config.tls ? writeTlsRoots(config, [...outbound.values()].flatMap((o) => o.trustedRoots)) : undefined;
    const fetchTimeoutMs = tuning.fetchTimeoutMs ?? 10_000;

    const sealer = vaultSealer(tuning.sealCost);
    const hospitals: HospitalRuntime[] = [];
    const provisioned: Record<string, ProvisionedUser[]> = {};
    for (const p of parts) {
      const hospital = p.config;
      const ledger = ledgers.byMsp.get(hospital.mspId)!;
      const { ehr, records, chart, tracked } = await openEhr(hospital, provisioner.seedEhr);
      closers.push(() => ehr.close());
      const research = openResearch(hospital);
      closers.push(() => research.store?.close());
      const db = openGatewayDb(join(hospital.dataDir, 'gateway.db'));
      const audit = new AuditLog(db);
      closers.push(async () => {
        await audit.close();
      });
      const settings = httpSettings(config, hospital, tuning);
      const client = new MedrecClient(ledger);
      const accounts = new AccountStore(db);
      const links = new PatientLinks(db);
      // Only this hospital holds its external-id index key: no other member can enumerate its entries (docs/privacy.md §2).
      const indexKeys = new IndexKeys(hospital.dataDir, opensslEcdhX);
      const gatekeepers = { fetch: outbound.get(ledger)!.fetch, timeoutMs: fetchTimeoutMs };
      const externalIds = new ExternalIds({ mspId: hospital.mspId, keys: indexKeys, client, transport: gatekeepers });
      const enrolling = { mspId: hospital.mspId, identity: p.identity, client, accounts, sealer, externalIds };
      const enrolment = new EnrolmentService(enrolling);
      const serviceSecret = persistentSecret(join(hospital.dataDir, 'service.secret'));
      const users = config.seedDemo && hospital.ehr.demoSeed ? (provisioner.users?.(hospital) ?? []) : [];
      const registrarPassword =
        config.seedDemo && provisioner.registrarPassword
          ? provisioner.registrarPassword
          : persistentSecret(join(hospital.dataDir, 'registrar.password'));
      const registrar = () => registrarCredentials(enrolment, registrarPassword);
      const activations = new ActivationService({
        ...enrolling,
        db,
        activationKey: persistentSecret(join(hospital.dataDir, 'activation.key')),
        ttlSeconds: config.activationTtlSeconds,
        caRegistrar: registrar,
      });
      const chartProof = new ChartProof({ ehr, chart, externalIds });
      const caAdmin = () => p.caAdmin(accounts, sealer);
      // The first admin is vouched for by the CA admin: without its identity there is none (admin routes answer 503).
      const adminCodeFile = p.hasCaAdmin ? join(hospital.dataDir, FIRST_ADMIN_CODE_FILE) : undefined;
      await bootstrapHospital(enrolment, activations, caAdmin, { registrarPassword, serviceSecret, ...(adminCodeFile ? { adminCodeFile } : {}) }, users, p.provisioned);
      const service = await serviceSigner(enrolment, serviceSecret);
      const throttle = new LoginThrottle(settings.loginThrottle);
      const relationships = new RelationshipService({
        mspId: hospital.mspId,
        publicUrl: () => hospital.publicUrl,
        client,
        records,
        links,
        chart: chartProof,
        grantMaxDays: config.grantMaxDays,
      });
      const panels = new PanelOnboarding({
        mspId: hospital.mspId,
        db,
        client,
        activations,
        links,
        chart: chartProof,
        externalIds,
        registrar,
        service,
        publicUrl: () => hospital.publicUrl,
        pointersFor: (mrn) => relationships.pointersFor(mrn),
        dir: join(hospital.dataDir, 'panels'),
        batchSize: DEFAULT_PANEL_BATCH[config.ledger.adapter],
      });
      closers.push(() => panels.close());
      provisioned[hospital.mspId] = users;
      hospitals.push({
        hospital,
        settings,
        ledger,
        ehr,
        client,
        records,
        links,
        accounts,
        sealer,
        login: new LoginService(hospital.mspId, accounts, sealer, throttle, (signer) => certificateProblem(trusts.get(ledger)!, signer)),
        passwords: new PasswordChange(accounts, sealer, throttle),
        notifications: new NotificationStore(db),
        idempotency: new IdempotencyStore(db),
        shareCodes: new ShareCodeStore(db, { key: persistentSecret(join(hospital.dataDir, 'share-code.key')) }),
        enrolment,
        activations,
        relationships,
        trust: trusts.get(ledger)!,
        audit,
        research: new ResearchService({
          mspId: hospital.mspId,
          client,
          records,
          links,
          transport: { fetch: outbound.get(ledger)!.fetch, timeoutMs: RESEARCH_TIMEOUT_MS },
        }),
        researchGatekeeper: new ResearchGatekeeper({ client, service, mspId: hospital.mspId, ...research, links, inclusions: new InclusionStore(db) }),
        service,
        pointers: new PointerWatcher({ mspId: hospital.mspId, ehr, records, links, client, service, db, categories: tracked }),
        staff: new StaffAdministration({
          ...enrolling,
          activations,
          caAdmin,
          registrar,
          publishCrl: p.publishCrl,
          serviceSecret,
          service,
        }),
        devices: new DeviceAuth({ mspId: hospital.mspId, accounts, trust: trusts.get(ledger)!, audience: () => new URL(hospital.publicUrl).origin }),
        offline: new OfflineTransactions(ledger),
        gatekeepers,
        indexKeys,
        externalIds,
        indexRotation: new IndexRotation({
          mspId: hospital.mspId,
          keys: indexKeys,
          externalIds,
          client,
          registrar,
          chart: chartProof,
          knownIds: () => [
            ...accounts.withRoles([...STAFF_ROLES, 'admin']).map((a) => ({ kind: 'staff-id', externalId: staffExternalId(hospital.mspId, a.username) })),
            ...users.map((u) => ({ kind: u.externalIdKind, externalId: u.externalId })),
          ],
          audit: (entry) => audit.append(entry),
        }),
        ...(tls.has(hospital.mspId) ? { tls: tls.get(hospital.mspId)!.server } : {}),
        panels,
        custodial: new CustodialDelegates({ mspId: hospital.mspId, db, sealer, client, peers: clientPeers(gatekeepers) }),
      });
      panels.resume();
    }
    return {
      config,
      ledger: ledgers.shared ?? hospitals[0]!.ledger,
      ...(tlsRootsFile ? { tlsRootsFile } : {}),
      hospitals,
      identities: new Map(parts.map((p) => [p.config.mspId, p])),
      provisioned,
      tuning,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** How long a research collection waits for a hospital's answer (an aggregate over its whole cohort). */
const RESEARCH_TIMEOUT_MS = 120_000;

export interface RunningGateway {
  mspId: string;
  url: string;
  app: FastifyInstance;
  runtime: HospitalRuntime;
}

/**
 * Builds and starts every hospital's gateway of a system. With port 0 the OS picks a port; the
 * hospital's publicUrl (its relationships' endpoint) is then set from the bound address.
 */
export async function startGateways(system: MedrecSystem): Promise<RunningGateway[]> {
  const running: RunningGateway[] = [];
  try {
    for (const runtime of system.hospitals) {
      const { hospital } = runtime;
      const app = await buildApp(runtime, system.tuning.logger === false ? { logger: false } : {});
      running.push({ mspId: hospital.mspId, url: '', app, runtime });
      await app.listen({ host: hospital.host, port: hospital.port });
      const address = app.server.address();
      if (hospital.port === 0 && address && typeof address === 'object') {
        hospital.publicUrl = `${runtime.tls ? 'https' : 'http'}://${hospital.host}:${address.port}`;
      }
      running.at(-1)!.url = hospital.publicUrl;
    }
    for (const { runtime, app } of running) await publishGatekeeper(runtime, app);
    return running;
  } catch (err) {
    // The start's own failure is what the caller needs to hear, not a close's.
    await closeGateways(running).catch(() => undefined);
    throw err;
  }
}

/** Stops gateways one after another (each lets its requests in flight finish); one failing to close does not keep the others open. */
async function closeGateways(gateways: readonly RunningGateway[]): Promise<void> {
  const failures: unknown[] = [];
  for (const g of gateways) await g.app.close().catch((err: unknown) => failures.push(err));
  if (failures.length > 0) throw failures[0];
}

/**
 * The one shutdown of a running installation (`npm start`'s signals and failed starts, benches,
 * tests): the gateways first, so no request is left running against a closed ledger or database,
 * then the system under them, which is closed even when a gateway failed to close.
 */
export async function closeAll(system: MedrecSystem, gateways: readonly RunningGateway[]): Promise<void> {
  try {
    await closeGateways(gateways);
  } finally {
    await system.close();
  }
}

/**
 * Tells the ledger where this hospital's gatekeeper answers research requests and which templates its
 * catalogue implements (once its public URL is known); a ledger that cannot be reached now is only
 * logged: researchers (and other hospitals' external-id lookups) then do not see this hospital until the next start.
 */
async function publishGatekeeper(runtime: HospitalRuntime, app: FastifyInstance): Promise<void> {
  // Published even without templates: other hospitals also find it to look up an external id (§2 of docs/privacy.md).
  const templates = runtime.researchGatekeeper.templates();
  try {
    await runtime.research.publishGatekeeper(runtime.service, runtime.hospital.publicUrl, templates);
  } catch (err) {
    app.log.warn({ err }, 'could not publish the research gatekeeper on the ledger');
  }
}
