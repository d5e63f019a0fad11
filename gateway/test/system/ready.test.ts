/**
 * /ready reports the EHR unready when it cannot serve records, not merely when the file is gone:
 * a table locked by a writer and a mapped table that disappeared both give 503 NOT_READY (a bare
 * `SELECT 1` answers in both cases), and the gateway is ready again once the table is back. The
 * chaincode not answering makes it unready too; the ordering service below its quorum makes it
 * read-only (reads still served).
 */
import Database from 'better-sqlite3';
import t from 'tap';
import { LedgerUnavailableError, type OrderingState } from '../../src/ports/ledger.js';
import { openWorld } from '../support/world.js';

const world = await openWorld();
t.teardown(() => world.close());
const ready = async () => {
  const res = await fetch(`${world.h1.url}/ready`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
/** The gateway is not ready while `break` holds, and ready again once `mend` undid it. */
async function unreadyWhile(t: Tap, db: Database.Database, broken: string, mended: string) {
  db.exec(broken);
  const answer = await ready();
  t.equal(answer.status, 503);
  t.equal(answer.body['code'], 'NOT_READY');
  t.match(String(answer.body['detail']), /ehr/);
  db.exec(mended);
  t.equal((await ready()).status, 200, 'ready again once it is undone');
}
type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

t.test('ready while every mapped table answers', async (t) => {
  t.equal((await ready()).status, 200);
});

t.test('not ready while a writer holds the EHR database locked', async (t) => {
  const writer = new Database(world.h1.ehrFile);
  t.teardown(() => writer.close());
  await unreadyWhile(t, writer, 'BEGIN EXCLUSIVE', 'COMMIT');
});

t.test('not ready while a mapped table is missing', async (t) => {
  const admin = new Database(world.h1.ehrFile);
  t.teardown(() => admin.close());
  await unreadyWhile(t, admin, 'ALTER TABLE lab_results RENAME TO lab_results_moved', 'ALTER TABLE lab_results_moved RENAME TO lab_results');
});

t.test('not ready while the chaincode does not answer, though the peer does', async (t) => {
  const evaluate = world.ledger.evaluate.bind(world.ledger);
  world.ledger.evaluate = async (signer, contract, transaction, args) => {
    if (transaction === 'whoami') throw new LedgerUnavailableError('chaincode server unreachable');
    return evaluate(signer, contract, transaction, args);
  };
  t.teardown(() => {
    world.ledger.evaluate = evaluate;
  });
  const answer = await ready();
  t.equal(answer.status, 503);
  t.match(String(answer.body['detail']), /chaincode/);
  world.ledger.evaluate = evaluate;
  t.equal((await ready()).status, 200, 'ready again once it answers');
});

t.test('the ordering service as the ledger reaches it: below its quorum the gateway is read-only, still serving', async (t) => {
  const ledger = world.ledger as typeof world.ledger & { ordering?: () => Promise<OrderingState> };
  t.teardown(() => {
    delete ledger.ordering;
  });
  ledger.ordering = async () => ({ consensus: 'etcdraft', total: 3, reachable: 3, quorum: 2 });
  t.match(await ready(), { status: 200, body: { status: 'ready', ordering: { consensus: 'etcdraft', total: 3, reachable: 3, quorum: 2 } } });
  ledger.ordering = async () => ({ consensus: 'etcdraft', total: 3, reachable: 1, quorum: 2 });
  t.match(await ready(), { status: 200, body: { status: 'read-only', ordering: { reachable: 1 } } });
});
