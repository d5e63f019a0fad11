/**
 * Two hospitals on one embedded ledger, built by the product's own composition root (src/system)
 * with fast test costs: embedded CAs, the medrec chaincode, small seeded SQLite EHRs with their
 * mapping files, and each hospital's whole gateway listening on 127.0.0.1. Used by the gatekeeper's
 * HTTP tests and by `npm run bench:gateway`; trust, ledger and gatekeeper are wired as in production.
 */
import '../../src/system/quiet-chaincode.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { identityId, type Category, type Role } from '@medrec/chaincode/domain';
import { DEMO_HOSPITALS } from '../../demo/index.js';
import { demoPatients, type DemoPatient } from '../../demo/seed/population.js';
import { seedHospital } from '../../demo/seed/seed.js';
import type { EmbeddedCa } from '../../src/adapters/identity/embedded/index.js';
import type { EmbeddedLedger } from '../../src/adapters/ledger/embedded/index.js';
import { MedrecClient } from '../../src/contract/client.js';
import { Registrar, Relationship } from '../../src/contract/medrec.js';
import { endorsedBy } from '../../src/contract/request.js';
import type { HospitalRuntime } from '../../src/http/runtime.js';
import type { TrustStore } from '../../src/pki/trust-store.js';
import type { EhrStore } from '../../src/ports/ehr.js';
import type { Credentials } from '../../src/ports/identity.js';
import type { Signer } from '../../src/ports/ledger.js';
import type { AuditLog } from '../../src/services/audit/log.js';
import { REGISTRAR_USERNAME } from '../../src/services/enrolment/bootstrap.js';
import { hashResources, type RecordService } from '../../src/services/records/records.js';
import type { PatientLinks } from '../../src/services/relationships/links.js';
import { defaultHospitals, loadConfig, type FileConfig } from '../../src/system/config.js';
import { closeAll, openSystem, startGateways, type MedrecSystem, type SystemTuning } from '../../src/system/system.js';
import { trustTlsRoots } from '../../demo/trust.js';

/** Test costs: scrypt at 2^10 instead of 2^15 for sealed keys, a 5 ms block cutter. */
export const FAST: SystemTuning = { sealCost: { N: 2 ** 10, r: 8, p: 1 }, batchTimeoutMs: 5, logger: false };
export const REGISTRAR_PASSWORD = 'world-registrar-pass';

export interface Person {
  signer: Credentials;
  enrollmentId: string;
  role: string;
  mspId: string;
  participantId: string;
  identityId: string;
}

export interface Hospital {
  mspId: string;
  name: string;
  ca: EmbeddedCa;
  admin: Credentials;
  registrar: Credentials;
  /** the records-service identity its gatekeeper asks the ledger with */
  service: Signer;
  dataDir: string;
  ehrFile: string;
  store: EhrStore;
  records: RecordService;
  patients: DemoPatient[];
  links: PatientLinks;
  audit: AuditLog;
  hospital: { mspId: string; publicUrl: string };
  runtime: HospitalRuntime;
  app: FastifyInstance;
  url: string;
}

export interface World {
  dir: string;
  system: MedrecSystem;
  ledger: EmbeddedLedger;
  client: MedrecClient;
  trust: TrustStore;
  h1: Hospital;
  h2: Hospital;
  enrol(h: Hospital, enrollmentId: string, role: string): Promise<Person>;
  /**
   * A patient's delegate at `h` (docs/privacy.md §3): how `h` treats a patient whose home is another
   * hospital, since the ledger refuses her home id there.
   */
  delegate(h: Hospital, enrollmentId: string): Promise<Person>;
  /** A provider of `h` opens a relationship with a patient of `h`'s EHR and posts pointers for the categories. */
  relationship(h: Hospital, provider: Person, patient: Person, mrn: string, categories: string[]): Promise<string>;
  /** Starts a session on `h` (its session plugin) and returns the bearer token. */
  login(h: Hospital, person: Person): Promise<string>;
  /** Stops everything; the data directory is removed unless `keepData` (to open the same world again). */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export interface WorldOptions {
  /** Reopen the data of an earlier world (closed with keepData) instead of a fresh temporary one. */
  dir?: string;
  patients?: number;
  anchoring?: SystemTuning['anchoring'];
  logger?: boolean;
  /** Configuration beyond the defaults (rate limits, TTLs), as a MEDREC_CONFIG file would give it. */
  config?: FileConfig;
}

export async function openWorld(options: WorldOptions = {}): Promise<World> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'medrec-gatekeeper-'));
  const patients = options.patients ?? 6;
  const config = loadConfig(
    {},
    { dataDir: dir, logLevel: 'silent', seedDemo: true, hospitals: defaultHospitals(dir, '127.0.0.1', 0), ...options.config },
    { demoSeeds: DEMO_HOSPITALS },
  );
  let system: MedrecSystem;
  try {
    system = await openSystem(config, {
      provisioner: {
        seedEhr: async (dataSet, target) => void (await seedHospital(dataSet, target, { patients })),
        users: () => [],
        registrarPassword: REGISTRAR_PASSWORD,
      },
      tuning: {
        ...FAST,
        anchoring: options.anchoring ?? { everyRecords: 10, intervalMs: 60_000, retryMs: 200 },
        fetchTimeoutMs: 5_000,
        ...(options.logger ? { logger: true } : {}),
      },
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const gateways = await startGateways(system);
  trustTlsRoots(system.tlsRootsFile);
  const ledger = system.ledger as EmbeddedLedger;
  const client = new MedrecClient(ledger);
  const hospitals = await Promise.all(
    gateways.map(async (g, i): Promise<Hospital> => {
      const { runtime } = g;
      const ca = system.identities.get(g.mspId)!;
      const key = DEMO_HOSPITALS[i]!;
      const account = runtime.accounts.get(REGISTRAR_USERNAME)!;
      const registrar: Credentials = {
        mspId: g.mspId,
        enrollmentId: account.enrollmentId,
        certificate: account.certificate,
        privateKey: await runtime.sealer.open(account.sealedKey, REGISTRAR_PASSWORD),
      };
      const dataDir = config.hospitals[i]!.dataDir;
      return {
        mspId: g.mspId,
        name: runtime.hospital.name,
        ca: ca.identity as EmbeddedCa,
        admin: await ca.caAdmin(runtime.accounts, runtime.sealer),
        registrar,
        service: runtime.service,
        dataDir,
        ehrFile: join(dataDir, 'ehr.sqlite'),
        store: runtime.ehr,
        records: runtime.records,
        patients: demoPatients(key, { patients }),
        links: runtime.links,
        audit: runtime.audit,
        hospital: runtime.hospital,
        runtime,
        app: g.app,
        url: g.url,
      };
    }),
  );
  const [h1, h2] = hospitals as [Hospital, Hospital];

  return {
    dir,
    system,
    ledger,
    client,
    trust: h1.runtime.trust,
    h1,
    h2,
    async enrol(h, enrollmentId, role) {
      const { secret } = await h.ca.register(h.admin, { enrollmentId, role });
      const signer = await h.ca.enroll(enrollmentId, secret);
      const record = await client.submit(h.registrar, Registrar.register(randomBytes(32).toString('hex'), enrollmentId, role as Role));
      return {
        signer,
        enrollmentId,
        role,
        mspId: h.mspId,
        participantId: record.value.participantId,
        identityId: identityId(h.mspId, enrollmentId),
      };
    },
    async delegate(h, enrollmentId) {
      const { secret } = await h.ca.register(h.admin, { enrollmentId, role: 'patient' });
      const signer = await h.ca.enroll(enrollmentId, secret);
      const record = await client.submit(h.registrar, Registrar.registerDelegate(enrollmentId));
      const identity = { mspId: h.mspId, enrollmentId, participantId: record.value.participantId, identityId: identityId(h.mspId, enrollmentId) };
      return { signer, role: 'patient', ...identity };
    },
    async relationship(h, provider, patient, mrn, categories) {
      const created = await client.submit(provider.signer, endorsedBy(Relationship.create(patient.participantId, h.url), h.mspId));
      const rel = created.value.relationshipId;
      h.links.set(patient.participantId, mrn, provider.enrollmentId);
      for (const category of categories) {
        const hash = hashResources(await h.records.fetch(category, mrn));
        await client.submit(provider.signer, endorsedBy(Relationship.putPointer(rel, category as Category, hash), h.mspId));
      }
      return rel;
    },
    async login(h, person) {
      const { token } = await h.app.startSession(
        {
          sub: person.participantId,
          mspId: person.mspId,
          enrollmentId: person.enrollmentId,
          role: person.role as never,
          participantId: person.participantId,
          identityId: person.identityId,
        },
        person.signer,
      );
      return token;
    },
    async close({ keepData = false } = {}) {
      try {
        await closeAll(system, gateways);
      } finally {
        if (!keepData) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
