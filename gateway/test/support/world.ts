/**
 * Two hospitals on one embedded ledger, all real: embedded CAs, the medrec chaincode, seeded SQLite
 * EHRs with their mapping files, and each hospital's gatekeeper listening on 127.0.0.1. Used by the
 * gatekeeper's HTTP tests and by `npm run bench:gateway`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { contracts } from '@medrec/chaincode';
import { identityId, type IdentityRecord } from '@medrec/chaincode/domain';
import { openEhrStore } from '../../../src/adapters/ehr/open.js';
import { EmbeddedCa } from '../../../src/adapters/identity/embedded/index.js';
import { openEmbeddedLedger, type EmbeddedLedger } from '../../../src/adapters/ledger/embedded/index.js';
import { AuditLog } from '../../../src/audit/log.js';
import sessions from '../../../src/auth/session.js';
import { loadHospitalMapping } from '../../../src/ehr/hospitals.js';
import { RecordService, hashResources } from '../../../src/ehr/records.js';
import { seedHospital } from '../../../src/ehr/seed/seed.js';
import type { DemoPatient } from '../../../src/ehr/seed/population.js';
import gatekeeper, { type GatekeeperOptions } from '../../../src/gatekeeper/plugin.js';
import { TrustStore } from '../../../src/gatekeeper/trust.js';
import { PatientLinks } from '../../../src/links.js';
import errors from '../../../src/plugins/errors.js';
import type { EhrStore } from '../../../src/ports/ehr.js';
import type { Credentials } from '../../../src/ports/identity.js';

const FAST_SEAL = { N: 2 ** 10, r: 8, p: 1 };
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

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
  service: Credentials;
  ehrFile: string;
  store: EhrStore;
  records: RecordService;
  patients: DemoPatient[];
  links: PatientLinks;
  audit: AuditLog;
  hospital: { mspId: string; publicUrl: string };
  app: FastifyInstance;
  url: string;
}

export interface World {
  dir: string;
  ledger: EmbeddedLedger;
  trust: TrustStore;
  h1: Hospital;
  h2: Hospital;
  enrol(h: Hospital, enrollmentId: string, role: string): Promise<Person>;
  /** A provider of `h` opens a relationship with a patient of `h`'s EHR and posts pointers for the categories. */
  relationship(h: Hospital, provider: Person, patient: Person, mrn: string, categories: string[]): Promise<string>;
  /** Starts a session on `h` (its session plugin) and returns the bearer token. */
  login(h: Hospital, person: Person): Promise<string>;
  close(): Promise<void>;
}

export interface WorldOptions {
  patients?: number;
  anchoring?: GatekeeperOptions['anchoring'];
  logger?: boolean;
}

export async function openWorld(options: WorldOptions = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-gatekeeper-'));
  const orgs = await Promise.all(
    [
      ['Hospital1MSP', 'Hospital 1', 'hospital1'],
      ['Hospital2MSP', 'Hospital 2', 'hospital2'],
    ].map(async ([mspId, name, key]) => {
      const ca = await EmbeddedCa.open({
        dataDir: join(dir, key!, 'ca'),
        mspId: mspId!,
        hospital: name!,
        passphrase: `${mspId} passphrase`,
        bootstrapAdmin: { enrollmentId: 'admin', secret: 'adminpw-secret' },
        sealCost: FAST_SEAL,
      });
      return { mspId: mspId!, name: name!, key: key!, ca, admin: await ca.enroll('admin', 'adminpw-secret') };
    }),
  );
  const members = await Promise.all(orgs.map((o) => o.ca.channelMember()));
  const ledger = await openEmbeddedLedger({ dataDir: join(dir, 'ledger'), members, contracts, batchTimeoutMs: 5 });
  const trust = await TrustStore.fromMembers(members);

  const caEnrol = async (o: (typeof orgs)[number], enrollmentId: string, role: string) => {
    const { secret } = await o.ca.register(o.admin, { enrollmentId, role });
    return o.ca.enroll(enrollmentId, secret);
  };
  const ledgerRegister = async (registrar: Credentials, enrollmentId: string, role: string) => {
    const res = await ledger.submit(registrar, 'Registrar', 'register', [randomBytes(32).toString('hex'), enrollmentId, role]);
    return JSON.parse(text(res.result)) as IdentityRecord;
  };

  const hospitals = await Promise.all(
    orgs.map(async (o): Promise<Hospital> => {
      const registrar = await caEnrol(o, 'registrar', 'registrar');
      await ledgerRegister(registrar, 'registrar', 'registrar');
      const service = await caEnrol(o, 'records-service', 'provider');
      await ledgerRegister(registrar, 'records-service', 'provider');
      const ehrFile = join(dir, o.key, 'ehr.sqlite');
      const seeded = await seedHospital(o.key, { kind: 'sqlite', file: ehrFile }, { patients: options.patients ?? 6 });
      const mapping = loadHospitalMapping(o.key);
      const store = openEhrStore(mapping, { kind: 'sqlite', file: ehrFile });
      mkdirSync(join(dir, o.key), { recursive: true });
      const links = new PatientLinks(new Database(join(dir, o.key, 'gateway.db')));
      const audit = AuditLog.open(join(dir, o.key, 'audit.db'));
      const hospital = { mspId: o.mspId, publicUrl: 'http://127.0.0.1:0' };
      const app = Fastify({ logger: options.logger ?? false });
      await app.register(errors);
      await app.register(sessions, { mspId: o.mspId, secret: randomBytes(32).toString('hex'), ttlSeconds: 600 });
      const records = new RecordService(store, mapping);
      await app.register(gatekeeper, {
        ledger,
        records,
        links,
        trust,
        service,
        audit,
        hospital,
        anchoring: options.anchoring ?? { everyRecords: 10, intervalMs: 60_000, retryMs: 200 },
        fetchTimeoutMs: 5_000,
      });
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      hospital.publicUrl = url;
      return {
        mspId: o.mspId,
        name: o.name,
        ca: o.ca,
        admin: o.admin,
        registrar,
        service,
        ehrFile,
        store,
        records,
        patients: seeded.patients,
        links,
        audit,
        hospital,
        app,
        url,
      };
    }),
  );
  const [h1, h2] = hospitals as [Hospital, Hospital];

  return {
    dir,
    ledger,
    trust,
    h1,
    h2,
    async enrol(h, enrollmentId, role) {
      const org = orgs.find((o) => o.mspId === h.mspId)!;
      const signer = await caEnrol(org, enrollmentId, role);
      const record = await ledgerRegister(h.registrar, enrollmentId, role);
      return {
        signer,
        enrollmentId,
        role,
        mspId: h.mspId,
        participantId: record.participantId,
        identityId: identityId(h.mspId, enrollmentId),
      };
    },
    async relationship(h, provider, patient, mrn, categories) {
      const created = await ledger.submit(provider.signer, 'Relationship', 'create', [patient.participantId, h.url], {
        endorsingOrganizations: [h.mspId],
      });
      const rel = (JSON.parse(text(created.result)) as { relationshipId: string }).relationshipId;
      h.links.set(patient.participantId, mrn, provider.enrollmentId);
      for (const category of categories) {
        const hash = hashResources(await h.records.fetch(category, mrn));
        await ledger.submit(provider.signer, 'Relationship', 'putPointer', [rel, category, hash], {
          endorsingOrganizations: [h.mspId],
        });
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
    async close() {
      for (const h of hospitals) {
        await h.app.close();
        await h.audit.close();
        await h.store.close();
      }
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
