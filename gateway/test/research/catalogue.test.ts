/**
 * Each hospital's aggregate catalogue (the `research` section of its mapping file) and the EHR
 * adapters that run it: checked at start, values always bound, nothing but the declared columns.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mssql from 'mssql';
import t from 'tap';
import type { ResearchQuery } from '@medrec/chaincode/domain';
import { MssqlResearchStore } from '../../src/adapters/ehr/mssql/research.js';
import { SqliteResearchStore } from '../../src/adapters/ehr/sqlite/research.js';
import { EhrUnavailableError, UnknownCategoryError, type Row } from '../../src/ports/ehr.js';
import type { ResearchStore } from '../../src/ports/research.js';
import { loadHospitalMapping, mappingFile } from '../../src/services/records/hospitals.js';
import { MappingError, parseMapping, type HospitalMapping } from '../../src/services/records/mapping.js';
import { ResearchCatalogue, storeName } from '../../src/services/research/catalogue.js';
import { ageBandOf, ageOn, cohortRows } from '../../src/services/research/cohort.js';
import { Problem } from '../../src/services/problem.js';
import { openResearch } from '../../src/system/research.js';
import { seedHospital } from '../../demo/seed/seed.js';

const h1 = loadHospitalMapping('hospital1');
const h2 = loadHospitalMapping('hospital2');
const withResearch = (research: unknown): HospitalMapping => ({ ...h1, research: research as HospitalMapping['research'] });

t.test("the demo hospitals' catalogues: every template, and Hospital 2's own codes for the consortium's", async (t) => {
  for (const mapping of [h1, h2, loadHospitalMapping('hospital3')]) {
    t.same(ResearchCatalogue.of(mapping)!.templates(), ['patient-count', 'lab-mean', 'medication-count'], mapping.hospital);
  }
  const two = ResearchCatalogue.of(h2)!;
  t.same(two.localCodes('conditions', '44054006'), ['E11.9'], 'SNOMED CT → ICD-10-CM');
  t.same(two.localCodes('lab-mean', '2345-7'), ['2345-7'], 'no map: the same code');
  t.equal(two.sexOf('F'), 'female');
  t.equal(two.sexOf('X'), 'unknown', 'an unknown local code is never guessed');
  t.equal(ResearchCatalogue.of({ ...h1, research: undefined }), null, 'no section: no research answers');
});

t.test('a catalogue that binds other parameters, writes, or names codes outside the vocabulary stops startup', async (t) => {
  const base = structuredClone(h1.research!);
  const cases: [string, (r: typeof base) => void, RegExp][] = [
    ['no cohort', (r) => (r.demographics.sql.sqlite = 'SELECT mrn AS patient_key, sex, birth_date FROM patients'), /demographics\/sql\/sqlite: must use the named parameter @cohort/],
    ['another parameter', (r) => (r.templates['lab-mean']!.sql.mssql += ' AND 1 = @debug'), /lab-mean\/sql\/mssql: must not use other parameters or variables \(@debug\)/],
    ['a write', (r) => (r.conditions!.sql.sqlite = "DELETE FROM diagnoses WHERE mrn IN (SELECT value FROM json_each(@cohort)) AND x IN (@codes) AND y < @to"), /must be a single SELECT/],
    ['a code outside the vocabulary', (r) => (r.conditions!.codes = { '12345': ['X'] }), /conditions\/codes: 12345 is not in the research vocabulary/],
  ];
  for (const [name, change, problem] of cases) {
    const research = structuredClone(base);
    change(research);
    t.throws(() => ResearchCatalogue.of(withResearch(research)), { name: 'MappingError', message: problem }, name);
  }
  t.throws(() => parseMapping({ ...h1, research: { ...base, templates: { 'free-text': {} } } }, 'x'), MappingError, 'an unknown template id is refused by the schema');
  t.throws(() => parseMapping({ ...h1, research: { ...base, demographics: { ...base.demographics, sex: { F: 'woman' } } } }, 'x'), MappingError, 'sex maps onto FHIR gender only');
});

t.test('on SQLite the columns each query returns are checked at start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-catalogue-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ehr.sqlite');
  await seedHospital('hospital1', { kind: 'sqlite', file }, { patients: 5 });
  const research = structuredClone(h1.research!);
  research.templates['lab-mean']!.sql.sqlite = research.templates['lab-mean']!.sql.sqlite.replace('AVG(r.value_num) AS value', 'AVG(r.value_num) AS value, p.given_name');
  const mapping = join(dir, 'mapping.json');
  writeFileSync(mapping, JSON.stringify({ ...h1, research }));
  const hospital = { mspId: 'Hospital1MSP', dataDir: dir, ehr: { adapter: 'sqlite' as const, mappingFile: mapping, sqliteFile: file } };
  t.throws(() => openResearch(hospital as never), { name: 'MappingError', message: /lab-mean query must return exactly patient_key, value \(it returns patient_key, value, given_name\)/ });
  const good = openResearch({ ...hospital, ehr: { ...hospital.ehr, mappingFile: mappingFile('hospital1') } } as never);
  t.ok(good.store);
  const rows = await good.store!.rows(storeName('demographics'), { cohort: JSON.stringify(['H1-000100', "x') OR 1=1 --"]) });
  t.same(rows.map((r) => r['patient_key']), ['H1-000100'], 'the cohort is a bound JSON value: an injection string is just a key nobody has');
  await t.rejects(good.store!.rows('research:nothing', {}), UnknownCategoryError);
  await good.store!.close();
  await t.rejects(good.store!.rows(storeName('demographics'), { cohort: '[]' }), EhrUnavailableError, 'a closed store is unavailable');
  t.throws(() => new SqliteResearchStore(file, { bad: 'DELETE FROM patients' }), /read-only|readonly/);
});

t.test('on SQL Server every parameter is bound as NVARCHAR(MAX), the T-SQL untouched', async (t) => {
  const calls: { sql: string; inputs: [string, unknown, unknown][] }[] = [];
  const failure: { error?: unknown } = {};
  const pool = {
    connect: async () => undefined,
    close: async () => undefined,
    request: () => {
      const call = { sql: '', inputs: [] as [string, unknown, unknown][] };
      calls.push(call);
      return {
        input: (name: string, type: unknown, value: unknown) => call.inputs.push([name, type, value]),
        query: async (sql: string) => {
          call.sql = sql;
          if (failure.error) throw failure.error;
          return { recordset: [{ patient_key: 'H1-000100', value: 101.5 }] };
        },
      };
    },
  };
  const queries = ResearchCatalogue.of(h1)!.queries('mssql');
  const store = new MssqlResearchStore(pool, queries);
  const params = { cohort: '["H1-000100"]', codes: '["2345-7"]', from: '2020-01-01', to: '2025-01-01' };
  t.same(await store.rows(storeName('lab-mean'), params), [{ patient_key: 'H1-000100', value: 101.5 }]);
  t.equal(calls[0]!.sql, queries[storeName('lab-mean')]);
  t.same(calls[0]!.inputs.map(([name, , value]) => [name, value]), Object.entries(params));
  t.ok(calls[0]!.inputs.every(([, type]) => JSON.stringify(type) === JSON.stringify(mssql.NVarChar(mssql.MAX))));
  t.equal(store.columns(), undefined, 'unknown before running: checked on every answer instead');
  failure.error = Object.assign(new Error('socket hang up'), { code: 'ESOCKET' });
  await t.rejects(store.rows(storeName('lab-mean'), params), EhrUnavailableError);
  await t.rejects(store.rows('research:nothing', {}), UnknownCategoryError);
  await store.close();
});

t.test("ages, and a catalogue query that returns what it must not is a fault: nothing is released", async (t) => {
  t.equal(ageOn('1980-06-15', '2025-06-14'), 44);
  t.equal(ageOn('1980-06-15', '2025-06-15'), 45);
  t.equal(ageOn('1980-06-15T00:00:00.000Z', '2025-06-15'), 45, 'a SQL Server date as the driver gives it');
  t.equal(ageOn(null, '2025-01-01'), null);
  t.equal(ageOn('2030-01-01', '2025-01-01'), null);
  t.same([0, 17, 18, 39, 40, 64, 65, 99].map(ageBandOf), ['0-17', '0-17', '18-39', '18-39', '40-64', '40-64', '65+', '65+']);
  const query = { template: 'lab-mean', code: '2345-7', criteria: { period: { from: '2020-01-01', to: '2025-01-01' } }, groupBy: [], createdAt: '2026-01-01T00:00:00.000Z' } as unknown as ResearchQuery;
  const catalogue = ResearchCatalogue.of(h1)!;
  const members = [{ key: 'H1-000100', participantId: 'p1' }];
  /** a stand-in store returning fixed rows (a unit test of the row checks only) */
  const store = (rows: Record<string, Row[]>): ResearchStore => ({
    kind: 'sqlite',
    rows: async (name) => rows[name] ?? [],
    columns: () => undefined,
    close: async () => undefined,
  });
  const demo = { [storeName('demographics')]: [{ patient_key: 'H1-000100', sex: 'female', birth_date: '1970-01-01' }] };
  t.same(await cohortRows(store({ ...demo, [storeName('lab-mean')]: [{ patient_key: 'H1-000100', value: 120 }] }), catalogue, query, members), [
    { sex: 'female', ageBand: '40-64', value: 120, participantId: 'p1' },
  ]);
  const faults: [string, Record<string, Row[]>][] = [
    ['an extra column', { [storeName('demographics')]: [{ ...demo[storeName('demographics')]![0]!, given_name: 'Ann' }] }],
    ['a patient outside the cohort', { [storeName('demographics')]: [{ patient_key: 'H1-999999', sex: 'female', birth_date: '1970-01-01' }] }],
    ['a text value', { ...demo, [storeName('lab-mean')]: [{ patient_key: 'H1-000100', value: 'high' }] }],
    ['two rows for one patient', { ...demo, [storeName('lab-mean')]: [{ patient_key: 'H1-000100', value: 1 }, { patient_key: 'H1-000100', value: 2 }] }],
  ];
  for (const [name, rows] of faults) {
    await t.rejects(cohortRows(store(rows), catalogue, query, members), new Problem(500, 'RESEARCH_MAPPING_ERROR', ''), name);
  }
});
