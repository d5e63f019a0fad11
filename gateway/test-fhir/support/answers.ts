/**
 * The gatekeeper's real answers, collected the way a patient and a viewer get them: over HTTP, through
 * `/records/fetch` on their own gateway, which signs the request and asks the relationship's gatekeeper
 * (hospital1's or hospital2's) over a socket. Nothing here builds a Bundle itself.
 */
import { fieldsOf, type Category } from '@medrec/chaincode/domain';
import { loadHospitalMapping } from '../../src/services/records/hospitals.js';
import { demoPatients, type DemoPatient } from '../../demo/seed/population.js';
import { api, isoIn, login, startTestSystem, type Json, type TestSystem } from '../../test/http/support.js';

/**
 * The one place this suite builds a running system: the HTTP tests' two-hospital system on real
 * sockets, opened by the composition root (src/system) with the demo provisioner (embedded ledger with
 * the real chaincode, embedded CAs, seeded SQLite EHRs, the demo users).
 */
export function startSystem(): Promise<TestSystem> {
  return startTestSystem();
}

export const HOSPITALS = ['hospital1', 'hospital2'] as const;
export type HospitalKey = (typeof HOSPITALS)[number];

export interface CollectedAnswer {
  label: string;
  hospital: HospitalKey;
  category: Category;
  /** complete: the patient's own fetch; subset: a viewer's */
  kind: 'complete' | 'subset';
  /** the fields the request named ([] = everything the requester may see) */
  requested: string[];
  /** the fields the ledger decided the requester gets */
  granted: string[];
  /** the /records/fetch JSON: the gatekeeper's answer plus the caller's own checks */
  body: Json;
}

interface Subject {
  hospital: HospitalKey;
  /** the gateway of the hospital that treats her and is her home: a hospital treats only patients its own registrar registered */
  base: string;
  person: DemoPatient;
  rel: string;
  token: string;
}

/** Top-level elements a hospital's mapping can fill for a category: the fields worth asking for one by one. */
export function mappedFields(hospital: HospitalKey, category: Category): string[] {
  const elements = loadHospitalMapping(hospital).categories[category]?.elements ?? [];
  return [...new Set(elements.map((e) => e.path.split(/[.[]/)[0]!))];
}

/** The subsets a viewer asks for in one category: every mapped field alone, an unmapped one, and a few sets. */
export function subsetsFor(hospital: HospitalKey, category: Category): string[][] {
  const mapped = mappedFields(hospital, category);
  const unmapped = fieldsOf(category).find((f) => !mapped.includes(f))!;
  const sets = [
    ...mapped.map((f) => [f]),
    [unmapped],
    mapped.slice(0, 2),
    mapped.slice(-2),
    mapped.slice(1),
    [...mapped.slice(0, 1), unmapped],
  ];
  const seen = new Set<string>();
  return sets.filter((s) => s.length > 0 && !seen.has(s.join()) && seen.add(s.join()));
}

const CATEGORIES_OF = (hospital: HospitalKey): Category[] =>
  Object.keys(loadHospitalMapping(hospital).categories) as Category[];

async function ok(what: string, res: Promise<{ status: number; json: Json }>, status = 200): Promise<Json> {
  const r = await res;
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
  return r.json;
}

/**
 * Registers `count` seeded patients of each hospital whose records fill every category at that
 * hospital (her home, so its provider may treat her under her home identity), has its provider open a
 * relationship with each, and lets each patient accept it.
 */
async function subjects(sys: TestSystem, count: number): Promise<Subject[]> {
  const taken = new Set(Object.values(sys.system.provisioned).flat().map((u) => u.externalId));
  const out: Subject[] = [];
  for (const [index, hospital] of HOSPITALS.entries()) {
    const runtime = sys.system.hospitals[index]!;
    const base = index === 0 ? sys.h1 : sys.h2;
    const provider = await login(base, index === 0 ? 'dr-ada' : 'dr-grey');
    const registrar = await login(base, 'registrar', 'registrar-demo-pass');
    const categories = CATEGORIES_OF(hospital);
    let found = 0;
    for (const person of demoPatients(hospital)) {
      if (found === count) break;
      if (taken.has(person.externalId)) continue;
      // Choosing who to ask about reads the EHR directly; every answer below comes over HTTP.
      const sizes = await Promise.all(categories.map((c) => runtime.records.fetch(c, person.mrn).then((r) => r.length)));
      if (sizes.some((n) => n === 0)) continue;
      taken.add(person.externalId);
      const username = `fhir-${hospital}-${found}`;
      const password = `${username}-pass`;
      const reg = await ok('register', api(base, 'POST', '/registrar/activations', {
        token: registrar,
        body: { username, role: 'patient', externalIdKind: 'national-id', externalId: person.externalId },
      }), 201);
      await ok('activate', api(base, 'POST', '/device/activations/redeem', { body: { code: reg['code'], password } }), 201);
      const created = await ok('relationship', api(base, 'POST', '/relationships', {
        token: provider,
        body: { patientId: reg['participantId'], mrn: person.mrn },
      }), 201);
      const token = await login(base, username, password);
      const rel = created['relationshipId'] as string;
      await ok('accept', api(base, 'POST', `/relationships/${rel}/accept`, { token }));
      out.push({ hospital, base, person, rel, token });
      found++;
    }
    if (found < count) throw new Error(`${hospital}: only ${found} seeded patients have records in every category`);
  }
  return out;
}

async function participantId(base: string, token: string): Promise<string> {
  return (await ok('me', api(base, 'GET', '/me', { token })))['participantId'] as string;
}

async function fetchAnswer(base: string, token: string, rel: string, category: Category, fields?: string[]): Promise<Json> {
  const body = { relationshipId: rel, category, ...(fields ? { fields } : {}) };
  return ok(`fetch ${category} ${JSON.stringify(fields ?? [])}`, api(base, 'POST', '/records/fetch', { token, body }));
}

/**
 * Every answer type from both demo hospitals: each patient's complete answer per category, and for the
 * first patient of each hospital a viewer's answers for every subset of `subsetsFor`, plus a second
 * viewer with a narrow grant who asks for everything it may see (`fields: []`).
 */
export async function collectAnswers(sys: TestSystem, options: { patientsPerHospital?: number } = {}): Promise<CollectedAnswer[]> {
  const people = await subjects(sys, options.patientsPerHospital ?? 2);
  const answers: CollectedAnswer[] = [];
  const add = (s: Subject, category: Category, kind: CollectedAnswer['kind'], requested: string[], body: Json, who: string) =>
    answers.push({
      label: `${s.hospital} ${category} ${who} [${requested.join(',') || 'all'}]`,
      hospital: s.hospital,
      category,
      kind,
      requested,
      granted: body['fields'] as string[],
      body,
    });

  for (const s of people) {
    for (const category of CATEGORIES_OF(s.hospital)) {
      add(s, category, 'complete', [], await fetchAnswer(s.base, s.token, s.rel, category), `patient ${s.person.mrn}`);
    }
  }

  const victor = await login(sys.h1, 'victor');
  const wendy = await login(sys.h2, 'wendy');
  const victorId = await participantId(sys.h1, victor);
  const wendyId = await participantId(sys.h2, wendy);
  for (const hospital of HOSPITALS) {
    const s = people.find((p) => p.hospital === hospital)!;
    const categories = CATEGORIES_OF(hospital);
    const grant = (viewerId: string, fields: (c: Category) => string[]) =>
      ok('grant', api(s.base, 'POST', `/relationships/${s.rel}/grants`, {
        token: s.token,
        body: { viewerId, items: categories.map((category) => ({ category, fields: fields(category) })), validUntil: isoIn(3_600_000), purpose: 'TREAT' },
      }), 201);
    await grant(victorId, (c) => [...fieldsOf(c)]);
    const narrow = (c: Category) => mappedFields(hospital, c).slice(-2);
    await grant(wendyId, narrow);
    for (const category of categories) {
      for (const fields of subsetsFor(hospital, category)) {
        add(s, category, 'subset', fields, await fetchAnswer(sys.h1, victor, s.rel, category, fields), 'viewer');
      }
      add(s, category, 'subset', [], await fetchAnswer(sys.h2, wendy, s.rel, category), `viewer granted ${narrow(category).join(',')}`);
    }
  }
  return answers;
}
