/**
 * The offline audit reports an edited ledger file; it never stops on one. A byte changed anywhere in
 * a block's stored transactions (inside a certificate, a signature, the JSON around them) must come
 * back as findings, with the report, not as an exception that leaves the auditor with no report.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { verifyLedgerFile } from '../../src/adapters/ledger/embedded/verify.js';
import { TestContract } from './contract.js';
import { openChannel, openOrg, tempDir } from './support.js';

/** A closed one-hospital ledger with one transaction per value written to key "a": its file and directory. */
async function ledgerFile(t: Test, values: string[]): Promise<{ dir: string; file: string }> {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  t.teardown(() => h1.ca.close());
  const alice = await h1.enroll('alice', 'patient');
  const ledger = await openChannel(dir, [h1], [TestContract]);
  for (const value of values) await ledger.submit(alice, 'Test', 'put', ['a', value]);
  await ledger.close();
  return { dir, file: join(dir, 'ledger', 'ledger.sqlite') };
}

t.test('every edited byte of a block is a finding, never an error', async (t) => {
  const { dir, file } = await ledgerFile(t, ['1', '2']);
  t.same(verifyLedgerFile(file).problems, [], 'intact before any edit');
  const pristine = join(dir, 'pristine.sqlite');
  copyFileSync(file, pristine);

  const blocks = (() => {
    const db = new Database(pristine, { readonly: true });
    try {
      return db.prepare('SELECT number, data FROM blocks ORDER BY number').all() as { number: number; data: Buffer }[];
    } finally {
      db.close();
    }
  })();
  t.ok(blocks.length >= 3, 'the configuration block and two transactions');
  let edits = 0;
  const thrown: string[] = [];
  const unnoticed: string[] = [];
  for (const block of blocks) {
    // Every 13th byte: it lands in each part of a transaction (envelope, proposal, certificate, signatures, write set).
    for (let at = 0; at < block.data.length; at += 13) {
      const data = Buffer.from(block.data);
      data[at] ^= 0x04;
      const db = new Database(file);
      db.prepare('UPDATE blocks SET data = ? WHERE number = ?').run(data, block.number);
      db.close();
      edits++;
      try {
        const report = verifyLedgerFile(file);
        if (report.ok || !report.problems.some((p) => p.startsWith(`block ${block.number}:`))) unnoticed.push(`block ${block.number} byte ${at}`);
      } catch (err) {
        thrown.push(`block ${block.number} byte ${at}: ${(err as Error).message}`);
      }
      copyFileSync(pristine, file);
    }
  }
  t.ok(edits > 300, `${edits} edits tried`);
  t.same(thrown, [], 'no edit made the check throw');
  t.same(unnoticed, [], 'each edit was a finding naming its block');
});

t.test('a column that no longer parses is a finding about its part, and the other parts are still checked', async (t) => {
  const { file } = await ledgerFile(t, ['1']);
  const db = new Database(file);
  db.prepare(`UPDATE blocks SET validation = '["VALID"' WHERE number = 1`).run();
  db.prepare("UPDATE state SET metadata = '{' WHERE key = CAST('a' AS BLOB)").run();
  db.close();
  const report = verifyLedgerFile(file);
  t.equal(report.ok, false);
  t.match(report.problems.join('\n'), /^blocks: unreadable/m, "the blocks' validation codes");
  t.match(report.problems.join('\n'), /^state: unreadable/m, "the state's metadata");
  t.match(report.problems.join('\n'), /^transaction index: /m, 'and the index is still compared');
});

