/** Fabric's transaction semantics, as the embedded ledger must keep them. */
import t, { type Test } from 'tap';
import { ChaincodeError, LedgerUnavailableError, TransactionInvalidError, type ChaincodeEvent } from '../../src/ports/ledger.js';
import { TestContract } from './contract.js';
import { json, openChannel, openOrg, str, tempDir } from './support.js';

async function setup(t: Test, extra = {}) {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  const alice = await h1.enroll('alice', 'patient');
  const ledger = await openChannel(dir, [h1], [TestContract], extra);
  t.teardown(async () => {
    await ledger.close();
    h1.ca.close();
  });
  return { dir, h1, alice, ledger };
}

t.test('a transaction reads committed state, never its own writes', async (t) => {
  const { alice, ledger } = await setup(t);
  t.same(json((await ledger.submit(alice, 'Test', 'putThenGet', ['k', 'first'])).result), { read: '' });
  t.same(json((await ledger.submit(alice, 'Test', 'putThenGet', ['k', 'second'])).result), { read: 'first' });
  t.equal(str(await ledger.evaluate(alice, 'Test', 'get', ['k'])), 'second');
});

t.test('a transaction that throws writes nothing and emits nothing', async (t) => {
  const { alice, ledger } = await setup(t);
  const before = await ledger.height();
  await t.rejects(ledger.submit(alice, 'Test', 'failAfterWrite', ['k']), { name: 'ChaincodeError', code: 'CONFLICT' });
  t.equal(await ledger.height(), before, 'nothing was ordered');
  t.equal(str(await ledger.evaluate(alice, 'Test', 'get', ['k'])), '');
  await ledger.submit(alice, 'Test', 'put', ['other', 'x']);
  const names: string[] = [];
  const controller = new AbortController();
  for await (const event of ledger.events({ startBlock: 0n, signal: controller.signal })) {
    names.push(event.eventName);
    controller.abort();
  }
  t.same(names, ['Put'], 'only the committed transaction emitted');
});

t.test('a chaincode bug is not mistaken for a refusal; evaluate writes nothing', async (t) => {
  const { alice, ledger } = await setup(t);
  const error = await ledger.submit(alice, 'Test', 'crash', []).catch((e: unknown) => e);
  t.notOk(error instanceof ChaincodeError);
  t.match(error, { message: /chaincode failed: a bug in the chaincode/ });
  const height = await ledger.height();
  t.equal(str(await ledger.evaluate(alice, 'Test', 'put', ['k', 'v'])), 'v');
  t.equal(str(await ledger.evaluate(alice, 'Test', 'get', ['k'])), '', 'evaluate committed nothing');
  t.equal(await ledger.height(), height);
});

t.test('history of a key: newest first, with tx ids, timestamps and deletes', async (t) => {
  const { alice, ledger } = await setup(t);
  const ids: string[] = [];
  ids.push((await ledger.submit(alice, 'Test', 'put', ['k', 'v1'])).txId);
  ids.push((await ledger.submit(alice, 'Test', 'put', ['k', 'v2'])).txId);
  ids.push((await ledger.submit(alice, 'Test', 'remove', ['k'])).txId);
  ids.push((await ledger.submit(alice, 'Test', 'put', ['k', 'v3'])).txId);
  const history = json(await ledger.evaluate(alice, 'Test', 'history', ['k'])) as {
    txId: string;
    isDelete: boolean;
    value: string;
    seconds: number;
  }[];
  t.same(
    history.map((h) => [h.txId, h.isDelete, h.value]),
    [
      [ids[3], false, 'v3'],
      [ids[2], true, ''],
      [ids[1], false, 'v2'],
      [ids[0], false, 'v1'],
    ],
  );
  const now = Date.now() / 1000;
  t.ok(history.every((h) => Math.abs(h.seconds - now) < 60), 'timestamps are the transactions’');
  t.same(json(await ledger.evaluate(alice, 'Test', 'history', ['never'])), []);
});

t.test('range and partial composite key queries in Fabric (UTF-8 byte) order', async (t) => {
  const { alice, ledger } = await setup(t);
  // JS string order would put the emoji (a surrogate pair) before U+FFFD; LevelDB byte order does not.
  const keys = ['b', 'a', 'B', 'é', '\u{1F600}', '\uFFFD', 'a1'];
  await Promise.all(keys.map((k) => ledger.submit(alice, 'Test', 'put', [k, k])));
  await ledger.submit(alice, 'Test', 'putComposite', ['rel', 'p2', 'x', '3']);
  await ledger.submit(alice, 'Test', 'putComposite', ['rel', 'p1', 'z', '2']);
  await ledger.submit(alice, 'Test', 'putComposite', ['rel', 'p1', 'y', '1']);
  await ledger.submit(alice, 'Test', 'putComposite', ['relx', 'p1', 'y', 'other type']);
  t.same(json(await ledger.evaluate(alice, 'Test', 'range', ['', ''])), ['B', 'a', 'a1', 'b', 'é', '\uFFFD', '\u{1F600}'], 'simple keys only, byte order');
  t.same(json(await ledger.evaluate(alice, 'Test', 'range', ['a', 'b'])), ['a', 'a1'], 'end key excluded');
  t.same(json(await ledger.evaluate(alice, 'Test', 'partial', ['rel', '[]'])), [
    JSON.stringify([['p1', 'y'], '1']),
    JSON.stringify([['p1', 'z'], '2']),
    JSON.stringify([['p2', 'x'], '3']),
  ]);
  t.equal((json(await ledger.evaluate(alice, 'Test', 'partial', ['rel', '["p1"]'])) as unknown[]).length, 2);
  t.same(json((await ledger.submit(alice, 'Test', 'putComposite', ['t', 'a', 'b', 'v'])).result), {
    objectType: 't',
    attributes: ['a', 'b'],
  });
});

t.test('range results come in batches and pagination follows bookmarks', async (t) => {
  const { alice, ledger } = await setup(t);
  const keys = Array.from({ length: 250 }, (_, i) => `k${String(i).padStart(3, '0')}`);
  await Promise.all(keys.map((k) => ledger.submit(alice, 'Test', 'put', [k, 'v'])));
  t.same(json(await ledger.evaluate(alice, 'Test', 'range', ['k', 'l'])), keys, 'all 250, across 3 batches');
  const seen: string[] = [];
  let bookmark = '';
  do {
    const page = json(await ledger.evaluate(alice, 'Test', 'page', ['k', 'l', '100', bookmark])) as {
      keys: string[];
      bookmark: string;
      count: number;
    };
    t.equal(page.count, page.keys.length);
    seen.push(...page.keys);
    bookmark = page.bookmark;
  } while (bookmark);
  t.same(seen, keys);
  // As a Fabric peer: an empty last page's metadata is all defaults, which serialises to nothing.
  t.same(json(await ledger.evaluate(alice, 'Test', 'page', ['m', 'n', '100', ''])), { keys: [], metadata: false, bookmark: '', count: 0 }, 'an empty range: no metadata');
  await t.rejects(ledger.submit(alice, 'Test', 'pageThenWrite', ['w']), /paginated query/);
});

t.test('events are delivered after commit, in order', async (t) => {
  const { alice, ledger } = await setup(t);
  const controller = new AbortController();
  const received: { event: ChaincodeEvent; committed: string | undefined }[] = [];
  const consumer = (async () => {
    for await (const event of ledger.events({ startBlock: await ledger.height(), signal: controller.signal })) {
      received.push({ event, committed: (await ledger.getTransaction(event.txId))?.validationCode });
      if (received.length === 3) controller.abort();
    }
  })();
  const results = [];
  for (const k of ['a', 'b', 'c']) results.push(await ledger.submit(alice, 'Test', 'put', [k, 'v']));
  await consumer;
  t.same(received.map((r) => r.event.txId), results.map((r) => r.txId), 'in ledger order');
  t.same(received.map((r) => r.event.blockNumber), results.map((r) => r.blockNumber));
  t.ok(received.every((r) => r.committed === 'VALID'), 'each was committed when delivered');
  t.same(json(received[0]!.event.payload), { key: 'a' });
});

t.test('two transactions reading the same key: the later is an MVCC conflict and writes nothing', async (t) => {
  const { alice, ledger } = await setup(t);
  const outcomes = await Promise.allSettled([
    ledger.submit(alice, 'Test', 'increment', ['counter']),
    ledger.submit(alice, 'Test', 'increment', ['counter']),
  ]);
  const ok = outcomes.filter((o) => o.status === 'fulfilled');
  const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  t.equal(ok.length, 1);
  t.equal(failed.length, 1);
  const error = failed[0]!.reason as TransactionInvalidError;
  t.ok(error instanceof TransactionInvalidError);
  t.equal(error.validationCode, 'MVCC_READ_CONFLICT');
  t.equal((await ledger.getTransaction(error.txId))?.validationCode, 'MVCC_READ_CONFLICT', 'recorded as invalid');
  t.equal(str(await ledger.evaluate(alice, 'Test', 'get', ['counter'])), '1', 'the conflicting write was dropped');
  t.equal(str((await ledger.submit(alice, 'Test', 'increment', ['counter'])).result), '2', 'a retry succeeds');
});

t.test('a range read changed by an earlier transaction is a phantom read', async (t) => {
  const { alice, ledger } = await setup(t, { batchTimeoutMs: 20 });
  await ledger.submit(alice, 'Test', 'put', ['r1', 'v']);
  const insert = ledger.submit(alice, 'Test', 'put', ['r2', 'v']);
  const count = ledger.submit(alice, 'Test', 'countRange', ['r', 's', 'marker']);
  await insert;
  await t.rejects(count, { name: 'TransactionInvalidError', validationCode: 'PHANTOM_READ_CONFLICT' });
  t.equal(str(await ledger.evaluate(alice, 'Test', 'get', ['marker'])), '');
});

t.test('the block cutter batches concurrent transactions into hash-chained blocks', async (t) => {
  const { alice, ledger } = await setup(t, { maxBlockTransactions: 2, batchTimeoutMs: 50 });
  const results = await Promise.all(['a', 'b', 'c'].map((k) => ledger.submit(alice, 'Test', 'put', [k, 'v'])));
  const blocks = results.map((r) => r.blockNumber);
  t.equal(blocks[0], blocks[1], 'the first two share a block');
  t.equal(blocks[2], blocks[0]! + 1n, 'the third is in the next block');
  t.same(await ledger.verify(), { ok: true, height: Number(await ledger.height()), problems: [], checked: 'file' });
});

t.test('state-based endorsement: a protected key needs its org among the endorsers', async (t) => {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  const h2 = await openOrg(dir, 'Hospital2MSP', 'Hospital 2');
  const alice = await h1.enroll('alice', 'patient');
  const ledger = await openChannel(dir, [h1, h2], [TestContract]);
  t.teardown(async () => {
    await ledger.close();
    h1.ca.close();
    h2.ca.close();
  });
  await ledger.submit(alice, 'Test', 'put', ['k', 'v0']);
  t.same(json((await ledger.submit(alice, 'Test', 'protect', ['k', 'Hospital2MSP'])).result), [], 'own metadata write not read back');
  t.same(json(await ledger.evaluate(alice, 'Test', 'policyOf', ['k'])), ['Hospital2MSP']);
  await t.rejects(ledger.submit(alice, 'Test', 'put', ['k', 'v1'], { endorsingOrganizations: ['Hospital1MSP'] }), {
    name: 'TransactionInvalidError',
    validationCode: 'ENDORSEMENT_POLICY_FAILURE',
  });
  t.equal(str(await ledger.evaluate(alice, 'Test', 'get', ['k'])), 'v0');
  await ledger.submit(alice, 'Test', 'put', ['k', 'v2'], { endorsingOrganizations: ['Hospital2MSP'] });
  await ledger.submit(alice, 'Test', 'put', ['k', 'v3']);
  t.equal(str(await ledger.evaluate(alice, 'Test', 'get', ['k'])), 'v3');
  t.same(json(await ledger.evaluate(alice, 'Test', 'policyOf', ['k'])), ['Hospital2MSP'], 'policy survives value updates');
  await t.rejects(ledger.submit(alice, 'Test', 'put', ['k', 'v'], { endorsingOrganizations: ['Nowhere'] }), /no peers of Nowhere/);
});

t.test('the stub reports the creator, tx id, timestamp, channel and args as Fabric does', async (t) => {
  const { alice, ledger } = await setup(t);
  const result = await ledger.submit(alice, 'Test', 'whoami', ['x', 'y']);
  const who = json(result.result) as Record<string, unknown>;
  t.match(who, {
    mspId: 'Hospital1MSP',
    id: 'x509::/OU=client/CN=alice::/CN=ca.hospital1msp/O=Hospital 1',
    role: 'patient',
    hospital: 'Hospital 1',
    enrollmentId: 'alice',
    creatorMspId: 'Hospital1MSP',
    creatorIsPem: true,
    txId: result.txId,
    channel: 'medrec',
    transient: 0,
    fcn: 'Test:whoami',
    params: ['x', 'y'],
  });
  t.ok(Math.abs((who.seconds as number) - Date.now() / 1000) < 60);
  const info = await ledger.getTransaction(result.txId);
  t.match(info, { txId: result.txId, blockNumber: result.blockNumber, validationCode: 'VALID', creatorMspId: 'Hospital1MSP' });
  t.equal(await ledger.getTransaction('0'.repeat(64)), undefined);
});

t.test('a closed ledger fails closed', async (t) => {
  const { alice, ledger } = await setup(t);
  await ledger.close();
  await t.rejects(ledger.submit(alice, 'Test', 'put', ['k', 'v']), LedgerUnavailableError);
  await t.rejects(ledger.evaluate(alice, 'Test', 'get', ['k']), LedgerUnavailableError);
  await t.rejects(ledger.height(), LedgerUnavailableError);
});
