import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { AuditAnchorer, type Anchor } from '../../src/services/audit/anchor.js';
import { checkAgainstAnchors } from '../support/audit-check.js';
import { AuditLog } from '../../src/services/audit/log.js';
import { recordHash, type AuditEntry } from '../../src/services/audit/record.js';
import { MedrecClient } from '../../src/contract/client.js';
import { ChaincodeError, LedgerUnavailableError, type LedgerPort, type Signer } from '../../src/ports/ledger.js';

const signer: Signer = { mspId: 'Hospital1MSP', certificate: 'cert', privateKey: 'key' };

/** Unit-test stand-in for the ledger's Audit contract: same tiling rule as the chaincode. */
class AnchorLedger {
  anchors: Anchor[] = [];
  down = 0;
  endorsers: string[][] = [];
  readonly port = {
    submit: async (_s: Signer, contract: string, tx: string, args: string[], options?: { endorsingOrganizations?: string[] }) => {
      if (this.down > 0) {
        this.down--;
        throw new LedgerUnavailableError('peer down');
      }
      if (contract !== 'Audit' || tx !== 'anchor') throw new Error('unexpected');
      const [fromSeq, toSeq, headHash] = [Number(args[0]), Number(args[1]), args[2]!];
      const head = this.anchors.at(-1);
      if (head && fromSeq !== head.toSeq + 1) throw new ChaincodeError('CONFLICT', `next anchor must start at ${head.toSeq + 1}`);
      this.anchors.push({ fromSeq, toSeq, headHash });
      this.endorsers.push(options?.endorsingOrganizations ?? []);
      return { txId: 'tx', blockNumber: 1n, result: new Uint8Array() };
    },
    evaluate: async (_s: Signer, contract: string, tx: string) => {
      if (this.down > 0) throw new LedgerUnavailableError('peer down');
      if (contract !== 'Audit' || tx !== 'list') throw new Error('unexpected');
      return new TextEncoder().encode(JSON.stringify(this.anchors.map((a) => ({ ...a, mspId: 'Hospital1MSP' }))));
    },
  } as unknown as LedgerPort;
}

const entry = (n: number): AuditEntry => ({
  at: new Date(1_700_000_000_000 + n).toISOString(),
  requester: 'a'.repeat(64),
  mspId: 'Hospital2MSP',
  role: 'viewer',
  relationshipId: 'b'.repeat(64),
  category: 'Condition',
  fields: ['code'],
  decision: 'ALLOWED_VIEWER',
  status: 200,
  hashMatches: true,
  jti: `j${n}`,
  exp: 1,
});

/** A database file in this test's own folder, which tap removes when the test ends (also on failure). */
const tmpFile = (t: { testdir(): string }) => join(t.testdir(), 'audit.db');
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

t.test('anchors every N records and on demand, tiling the log', async (t) => {
  const ledger = new AnchorLedger();
  const log = AuditLog.open(tmpFile(t));
  const anchorer = new AuditAnchorer({ log, client: new MedrecClient(ledger.port), signer, everyRecords: 3, intervalMs: 60_000 });
  await anchorer.start();
  for (let n = 1; n <= 7; n++) await log.append(entry(n));
  await until(() => ledger.anchors.length >= 2);
  t.same(
    ledger.anchors.map((a) => [a.fromSeq, a.toSeq]),
    [
      [1, 3],
      [4, 6],
    ],
  );
  t.equal(ledger.anchors[1]!.headHash, log.hashAt(6), 'the anchor carries the chain head at toSeq');
  t.same(ledger.endorsers[0], ['Hospital1MSP'], "endorsed by the gatekeeper's own organisation");
  const last = await anchorer.anchorNow();
  t.same(last, { fromSeq: 7, toSeq: 7, headHash: log.hashAt(7) });
  t.equal(await anchorer.anchorNow(), undefined, 'nothing new, nothing anchored');
  const check = checkAgainstAnchors(log.verify(), (s) => log.hashAt(s), ledger.anchors);
  t.ok(check.ok);
  t.equal(check.anchoredTo, 7);
  t.equal(check.unanchored, 0);
  anchorer.stop();
  await log.close();
});

t.test('a ledger outage never blocks appends; anchoring is retried', async (t) => {
  const ledger = new AnchorLedger();
  const log = AuditLog.open(tmpFile(t));
  const errors: unknown[] = [];
  const anchorer = new AuditAnchorer({
    log,
    client: new MedrecClient(ledger.port),
    signer,
    everyRecords: 2,
    intervalMs: 60_000,
    retryMs: 5,
    onError: (e) => errors.push(e),
  });
  await anchorer.start();
  ledger.down = 2;
  const recs = await Promise.all([1, 2, 3].map((n) => log.append(entry(n))));
  t.equal(recs.length, 3, 'every append was acknowledged while the ledger was down');
  await until(() => ledger.anchors.length === 1);
  t.ok(errors.length >= 1 && errors[0] instanceof LedgerUnavailableError, 'the failure was reported');
  t.equal(ledger.anchors[0]!.fromSeq, 1);
  t.ok(ledger.anchors[0]!.toSeq >= 2, 'the retry anchored what had accumulated');
  anchorer.stop();
  await log.close();
});

t.test('a restarted anchorer continues where the ledger says it stopped', async (t) => {
  const ledger = new AnchorLedger();
  const file = tmpFile(t);
  const log = AuditLog.open(file);
  const first = new AuditAnchorer({ log, client: new MedrecClient(ledger.port), signer, everyRecords: 100 });
  await first.start();
  for (let n = 1; n <= 4; n++) await log.append(entry(n));
  await first.anchorNow();
  first.stop();
  await log.append(entry(5));

  const second = new AuditAnchorer({ log, client: new MedrecClient(ledger.port), signer, everyRecords: 100 });
  await second.start();
  t.equal(second.lastAnchoredSeq(), 4);
  t.same(await second.anchorNow(), { fromSeq: 5, toSeq: 5, headHash: log.hashAt(5) });
  second.stop();

  // Started while the ledger was down, it believes nothing is anchored: the chaincode's CONFLICT resyncs it.
  await log.append(entry(6));
  ledger.down = 1;
  const blind = new AuditAnchorer({ log, client: new MedrecClient(ledger.port), signer, everyRecords: 100, retryMs: 5 });
  await blind.start();
  t.equal(blind.lastAnchoredSeq(), 0);
  await blind.anchorNow();
  await until(() => ledger.anchors.length === 4);
  t.same(ledger.anchors.at(-1), { fromSeq: 6, toSeq: 6, headHash: log.hashAt(6) });
  blind.stop();
  await log.close();
});

t.test("the auditor's check finds what verify() alone cannot", async (t) => {
  const ledger = new AnchorLedger();
  const file = tmpFile(t);
  const log = AuditLog.open(file);
  const anchorer = new AuditAnchorer({ log, client: new MedrecClient(ledger.port), signer, everyRecords: 100 });
  await anchorer.start();
  for (let n = 1; n <= 6; n++) await log.append(entry(n));
  await anchorer.anchorNow();
  anchorer.stop();
  await log.close();

  // An insider rewrites record 3 and recomputes every hash after it: the chain alone looks intact.
  const db = new Database(file);
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  db.prepare("UPDATE audit_log SET decision = 'GRANT_REVOKED', status = 403 WHERE seq = 3").run();
  let prev = db.prepare('SELECT hash FROM audit_log WHERE seq = 2').pluck().get() as string;
  const rows = db.prepare('SELECT * FROM audit_log WHERE seq >= 3 ORDER BY seq').all() as Array<Record<string, unknown>>;
  for (const r of rows) {
    const e: AuditEntry = {
      at: r['at'] as string,
      requester: r['requester'] as string,
      mspId: r['msp_id'] as string,
      role: r['role'] as string,
      relationshipId: r['relationship_id'] as string,
      category: r['category'] as string,
      fields: JSON.parse(r['fields'] as string) as string[],
      decision: r['decision'] as string,
      status: r['status'] as number,
      hashMatches: r['hash_matches'] === 1,
      jti: r['jti'] as string,
      exp: r['exp'] as number,
    };
    const hash = recordHash(r['seq'] as number, prev, e);
    db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, hash, r['seq']);
    prev = hash;
  }
  db.close();
  const rewritten = AuditLog.open(file);
  t.ok(rewritten.verify().ok, 'the recomputed chain verifies on its own');
  const edited = checkAgainstAnchors(rewritten.verify(), (s) => rewritten.hashAt(s), ledger.anchors);
  t.notOk(edited.ok);
  t.same(edited.problems, [{ kind: 'head-mismatch', toSeq: 6 }]);
  await rewritten.close();

  // Dropping the newest records (reopening restored the guard triggers, so the insider drops them again):
  // the chain is intact but shorter than what was anchored.
  const db2 = new Database(file);
  db2.exec('DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq >= 5');
  db2.close();
  const truncated = AuditLog.open(file);
  const check = checkAgainstAnchors(truncated.verify(), (s) => truncated.hashAt(s), ledger.anchors);
  t.same(check.problems, [{ kind: 'truncated', toSeq: 6, logHead: 4 }]);
  await truncated.close();
});

t.test('anchor gaps and chain damage are reported together', async (t) => {
  const chain = { ok: false, count: 3, head: { seq: 4, hash: 'h4' }, problems: [{ seq: 2, kind: 'missing' as const, count: 1 }] };
  const hashes: Record<number, string> = { 1: 'h1', 3: 'h3', 4: 'h4' };
  const check = checkAgainstAnchors(chain, (s) => hashes[s], [
    { fromSeq: 1, toSeq: 1, headHash: 'h1' },
    { fromSeq: 3, toSeq: 4, headHash: 'h4' },
  ]);
  t.notOk(check.ok);
  t.same(check.problems, [
    { kind: 'chain', problem: { seq: 2, kind: 'missing', count: 1 } },
    { kind: 'gap', fromSeq: 3, expectedFrom: 2 },
  ]);
});
