import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { AuditLog } from '../../src/services/audit/log.js';
import { recordHash, type AuditEntry } from '../../src/services/audit/record.js';
import { NotificationStore } from '../../src/services/notifications/store.js';
import { openGatewayDb } from '../../src/services/store/gateway-db.js';

const entry = (n: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  at: new Date(1_700_000_000_000 + n * 1000).toISOString(),
  requester: 'a'.repeat(64),
  mspId: 'Hospital1MSP',
  role: 'patient',
  relationshipId: 'b'.repeat(64),
  category: 'Observation',
  fields: ['code', 'valueQuantity'],
  decision: n % 2 ? 'ALLOWED_PATIENT' : 'GRANT_REVOKED',
  status: n % 2 ? 200 : 403,
  hashMatches: n % 2 ? true : null,
  jti: `jti-${n}`,
  exp: 2_000_000_000 + n,
  ...over,
});

/** A database file in this test's own folder, which tap removes when the test ends (also on failure). */
const tmpFile = (t: { testdir(): string }) => join(t.testdir(), 'audit.db');

/** Simulates an attacker with direct database access: drops the append-only triggers first. */
function tamper(file: string, sql: string) {
  const db = new Database(file);
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  db.exec(sql);
  db.close();
}

t.test('appends form an intact chain that survives reopening', async (t) => {
  const file = tmpFile(t);
  const log = AuditLog.open(file);
  const recs = await Promise.all([1, 2, 3, 4, 5].map((n) => log.append(entry(n))));
  t.same(
    recs.map((r) => r.seq),
    [1, 2, 3, 4, 5],
    'concurrent appends get consecutive seqs',
  );
  t.equal(recs[1]!.prevHash, recs[0]!.hash, 'each record links to the previous one');
  t.equal(recs[0]!.hash, recordHash(1, '0'.repeat(64), entry(1)), 'hash covers seq, link and every column');
  const report = log.verify();
  t.ok(report.ok);
  t.equal(report.count, 5);
  t.same(report.head, { seq: 5, hash: recs[4]!.hash });
  await log.close();

  const again = AuditLog.open(file);
  const more = await again.append(entry(6));
  t.equal(more.seq, 6, 'sequence continues after reopening');
  t.equal(more.prevHash, recs[4]!.hash);
  t.ok(again.verify().ok);
  t.same(again.records(5, 10).map((r) => r.seq), [5, 6]);
  t.same(again.records(1, 1)[0], recs[0], 'records read back exactly as written');
  await again.close();
});

t.test('an in-memory database is refused: the writer thread could not see it', async (t) => {
  t.throws(() => new AuditLog(new Database(':memory:')), /needs a database file/);
});

t.test('the table refuses UPDATE and DELETE through SQL', async (t) => {
  const file = tmpFile(t);
  const log = AuditLog.open(file);
  await log.append(entry(1));
  await log.close();
  const db = new Database(file);
  t.throws(() => db.exec("UPDATE audit_log SET decision = 'ALLOWED_PATIENT'"), /append-only/);
  t.throws(() => db.exec('DELETE FROM audit_log'), /append-only/);
  db.close();
});

t.test('verify finds an edited row', async (t) => {
  const file = tmpFile(t);
  const log = AuditLog.open(file);
  for (let n = 1; n <= 4; n++) await log.append(entry(n));
  await log.close();
  tamper(file, "UPDATE audit_log SET decision = 'ALLOWED_PATIENT', status = 200 WHERE seq = 2");
  const report = AuditLog.open(file).verify();
  t.notOk(report.ok);
  t.same(report.problems, [{ seq: 2, kind: 'edited' }]);
});

t.test('verify finds a deleted row', async (t) => {
  const file = tmpFile(t);
  const log = AuditLog.open(file);
  for (let n = 1; n <= 5; n++) await log.append(entry(n));
  await log.close();
  tamper(file, 'DELETE FROM audit_log WHERE seq IN (2, 3)');
  const report = AuditLog.open(file).verify();
  t.notOk(report.ok);
  t.same(report.problems, [{ seq: 2, kind: 'missing', count: 2 }]);
});

t.test('verify finds a row whose link was rewritten to hide a deletion', async (t) => {
  const file = tmpFile(t);
  const log = AuditLog.open(file);
  for (let n = 1; n <= 3; n++) await log.append(entry(n));
  await log.close();
  tamper(file, 'DELETE FROM audit_log WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3');
  const report = AuditLog.open(file).verify();
  t.notOk(report.ok);
  t.ok(report.problems.some((p) => p.kind === 'relinked' || p.kind === 'edited'));
});

t.test('a failed write rejects the append and leaves the chain unchanged', async (t) => {
  const file = tmpFile(t);
  const log = AuditLog.open(file);
  const first = await log.append(entry(1));
  const db = new Database(file);
  db.exec("CREATE TRIGGER refuse BEFORE INSERT ON audit_log WHEN NEW.decision = 'BOOM' BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
  db.close();
  await t.rejects(log.append(entry(2, { decision: 'BOOM' })), /disk says no/);
  t.same(log.currentHead(), { seq: 1, hash: first.hash });
  const next = await log.append(entry(3));
  t.equal(next.seq, 2);
  t.equal(next.prevHash, first.hash);
  t.ok(log.verify().ok);
  await log.close();
});

t.test('live request ids are recoverable for replay protection after restart', async (t) => {
  const log = AuditLog.open(tmpFile(t));
  await log.append(entry(1, { jti: 'old', exp: 100 }));
  await log.append(entry(2, { jti: 'live', exp: 300 }));
  await log.append(entry(3, { jti: null, exp: null }));
  t.same(log.liveJtis(200), [{ requester: 'a'.repeat(64), jti: 'live', exp: 300 }]);
  await log.close();
});

t.test('an acknowledged record survives the process being killed', async (t) => {
  const file = tmpFile(t);
  // The child acknowledges each append on stdout, then dies by SIGKILL without closing anything.
  const logModule = new URL('../../src/services/audit/log.js', import.meta.url).href;
  const script = join(dirname(file), 'child.mjs');
  writeFileSync(
    script,
    `const { AuditLog } = await import(${JSON.stringify(logModule)});
     const log = AuditLog.open(${JSON.stringify(file)});
     const e = () => ({ at: new Date().toISOString(), requester: null, mspId: null, role: null,
       relationshipId: null, category: null, fields: null, decision: 'MALFORMED_REQUEST', status: 400,
       hashMatches: null, jti: null, exp: null });
     const all = [];
     for (let n = 0; n < 40; n++) all.push(log.append(e()).then((r) => process.stdout.write(r.seq + '\\n')));
     await Promise.all(all);
     process.kill(process.pid, 'SIGKILL');`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const signal = await new Promise((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  t.equal(signal, 'SIGKILL');
  const acked = out.trim().split('\n').map(Number);
  t.equal(acked.length, 40, 'child acknowledged every append before dying');
  const log = AuditLog.open(file);
  const report = log.verify();
  t.ok(report.ok, 'chain intact after the crash');
  t.ok(report.head.seq >= Math.max(...acked), 'every acknowledged record is on disk');
  await log.close();
});

t.test('appends wait for the lock while the notification feed writes to the same gateway.db', async (t) => {
  // The audit writer reads the chain head, then inserts. In a deferred transaction that upgrade
  // from reader to writer gets SQLITE_BUSY at once when another connection wrote meanwhile (the
  // busy timeout never applies); the writer must take the write lock first (BEGIN IMMEDIATE).
  const file = tmpFile(t);
  const db = openGatewayDb(file);
  const log = new AuditLog(db);
  const feed = new NotificationStore(openGatewayDb(file));
  t.teardown(() => log.close());
  const failures: unknown[] = [];
  const appends: Promise<unknown>[] = [];
  let block = 0n;
  const until = Date.now() + 4000;
  // Bounded: at most 3,000 appends and 4 s of feed writes, interleaved.
  for (let i = 0; i < 3000 && Date.now() < until; i++) {
    appends.push(log.append(entry(i)).catch((err: unknown) => failures.push(err)));
    for (let j = 0; j < 3; j++) {
      block += 1n;
      feed.record(block, `tx${block}`, 'GrantCreated', [{ participantId: 'a'.repeat(64), relationshipId: 'b'.repeat(64), status: 'granted' }]);
    }
    if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(appends);
  t.same(failures.map((e) => (e as Error).message).slice(0, 3), [], `no append failed (${appends.length} appends beside ${block} feed writes)`);
  t.ok(log.verify().ok, 'the chain is intact');
  t.equal(log.verify().count, appends.length);
});
