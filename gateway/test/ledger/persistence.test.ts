/** The ledger's files: restart keeps everything, a block is all or nothing, edits are detected. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { LedgerUnavailableError, type ChaincodeEvent } from '../../src/ports/ledger.js';
import { dataHash, headerHash } from '../../src/adapters/ledger/embedded/block.js';
import { decodeBlockData } from '../../src/adapters/ledger/embedded/records.js';
import { TestContract } from './contract.js';
import { openChannel, openOrg, str, tempDir, type Org } from './support.js';

function raw(dir: string, edit: (db: Database.Database) => void): void {
  const db = new Database(join(dir, 'ledger', 'ledger.sqlite'));
  try {
    edit(db);
  } finally {
    db.close();
  }
}

async function populated(t: Test) {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  t.teardown(() => h1.ca.close());
  const alice = await h1.enroll('alice', 'patient');
  const ledger = await openChannel(dir, [h1], [TestContract]);
  const results = [];
  for (const [k, v] of [['a', '1'], ['b', '2'], ['a', '3']] as const) results.push(await ledger.submit(alice, 'Test', 'put', [k, v]));
  await ledger.submit(alice, 'Test', 'remove', ['b']);
  await ledger.close();
  return { dir, h1, alice, results };
}

async function reopen(t: Test, dir: string, h1: Org) {
  const ledger = await openChannel(dir, [h1], [TestContract]);
  t.teardown(() => ledger.close());
  return ledger;
}

t.test('stop and start keep state, history, blocks and events, and events resume from a block', async (t) => {
  const { dir, h1, alice, results } = await populated(t);
  const ledger = await reopen(t, dir, h1);
  t.equal(str(await ledger.evaluate(alice, 'Test', 'get', ['a'])), '3');
  t.equal(str(await ledger.evaluate(alice, 'Test', 'get', ['b'])), '');
  t.equal((JSON.parse(str(await ledger.evaluate(alice, 'Test', 'history', ['a']))) as unknown[]).length, 2);
  t.equal((await ledger.getTransaction(results[1]!.txId))?.blockNumber, results[1]!.blockNumber);
  t.same((await ledger.verify()).problems, []);

  // Resume after the first event: replay the stored ones, then follow a live one.
  const controller = new AbortController();
  const seen: ChaincodeEvent[] = [];
  const consumer = (async () => {
    for await (const event of ledger.events({ startBlock: results[0]!.blockNumber + 1n, signal: controller.signal })) {
      seen.push(event);
      if (seen.length === 3) controller.abort();
    }
  })();
  const live = await ledger.submit(alice, 'Test', 'put', ['c', '4']);
  await consumer;
  t.same(seen.map((e) => e.txId), [results[1]!.txId, results[2]!.txId, live.txId]);
  t.ok(live.blockNumber > results[2]!.blockNumber, 'the chain continued where it stopped');
});

t.test('an event stream ends when its signal aborts and fails when the ledger closes', async (t) => {
  const { dir, h1 } = await populated(t);
  const ledger = await openChannel(dir, [h1], [TestContract]);
  const height = await ledger.height();
  const aborted = new AbortController();
  const waiting = (async () => {
    for await (const _ of ledger.events({ startBlock: height, signal: aborted.signal })) t.fail('no event expected');
  })();
  aborted.abort();
  await t.resolves(waiting);
  const following = (async () => {
    for await (const _ of ledger.events({ startBlock: height })) t.fail('no event expected');
  })();
  await new Promise((resolve) => setTimeout(resolve, 10));
  await ledger.close();
  await t.rejects(following, LedgerUnavailableError);
});

const edits: [string, (db: Database.Database) => void, RegExp][] = [
  ['a transaction inside a block', (db) => {
    const row = db.prepare('SELECT data FROM blocks WHERE number = 2').get() as { data: Buffer };
    const text = row.data.toString('latin1').replace('"response":{"status":200', '"response":{"status":201');
    db.prepare('UPDATE blocks SET data = ? WHERE number = 2').run(Buffer.from(text, 'latin1'));
  }, /block 2: data hash/],
  ['a block rewritten with its own hashes recomputed', (db) => {
    const row = db.prepare('SELECT data, previous_hash FROM blocks WHERE number = 2').get() as { data: Buffer; previous_hash: Buffer };
    const data = Buffer.from(row.data.toString('latin1').replace('"response":{"status":200', '"response":{"status":201'), 'latin1');
    const header = { number: 2n, previousHash: row.previous_hash, dataHash: dataHash(decodeBlockData(data)) };
    db.prepare('UPDATE blocks SET data = ?, data_hash = ?, header_hash = ? WHERE number = 2').run(data, header.dataHash, headerHash(header));
  }, /block 3: previous hash does not match block 2/],
  ['a stored header hash', (db) => {
    db.prepare('UPDATE blocks SET header_hash = zeroblob(32) WHERE number = 1').run();
  }, /block 1: header hash/],
  ['a current value', (db) => {
    db.prepare("UPDATE state SET value = CAST('999' AS BLOB) WHERE key = CAST('a' AS BLOB)").run();
  }, /state: key "a"/],
  ['a history entry', (db) => {
    db.prepare("UPDATE history SET value = CAST('9' AS BLOB) WHERE key = CAST('a' AS BLOB) AND value = CAST('1' AS BLOB)").run();
  }, /history: differs/],
  ['a deleted history entry', (db) => {
    db.prepare("DELETE FROM history WHERE key = CAST('b' AS BLOB) AND is_delete = 1").run();
  }, /history: differs/],
  ['a validation code', (db) => {
    db.prepare(`UPDATE transactions SET validation_code = 'MVCC_READ_CONFLICT' WHERE block = 3`).run();
  }, /transaction index/],
  ['a validation code in the block metadata', (db) => {
    db.prepare(`UPDATE blocks SET validation = '["MVCC_READ_CONFLICT"]' WHERE number = 3`).run();
  }, /marked MVCC_READ_CONFLICT but its reads are current/],
  ['a dropped block', (db) => {
    db.prepare('DELETE FROM blocks WHERE number = 2').run();
  }, /expected block number 2/],
];

for (const [what, edit, problem] of edits) {
  t.test(`verify detects an edit of ${what}`, async (t) => {
    const { dir, h1 } = await populated(t);
    const before = await reopen(t, dir, h1);
    t.same((await before.verify()).problems, [], 'intact before the edit');
    await before.close();
    raw(dir, edit);
    const after = await reopen(t, dir, h1);
    const report = await after.verify();
    t.equal(report.ok, false);
    t.match(report.problems.join('\n'), problem);
  });
}

t.test('a block whose commit fails midway leaves nothing behind', async (t) => {
  const { dir, h1, alice } = await populated(t);
  // Make the history insert (the last step of a block's commit) fail for one key.
  raw(dir, (db) =>
    db.exec(`CREATE TRIGGER fail_midway BEFORE INSERT ON history WHEN NEW.key = CAST('boom' AS BLOB)
             BEGIN SELECT RAISE(ABORT, 'disk gone'); END`),
  );
  let ledger = await openChannel(dir, [h1], [TestContract]);
  const height = await ledger.height();
  await t.rejects(ledger.submit(alice, 'Test', 'put', ['boom', 'x']), LedgerUnavailableError);
  t.equal(await ledger.height(), height, 'no block');
  t.equal(str(await ledger.evaluate(alice, 'Test', 'get', ['boom'])), '', 'no state');
  await ledger.close();
  raw(dir, (db) => {
    t.equal((db.prepare('SELECT count(*) AS n FROM blocks WHERE number >= ?').get(Number(height)) as { n: number }).n, 0);
    t.equal((db.prepare("SELECT count(*) AS n FROM state WHERE key = CAST('boom' AS BLOB)").get() as { n: number }).n, 0);
    db.exec('DROP TRIGGER fail_midway');
  });
  ledger = await openChannel(dir, [h1], [TestContract]);
  t.teardown(() => ledger.close());
  const ok = await ledger.submit(alice, 'Test', 'put', ['boom', 'y']);
  t.equal(ok.blockNumber, height, 'the chain goes on from the last whole block');
  t.same((await ledger.verify()).problems, []);
});
