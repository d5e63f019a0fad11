import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { SqliteEhrStore } from '../../src/adapters/ehr/sqlite/store.js';
import { loadHospitalMapping } from '../../src/services/records/hospitals.js';
import { changeQueriesFor, queriesFor } from '../../src/services/records/mapping.js';
import { hashResources, RecordService } from '../../src/services/records/records.js';
import { demoPatients } from '../../demo/seed/population.js';
import { seedHospital } from '../../demo/seed/seed.js';
import { EhrUnavailableError } from '../../src/ports/ehr.js';
import { ehrStoreContract } from './contract.js';

const options = { patients: 12, seed: 'contract-sqlite' };
const dir = t.testdir({});

async function seeded(hospital: string): Promise<string> {
  const file = join(dir, `${hospital}.db`);
  await seedHospital(hospital, { kind: 'sqlite', file }, options);
  return file;
}

for (const hospital of ['hospital1', 'hospital2', 'hospital3']) {
  t.test(`SQLite EHR store contract: ${hospital}`, async (t) => {
    const file = await seeded(hospital);
    await ehrStoreContract(t, {
      hospital,
      options,
      open: async () => new SqliteEhrStore(file, queriesFor(loadHospitalMapping(hospital), 'sqlite'), {}, changeQueriesFor(loadHospitalMapping(hospital), 'sqlite')),
    });
  });
}

t.test('editing a value directly in the SQLite file changes the hash of that record set only', async (t) => {
  const file = await seeded('hospital1');
  const mapping = loadHospitalMapping('hospital1');
  const store = new SqliteEhrStore(file, queriesFor(mapping, 'sqlite'));
  t.teardown(() => store.close());
  const records = new RecordService(store, mapping);
  const [first, second] = demoPatients('hospital1', options);
  const before = hashResources(await records.fetch('Observation', first!.mrn));
  const untouched = hashResources(await records.fetch('Observation', second!.mrn));
  const conditionsBefore = hashResources(await records.fetch('Condition', first!.mrn));

  const writer = new Database(file);
  const changed = writer
    .prepare(`UPDATE lab_results SET value_num = value_num + 0.5
              WHERE result_id = (SELECT MIN(r.result_id) FROM lab_results r JOIN patients p USING (patient_id) WHERE p.mrn = ?)`)
    .run(first!.mrn).changes;
  writer.close();
  t.equal(changed, 1, 'one lab value edited at the source');

  t.not(hashResources(await records.fetch('Observation', first!.mrn)), before, 'the edited record set hashes differently');
  t.equal(hashResources(await records.fetch('Observation', second!.mrn)), untouched, "another patient's hash is unchanged");
  t.equal(hashResources(await records.fetch('Condition', first!.mrn)), conditionsBefore, 'another category is unchanged');
});

t.test('a legacy-format timestamp edit in hospital2 also shows in the hash', async (t) => {
  const file = await seeded('hospital2');
  const mapping = loadHospitalMapping('hospital2');
  const store = new SqliteEhrStore(file, queriesFor(mapping, 'sqlite'));
  t.teardown(() => store.close());
  const records = new RecordService(store, mapping);
  const mrn = demoPatients('hospital2', options)[0]!.mrn;
  const before = hashResources(await records.fetch('Immunization', mrn));
  const writer = new Database(file);
  writer.prepare(`UPDATE immunization_log SET admin_dttm = '2001-02-03 04:05:06'
                  WHERE imm_id = (SELECT MIN(i.imm_id) FROM immunization_log i JOIN person p USING (person_no) WHERE p.med_rec_no = ?)`).run(mrn);
  writer.close();
  const after = await records.fetch('Immunization', mrn);
  t.not(hashResources(after), before);
  t.ok(after.some((r) => r['occurrenceDateTime'] === '2001-02-03T04:05:06Z'), 'zone-less legacy time is served as UTC');
});

t.test('the store refuses to start on a database or query it cannot use', async (t) => {
  const file = await seeded('hospital1');
  t.throws(() => new SqliteEhrStore(join(dir, 'missing.db'), {}), EhrUnavailableError, 'missing file: unavailable, not created');
  t.throws(
    () => new SqliteEhrStore(file, { Patient: 'SELECT * FROM no_such_table WHERE mrn = @patientKey' }),
    /no such table/,
    'a query naming a missing table stops startup',
  );
  t.throws(
    () => new SqliteEhrStore(file, { Patient: 'DELETE FROM patients WHERE mrn = @patientKey' }),
    /not a read-only SELECT/,
    'a writing statement is refused even if a mapping let it through',
  );
  t.throws(
    () => new SqliteEhrStore(file, { Patient: 'SELECT 1 WHERE @patientKey = 1; DROP TABLE patients' }),
    /more than one statement/,
    'two statements are refused',
  );
  const check = new Database(file, { readonly: true });
  t.equal((check.prepare('SELECT COUNT(*) AS n FROM patients').get() as { n: number }).n, 12, 'nothing was changed');
  check.close();
});

t.test('the connection is read-only', async (t) => {
  const file = await seeded('hospital1');
  const store = new SqliteEhrStore(file, { Patient: 'SELECT * FROM patients WHERE mrn = @patientKey' });
  t.teardown(() => store.close());
  const db = (store as unknown as { db: Database.Database }).db;
  t.equal(db.readonly, true, 'opened read-only');
  t.throws(() => db.exec("UPDATE patients SET city = 'X'"), /readonly/, 'writes through the connection fail');
});

t.test('a closed store reports itself unavailable', async (t) => {
  const file = await seeded('hospital1');
  const store = new SqliteEhrStore(file, queriesFor(loadHospitalMapping('hospital1'), 'sqlite'));
  await store.close();
  await t.rejects(store.query('Patient', 'H1-000100'), EhrUnavailableError);
  await t.rejects(store.ping(), EhrUnavailableError);
  await t.resolves(store.close(), 'closing twice is harmless');
});

t.test('a non-string patient key is a programming error, not a query', async (t) => {
  const file = await seeded('hospital1');
  const store = new SqliteEhrStore(file, queriesFor(loadHospitalMapping('hospital1'), 'sqlite'));
  t.teardown(() => store.close());
  await t.rejects(store.query('Patient', 42 as unknown as string), TypeError);
  await t.rejects(store.query('Patient', { toString: () => "' OR 1=1 --" } as unknown as string), TypeError);
});
