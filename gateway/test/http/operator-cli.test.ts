/**
 * The operator CLIs as their users run them, as child processes against a running system over HTTP:
 * `npm run onboard` (a hospital admin's panel upload, progress, refused rows, the 0600 letters file,
 * exit codes) and `npm run audit` (an auditor's verify of a gatekeeper's access log against the
 * ledger's anchors and of the ledger itself, its relationship report, its log listing, and the
 * offline verify of an embedded ledger file that finds a tampered block), `npm run rotate-index-key`
 * (the admin's rotation of the external-id index key, resumed after a first run), with their refusals.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import '../../src/system/quiet-chaincode.js';
import { api, login, testSystemFor } from './support.js';
import { demoPatients } from '../../demo/seed/population.js';
import { demoUsersFor } from '../../demo/users.js';
import { FIRST_ADMIN_CODE_FILE } from '../../src/system/system.js';

t.setTimeout(240_000);

const bin = (name: string) => fileURLToPath(new URL(`../../bin/${name}.js`, import.meta.url));
const run = promisify(execFile);

async function cli(name: string, args: string[], password: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin(name), ...args], { env: { ...process.env, ...sys.clientEnv, MEDREC_PASSWORD: password }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const sys = await testSystemFor(t, undefined, {}, { anchoring: { everyRecords: 3, intervalMs: 60_000, retryMs: 200 } });
const { h1 } = sys;
const dataDir = sys.system.config.hospitals[0]!.dataDir;
const { code } = JSON.parse(readFileSync(join(dataDir, FIRST_ADMIN_CODE_FILE), 'utf8')) as { code: string };
await api(h1, 'POST', '/device/activations/redeem', { body: { code, password: 'cli-admin-password' } });

t.test('npm run onboard: upload, progress, refused rows, a 0600 letters file', async (t) => {
  const people = demoPatients('hospital1').slice(40, 45);
  const panel = join(sys.dir, 'panel.csv');
  writeFileSync(panel, ['mrn', ...people.map((p) => p.mrn), 'H1-NOBODY'].join('\n'));
  const out = join(sys.dir, 'letters.csv');
  const first = await cli('onboard', [panel, '--gateway', h1, '--user', 'hospital-admin', '--out', out, '--batch', '2', '--poll-ms', '50'], 'cli-admin-password');
  t.equal(first.code, 3, 'exit 3: a row was refused');
  t.match(first.stderr, /row 6: 422 CHART_NOT_PATIENT/);
  t.match(first.stderr, /\[#+\] 6\/6/, 'a progress bar');
  t.match(JSON.parse(first.stdout), { state: 'done', registered: 5, failed: 1 });
  t.equal(statSync(out).mode & 0o777, 0o600);
  t.equal(readFileSync(out, 'utf8').trim().split('\n').length, 6, 'a header and five letters');

  writeFileSync(panel, ['mrn', ...people.map((p) => p.mrn)].join('\n'));
  const again = await cli('onboard', [panel, '--gateway', h1, '--user', 'hospital-admin', '--out', out, '--poll-ms', '50'], 'cli-admin-password');
  t.equal(again.code, 0);
  t.match(JSON.parse(again.stdout), { registered: 0, existing: 5, failed: 0 });

  const notAdmin = await cli('onboard', [panel, '--gateway', h1, '--user', 'registrar', '--out', out], 'registrar-demo-pass');
  t.equal(notAdmin.code, 2);
  t.match(notAdmin.stderr, /medrec: ROLE_FORBIDDEN/);
  const wrong = await cli('onboard', [panel, '--gateway', h1, '--user', 'hospital-admin', '--out', out], 'not-the-password');
  t.equal(wrong.code, 2);
  const usage = await cli('onboard', ['--gateway', h1], 'x');
  t.match(usage.stderr, /medrec: USAGE/);
});

t.test('npm run audit -- verify: the access log agrees with the ledger anchors', async (t) => {
  // Some gatekeeper traffic to audit and anchor: dr-ada opens a relationship with bob, who reads his records.
  const bob = await login(h1, 'bob');
  const bobId = (await api(h1, 'GET', '/me', { token: bob })).json.participantId as string;
  const mrn = demoUsersFor('hospital1').find((u) => u.username === 'bob')!.mrn!;
  const created = await api(h1, 'POST', '/relationships', { token: await login(h1, 'dr-ada'), body: { patientId: bobId, mrn } });
  const rel = (created.json.relationshipId ?? created.json.extensions?.relationshipId) as string;
  t.match(rel, /^[0-9a-f]{64}$/, `a relationship (${created.status})`);
  await api(h1, 'POST', `/relationships/${rel}/accept`, { token: bob });
  for (let i = 0; i < 4; i++) await api(h1, 'POST', '/records/fetch', { token: bob, body: { relationshipId: rel, category: 'Observation' } });
  // The anchor is written in the background once three records are in: wait for it (bounded).
  let verified = await cli('audit', ['verify', '--gateway', h1, '--user', 'audra', '--relationship', rel], 'audra-demo-pass');
  for (let i = 0; i < 40 && (JSON.parse(verified.stdout || '{}') as { anchors?: number }).anchors === 0; i++) {
    await new Promise((r) => setTimeout(r, 250));
    verified = await cli('audit', ['verify', '--gateway', h1, '--user', 'audra', '--relationship', rel], 'audra-demo-pass');
  }
  t.equal(verified.code, 0, verified.stderr);
  const report = JSON.parse(verified.stdout) as { ok: boolean; records: number; anchors: number; anchoredTo: number; relationship: { accesses: unknown[]; ledgerChanges: number } };
  t.ok(report.ok);
  t.ok(report.records >= 4, 'the reads are in the log');
  t.ok(report.anchors >= 1 && report.anchoredTo >= 3, 'and anchored on the ledger');
  t.ok(report.relationship.accesses.length >= 4, "the relationship's accesses");
  t.ok(report.relationship.ledgerChanges >= 1, 'and its ledger history');
  t.match(verified.stderr, /agrees with its \d+ ledger anchors/);
  const ledger = (JSON.parse(verified.stdout) as { ledger: { ok: boolean; height: number; problems: string[]; checked: string } }).ledger;
  t.match(ledger, { ok: true, problems: [], checked: 'file' }, "and the ledger's own file verifies");
  t.ok(ledger.height > 1);
  t.match(verified.stderr, /the ledger: every block, signature and state entry verified \(\d+ blocks\)/);

  const listed = await cli('audit', ['log', '--gateway', h1, '--user', 'audra', '--limit', '2'], 'audra-demo-pass');
  t.equal(listed.code, 0);
  t.equal(listed.stdout.trim().split('\n').length, 2, 'two records, one JSON line each');

  // Another hospital's log: only through its own gatekeeper, as a signed audit query in audra's name.
  const remote = await cli('audit', ['log', '--gateway', h1, '--user', 'audra', '--msp', 'Hospital2MSP', '--limit', '1'], 'audra-demo-pass');
  t.equal(remote.code, 0, remote.stderr);
  const before = sys.system.hospitals[1]!.audit.verify().count;
  t.ok(before >= 1, "Hospital 2's gatekeeper audited the query itself");
  const unknown = await cli('audit', ['log', '--gateway', h1, '--user', 'audra', '--msp', 'Hospital9MSP'], 'audra-demo-pass');
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /NO_GATEKEEPER/);

  for (const username of ['dr-ada', 'bob', 'registrar']) {
    const res = await api(h1, 'GET', '/auditor/ledger/verify', { token: await login(h1, username) });
    t.equal(res.status, 403, `the ledger check is the auditor's: ${username} → 403`);
    t.equal(res.json.code, 'ROLE_FORBIDDEN');
  }
  t.equal((await api(h1, 'GET', '/auditor/ledger/verify')).status, 401, 'no session');
  const notAuditor = await cli('audit', ['verify', '--gateway', h1, '--user', 'dr-ada'], 'dr-ada-demo-pass');
  t.equal(notAuditor.code, 2);
  t.match(notAuditor.stderr, /ROLE_FORBIDDEN/);
});

t.test('npm run audit -- verify --ledger: an embedded ledger file offline; a tampered block is named and fails', async (t) => {
  const live = join(sys.system.config.dataDir, 'ledger', 'ledger.sqlite');
  const inUse = await cli('audit', ['verify', '--ledger', live], '');
  t.equal(inUse.code, 2, 'the running gateway holds its ledger file: an error, not a finding');
  t.match(inUse.stderr, /LEDGER_UNREADABLE/);
  const missing = await cli('audit', ['verify', '--ledger', join(sys.dir, 'no-such.sqlite')], '');
  t.equal(missing.code, 2);
  t.notOk(existsSync(join(sys.dir, 'no-such.sqlite')), 'and creates no file');

  // The auditor's copy: the database and its write-ahead log, taken while nothing commits.
  const dir = join(sys.dir, 'ledger-copy');
  mkdirSync(dir);
  const copy = join(dir, 'ledger.sqlite');
  copyFileSync(live, copy);
  if (existsSync(`${live}-wal`)) copyFileSync(`${live}-wal`, `${copy}-wal`);
  const intact = await cli('audit', ['verify', '--ledger', copy], '');
  t.equal(intact.code, 0, intact.stderr);
  const report = JSON.parse(intact.stdout) as { ok: boolean; height: number; problems: string[] };
  t.match(report, { ok: true, problems: [] });
  t.ok(report.height > 3);
  t.match(intact.stderr, /every block, signature and state entry verified/);

  // One byte of one block's stored transactions changed.
  const db = new Database(copy);
  const victim = Math.floor(report.height / 2);
  const row = db.prepare('SELECT data FROM blocks WHERE number = ?').get(victim) as { data: Buffer };
  const data = Buffer.from(row.data);
  data[Math.floor(data.length / 2)] ^= 0x01;
  db.prepare('UPDATE blocks SET data = ? WHERE number = ?').run(data, victim);
  db.close();
  const tampered = await cli('audit', ['verify', '--ledger', copy], '');
  t.equal(tampered.code, 3, 'exit 3: findings');
  const found = JSON.parse(tampered.stdout) as { ok: boolean; problems: string[] };
  t.equal(found.ok, false);
  t.match(found.problems[0], new RegExp(`^block ${victim}: data hash does not match its transactions`), 'the first finding names the edited block');
  t.match(tampered.stderr, new RegExp(`NOT intact: \\d+ finding\\(s\\), first: block ${victim}: data hash`));
});

// Last: the audit tests above tamper with a block chosen by the ledger's height when they run.
t.test('npm run rotate-index-key: a rotation run in two goes (the first "crashed" before completing), then completed', async (t) => {
  const people = demoPatients('hospital1').filter((p) => !p.alsoAt).slice(20, 23);
  const registrar = await login(h1, 'registrar', 'registrar-demo-pass');
  for (const p of people) {
    const res = await api(h1, 'POST', '/registrar/activations', { token: registrar, body: { role: 'patient', externalIdKind: 'national-id', externalId: p.externalId } });
    t.equal(res.status, 201);
  }
  const charts = join(sys.dir, 'charts.csv');
  writeFileSync(charts, ['mrn', ...people.map((p) => p.mrn)].join('\n'));
  const first = await cli('rotate-index-key', [charts, '--gateway', h1, '--user', 'hospital-admin', '--batch', '2'], 'cli-admin-password');
  t.equal(first.code, 0, first.stderr);
  t.match(first.stderr, /charts 2\/3: moved/, 'progress per batch');
  t.match(JSON.parse(first.stdout), { state: 'rotating', charts: 3, unreadable: 0 });
  t.ok(JSON.parse(first.stdout).rekeyed >= 3, 'the charts (and the staff) moved');
  const resumed = await cli('rotate-index-key', [charts, '--gateway', h1, '--user', 'hospital-admin', '--complete'], 'cli-admin-password');
  t.equal(resumed.code, 0, resumed.stderr);
  t.match(JSON.parse(resumed.stdout), { state: 'idle', rekeyed: 0 }, 'run again: everything already moved, then completed');
  for (const p of people) {
    const found = await api(h1, 'POST', '/registrar/resolve', { token: registrar, body: { externalIdKind: 'national-id', externalId: p.externalId } });
    t.equal(found.status, 200, 'still found by national id under the new key');
  }
  const notAdmin = await cli('rotate-index-key', [charts, '--gateway', h1, '--user', 'registrar'], 'registrar-demo-pass');
  t.equal(notAdmin.code, 2);
  t.match(notAdmin.stderr, /medrec: ROLE_FORBIDDEN/);
  t.match((await cli('rotate-index-key', ['--gateway', h1], 'x')).stderr, /medrec: USAGE/);
});
