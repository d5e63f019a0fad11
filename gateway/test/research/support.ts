import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { identityId } from '@medrec/chaincode/domain';
import { Registrar } from '../../src/contract/medrec.js';
import { seedResearchPopulation } from '../../demo/research-population.js';
import { api, type Answer } from '../http/support.js';
import { openWorld, REGISTRAR_PASSWORD, type Hospital, type Person, type World } from '../support/world.js';

/**
 * Two hospitals with a research population (the demo's seeder, small) and named people the tests
 * act as: a provider, researchers, stewards, and patients whose EHR rows the tests edit.
 */
export interface ResearchWorld {
  w: World;
  provider: Person;
  researchers: Person[];
  stewards: { h1: Person; h2: Person };
  /** named patients of Hospital 1 (not in the seeded population), with their MRN and relationship */
  patients: { person: Person; mrn: string; relationshipId: string; token: string }[];
  /** MRNs of Hospital 1 left unseeded and unlinked, for patients a test enrols its own way */
  spare: string[];
  token(h: Hospital, p: Person): Promise<string>;
  as(h: Hospital, p: Person, method: string, path: string, body?: unknown): Promise<Answer>;
  registrar(h: Hospital): Promise<Person>;
  /** `n` more researchers of a hospital at once (the CA's batch enrolment, one registerBatch) */
  moreResearchers(h: Hospital, prefix: string, n: number): Promise<Person[]>;
  /** writes to a hospital's EHR as its own systems would (the gateway only reads it) */
  ehr(h: Hospital): Database.Database;
  close(): Promise<void>;
}

export const POPULATION = 150;

export async function openResearchWorld(named = 3, researchers = 5, spareCount = 0): Promise<ResearchWorld> {
  const w = await openWorld({ patients: POPULATION });
  const tokens = new Map<string, string>();
  const token = async (h: Hospital, p: Person) => {
    const key = `${h.mspId}/${p.identityId}`;
    if (!tokens.has(key)) tokens.set(key, await w.login(h, p));
    return tokens.get(key)!;
  };
  const provider = await w.enrol(w.h1, 'dr-research', 'provider');
  const people: Person[] = [];
  for (let i = 0; i < researchers; i++) people.push(await w.enrol(w.h1, `researcher-${i}`, 'researcher'));
  const stewards = { h1: await w.enrol(w.h1, 'steward-one', 'researcher'), h2: await w.enrol(w.h2, 'steward-two', 'researcher') };
  const local = w.h1.patients.filter((p) => !p.alsoAt).slice(0, named);
  const spare = w.h1.patients.filter((p) => !p.alsoAt).slice(named, named + spareCount).map((p) => p.mrn);
  const patients = [];
  for (const [i, p] of local.entries()) {
    const person = await w.enrol(w.h1, `named-${i}`, 'patient');
    const relationshipId = await w.relationship(w.h1, provider, person, p.mrn, ['Observation']);
    patients.push({ person, mrn: p.mrn, relationshipId, token: await token(w.h1, person) });
  }
  await seedResearchPopulation(w.system, { patients: POPULATION, registrarPassword: REGISTRAR_PASSWORD, skip: new Set([...local.map((p) => p.mrn), ...spare]) });
  const registrar = async (h: Hospital): Promise<Person> => {
    const record = await w.client.evaluate(h.registrar, Registrar.whoami());
    return { signer: h.registrar, enrollmentId: h.registrar.enrollmentId, role: 'registrar', mspId: h.mspId, participantId: record.participantId, identityId: record.identityId };
  };
  const dbs: Database.Database[] = [];
  return {
    w,
    provider,
    researchers: people,
    stewards,
    patients,
    spare,
    token,
    as: async (h, p, method, path, body) => api(h.url, method, path, { token: await token(h, p), ...(body === undefined ? {} : { body }) }),
    registrar,
    moreResearchers: async (h, prefix, n) => {
      const credentials = await h.ca.enrollBatch(h.registrar, Array.from({ length: n }, (_, i) => ({ enrollmentId: `${prefix}-${i}`, role: 'researcher' })));
      const items = credentials.map((c) => ({ externalIdHash: randomBytes(32).toString('hex'), enrollmentId: c.enrollmentId, role: 'researcher' as const }));
      const pids = (await w.client.submit(h.registrar, Registrar.registerBatch(items))).value;
      return credentials.map((c, i) => ({ signer: c, enrollmentId: c.enrollmentId, role: 'researcher', mspId: h.mspId, participantId: pids[i]!, identityId: identityId(h.mspId, c.enrollmentId) }));
    },
    ehr: (h) => {
      const db = new Database(h.ehrFile);
      db.pragma('busy_timeout = 5000');
      dbs.push(db);
      return db;
    },
    close: async () => {
      for (const db of dbs) db.close();
      await w.close();
    },
  };
}

/** Replaces a Hospital-1 patient's glucose results with the given (day, value) rows. */
export function setGlucose(db: Database.Database, mrn: string, rows: [string, number][]): void {
  const patientId = (db.prepare('SELECT patient_id FROM patients WHERE mrn = ?').get(mrn) as { patient_id: number }).patient_id;
  db.transaction(() => {
    db.prepare("DELETE FROM lab_results WHERE patient_id = ? AND loinc_code = '2345-7'").run(patientId);
    const insert = db.prepare(
      `INSERT INTO lab_results (patient_id, loinc_code, test_name, value_num, unit_ucum, collected_at, result_status, updated_at)
       VALUES (?, '2345-7', 'Glucose [Mass/volume] in Serum or Plasma', ?, 'mg/dL', ?, 'final', ?)`,
    );
    for (const [day, value] of rows) insert.run(patientId, value, `${day}T08:00:00Z`, `${day}T10:00:00Z`);
  })();
}
