import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import t from 'tap';
import { DEMO_HOSPITALS, demoPatients, sharedCount, type DemoPatient } from '../../demo/seed/population.js';
import { generateDataset, seedHospital } from '../../demo/seed/seed.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../bin/seed.js', import.meta.url));
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const dir = t.testdir({});

t.test('the same seed gives the same database, byte for byte; another seed does not', async (t) => {
  for (const hospital of DEMO_HOSPITALS) {
    const a = join(dir, `${hospital}-a.db`);
    const b = join(dir, `${hospital}-b.db`);
    const c = join(dir, `${hospital}-c.db`);
    await seedHospital(hospital, { kind: 'sqlite', file: a }, { patients: 20, seed: 's1' });
    await seedHospital(hospital, { kind: 'sqlite', file: b }, { patients: 20, seed: 's1' });
    await seedHospital(hospital, { kind: 'sqlite', file: c }, { patients: 20, seed: 's2' });
    t.equal(sha(a), sha(b), `${hospital}: identical bytes`);
    t.not(sha(a), sha(c), `${hospital}: a different seed, a different database`);
    t.same(generateDataset(hospital, { patients: 20, seed: 's1' }), generateDataset(hospital, { patients: 20, seed: 's1' }));
  }
});

t.test('seeding replaces an existing database instead of adding to it', async (t) => {
  const file = join(dir, 'reseed.db');
  await seedHospital('hospital1', { kind: 'sqlite', file }, { patients: 5 });
  const first = sha(file);
  const result = await seedHospital('hospital1', { kind: 'sqlite', file }, { patients: 5 });
  t.equal(sha(file), first);
  const db = new Database(file, { readonly: true });
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM patients').get() as { n: number }).n, 5);
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM lab_results').get() as { n: number }).n, result.rows['lab_results']);
  t.same(db.pragma('foreign_key_check'), [], 'every row belongs to a patient');
  db.close();
});

t.test('demo patients: local MRNs, fake external ids, a few people in both hospitals', async (t) => {
  const h1 = demoPatients('hospital1', { patients: 30 });
  const h2 = demoPatients('hospital2', { patients: 30 });
  t.equal(sharedCount(30), 5);
  for (const [list, pattern] of [[h1, /^H1-\d{6}$/], [h2, /^H2-\d{6}$/]] as const) {
    t.equal(new Set(list.map((p) => p.mrn)).size, 30, 'MRNs unique');
    t.ok(list.every((p) => pattern.test(p.mrn)), 'local MRN format');
    t.ok(list.every((p) => /^SYN-\d{3}-\d{6}$/.test(p.externalId)), 'obviously synthetic external ids');
    t.ok(list.every((p) => /^\+1-555-01\d{2}$/.test(p.phone)), 'fictional phone numbers');
  }
  const shared = h1.filter((p) => p.alsoAt);
  t.equal(shared.length, 5, 'five shared people');
  for (const p of shared) {
    const other = h2.find((q) => q.mrn === p.alsoAt!.mrn)!;
    t.ok(other, 'the other MRN exists');
    t.equal(other.externalId, p.externalId, 'same person (same external id)');
    t.not(other.mrn, p.mrn, 'different local MRN');
    t.same([other.given, other.family, other.birthDate], [p.given, p.family, p.birthDate]);
    t.same(other.alsoAt, { hospital: 'hospital1', mrn: p.mrn }, 'linked both ways');
  }
  const ids1 = new Set(h1.map((p) => p.externalId));
  t.equal(h2.filter((p) => ids1.has(p.externalId)).length, 5, 'nobody else is shared');
  t.equal(new Set([...h1, ...h2].map((p) => p.externalId)).size, 55, 'external ids unique across the population');
  t.same(demoPatients('hospital1', { patients: 30 }), h1, 'deterministic');
  t.throws(() => demoPatients('hospital4'), /no demo hospital/);
});

t.test('hospital3 (added by fabric:add-hospital) shares its first patients with hospital2, none with hospital1', async (t) => {
  const [h1, h2, h3] = ['hospital1', 'hospital2', 'hospital3'].map((h) => demoPatients(h, { patients: 30 })) as [DemoPatient[], DemoPatient[], DemoPatient[]];
  t.ok(h3.every((p) => /^H3-\d{6}$/.test(p.mrn)), 'its own MRN format');
  const shared = h3.filter((p) => p.alsoAt);
  t.same(shared.map((p) => p.alsoAt!.hospital), Array(5).fill('hospital2'), 'five people shared with hospital2');
  for (const p of shared) t.same(h2.find((q) => q.mrn === p.alsoAt!.mrn)?.alsoAt, { hospital: 'hospital3', mrn: p.mrn }, 'linked both ways');
  const ids1 = new Set(h1.map((p) => p.externalId));
  t.equal(h3.filter((p) => ids1.has(p.externalId)).length, 0, 'nobody is at all three hospitals');
  t.equal(h2.filter((p) => p.alsoAt?.hospital === 'hospital1').length, 5, "hospital2's link to hospital1 unchanged");
  t.throws(() => demoPatients('hospital1', { patients: 0 }), RangeError);
});

t.test('CLI seeds a SQLite file and refuses bad arguments', async (t) => {
  const out = join(dir, 'cli', 'hospital2.db');
  const { stdout } = await run(process.execPath, [CLI, '--hospital', 'hospital2', '--out', out, '--patients', '7']);
  t.match(stdout, /seeded hospital2: 7 synthetic patients/);
  const db = new Database(out, { readonly: true });
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM person').get() as { n: number }).n, 7);
  db.close();
  await t.rejects(run(process.execPath, [CLI, '--out', out]), { code: 1, stderr: /usage/ }, 'no hospital');
  await t.rejects(run(process.execPath, [CLI, '--hospital', 'hospital1']), { code: 1, stderr: /usage/ }, 'no target');
  await t.rejects(run(process.execPath, [CLI, '--hospital', 'nowhere', '--out', out]), { code: 1, stderr: /no demo hospital/ });
  await t.rejects(run(process.execPath, [CLI, '--hospital', 'hospital1', '--out', out, '--patients', 'many']), { code: 1, stderr: /patients/ });
  const env = { ...process.env };
  delete env['MEDREC_MSSQL_URL'];
  await t.rejects(run(process.execPath, [CLI, '--hospital', 'hospital1', '--mssql'], { env }), { code: 1, stderr: /MEDREC_MSSQL_URL/ });
});
