import type tap from 'tap';
import { UnknownCategoryError, CATEGORIES, type Category } from '../../src/services/records/categories.js';
import { validateFhir } from '../support/fhir-schema.js';
import { loadHospitalMapping } from '../../src/services/records/hospitals.js';
import { hashResources, RecordService, toBundle, type FhirResource } from '../../src/services/records/records.js';
import { generateDataset, type SeedOptions } from '../../demo/seed/seed.js';
import { rowToResource } from '../../src/services/records/to-fhir.js';
import { UntrackedCategoryError, type EhrStore, type Row } from '../../src/ports/ehr.js';

export type TapTest = Parameters<Parameters<typeof tap.test>[0]>[0];

/** A store over a database freshly seeded with `generateDataset(hospital, options)`. */
export interface ContractTarget {
  hospital: string;
  options: SeedOptions;
  open(): Promise<EhrStore>;
}

export const INJECTION_KEYS = [
  "' OR 1=1 --",
  "' OR '1'='1",
  "x' OR mrn LIKE '%",
  "'; DROP TABLE patients; --",
  "'; DROP TABLE person; --",
  "H1-000100'; DELETE FROM lab_results; --",
  "H2-000500' UNION SELECT * FROM person --",
  '" OR ""="',
  '@patientKey',
  '%',
  '*',
  "\\'; SELECT 1; --",
  "H1-000100' --",
  "'; EXEC xp_cmdshell('dir'); --",
];

/** What the database should answer, derived straight from the seeded rows and the mapping, sorted by id. */
export function expectedResources(hospital: string, options: SeedOptions): Map<string, FhirResource[]> {
  const mapping = loadHospitalMapping(hospital);
  const dataset = generateDataset(hospital, options);
  const patientTable = dataset.tables.find((t) => t.spec.feeds?.category === 'Patient')!;
  const mrnColumn = patientTable.spec.columns.find((c) => c.unique)!.name;
  const expected = new Map<string, FhirResource[]>();
  for (const patient of patientTable.rows) {
    const pk = patient[patientTable.spec.primaryKey];
    for (const { spec, rows } of dataset.tables) {
      const category = spec.feeds!.category;
      const mine = rows.filter((r) => r[spec.feeds!.patientColumn] === pk);
      expected.set(
        key(String(patient[mrnColumn]), category),
        mine.map((r) => rowToResource(category, mapping.categories[category]!, r as Row)).sort(byId),
      );
    }
  }
  return expected;
}

const key = (mrn: string, category: Category) => `${mrn}|${category}`;
const byId = (a: FhirResource, b: FhirResource) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The one contract every EhrStore adapter must meet, run against each adapter's real database. */
export async function ehrStoreContract(t: TapTest, target: ContractTarget): Promise<void> {
  const mapping = loadHospitalMapping(target.hospital);
  const expected = expectedResources(target.hospital, target.options);
  const mrns = [...new Set([...expected.keys()].map((k) => k.split('|')[0]!))];
  const store = await target.open();
  const records = new RecordService(store, mapping);
  t.teardown(() => store.close());

  async function everything(): Promise<string> {
    const hashes: string[] = [];
    for (const mrn of mrns) for (const c of CATEGORIES) hashes.push(hashResources(await records.fetch(c, mrn)));
    return hashes.join(',');
  }

  t.test('change queries: a freshly seeded database has no changes (seeding is not one); an untracked category is refused', async (t) => {
    for (const category of CATEGORIES) t.same(await store.changes(category, 0), [], `${category}: no changes`);
    await t.rejects(store.changes('Specimen', 0), UntrackedCategoryError);
  });

  t.test('ping answers', async (t) => {
    await t.resolves(store.ping());
  });

  t.test('each category returns exactly the seeded records of that patient, as FHIR', async (t) => {
    let total = 0;
    for (const mrn of mrns) {
      for (const category of CATEGORIES) {
        const actual = (await records.fetch(category, mrn)).sort(byId);
        const wanted = expected.get(key(mrn, category))!;
        t.same(actual, wanted, `${category} of ${mrn}`);
        total += actual.length;
      }
    }
    t.ok(total > mrns.length * 5, `many records compared (${total})`);
    const categoriesWithData = CATEGORIES.filter((c) => mrns.some((m) => expected.get(key(m, c))!.length > 0));
    t.same(categoriesWithData, CATEGORIES, 'the seed gives every category data for someone');
  });

  t.test('one Patient row per MRN, and different patients have different keys', async (t) => {
    const mrn = mrns[0]!;
    const patientRows = await store.query('Patient', mrn);
    t.equal(patientRows.length, 1, 'one patient row');
    const id = mapping.categories.Patient!.id.column;
    const otherPatient = (await store.query('Patient', mrns[1]!))[0]!;
    t.not(patientRows[0]![id], otherPatient[id], 'different patients, different keys');
  });

  t.test('unknown categories are refused', async (t) => {
    for (const bad of ['Specimen', 'patient', '', '__proto__', 'constructor', 'toString', "Patient' OR 1=1 --"]) {
      await t.rejects(store.query(bad, mrns[0]!), UnknownCategoryError, `store refuses ${JSON.stringify(bad)}`);
      await t.rejects(records.fetch(bad, mrns[0]!), { code: 'UNKNOWN_CATEGORY' }, `service refuses ${JSON.stringify(bad)}`);
    }
  });

  t.test('unknown, empty and oversized patient keys find nothing', async (t) => {
    for (const k of ['H9-999999', '', 'x'.repeat(65), `${mrns[0]!}${' '.repeat(60)}x`]) {
      for (const category of CATEGORIES) t.same(await store.query(category, k), [], `${category} for ${JSON.stringify(k.slice(0, 20))}`);
    }
  });

  t.test('SQL injection strings as the patient key return nothing and change nothing', async (t) => {
    const before = await everything();
    for (const attack of INJECTION_KEYS) {
      for (const category of CATEGORIES) {
        t.same(await store.query(category, attack), [], `${category} with ${JSON.stringify(attack)}`);
      }
    }
    t.equal(await everything(), before, 'every record of every patient is unchanged');
    await t.resolves(store.ping(), 'database still answers');
  });

  t.test('every resource and every bundle validates against the FHIR R4 schema', async (t) => {
    let checked = 0;
    for (const mrn of mrns) {
      for (const category of CATEGORIES) {
        const resources = await records.fetch(category, mrn);
        for (const r of resources) {
          const v = validateFhir(r);
          if (!v.valid) t.fail(`${r.resourceType}/${r.id} invalid`, { errors: v.errors });
          checked++;
        }
        const bundle = validateFhir(toBundle(resources));
        t.ok(bundle.valid, `${category} bundle of ${mrn} valid`, { errors: bundle.errors });
      }
    }
    t.ok(checked > 0, `${checked} resources validated`);
  });

  t.test('the hash of a fetch is stable across fetches', async (t) => {
    const mrn = mrns[0]!;
    t.equal(hashResources(await records.fetch('Observation', mrn)), hashResources(await records.fetch('Observation', mrn)));
    t.equal(
      hashResources(await records.fetch('Observation', mrn)),
      hashResources(expected.get(key(mrn, 'Observation'))!),
      'the hash of what the database serves equals the hash of what was seeded',
    );
  });
}
