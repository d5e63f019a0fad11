import t from 'tap';
import type { Context } from 'fabric-contract-api';
import { State, isoFromTimestamp } from '../../src/contracts/state';
import { cast, grantJson, H } from '../support/world';

async function scenario() {
  const c = await cast();
  const rel = await c.w.submit<{ relationshipId: string }>(c.provider1, 'Relationship:create', c.patient.pid, 'https://h1.example/gk');
  await c.w.submit(c.provider1, 'Relationship:putPointer', rel.relationshipId, 'Observation', H('1'));
  await c.w.submit(c.patient, 'Relationship:accept', rel.relationshipId);
  await c.w.submit(c.patient, 'Relationship:grant', rel.relationshipId, c.viewer.pid, grantJson([{ category: 'Observation', fields: ['code'] }]));
  await c.w.evaluate(c.viewer, 'Relationship:checkAccess', rel.relationshipId, c.viewer.iid, 'Observation', '[]');
  await c.w.submit(c.patient, 'Relationship:remove', rel.relationshipId);
  return { c, rel };
}

t.test('every committed change emits exactly one event; reads emit none', async (t) => {
  const { c } = await scenario();
  for (const stub of c.w.ledger.stubs) {
    t.equal(stub.events.length, stub.writes.size > 0 ? 1 : 0, `${stub.getTxID()} ${stub.getArgs()[0]}`);
  }
});

t.test('evaluated transactions never change the ledger', async (t) => {
  const c = await cast();
  const before = c.w.snapshot();
  const res = await c.w.call(c.provider1, 'Relationship:create', [c.patient.pid, 'https://h1.example/gk'], false);
  t.equal(res.status, 200);
  t.equal(c.w.snapshot(), before);
});

t.test('deterministic: the same transactions give the same state on every peer', async (t) => {
  const a = await scenario();
  const b = await scenario();
  t.equal(a.c.w.snapshot(), b.c.w.snapshot(), 'ids from the tx id, time from the tx timestamp');
  t.equal(a.rel.relationshipId, b.rel.relationshipId);
});

t.test('the test double hides a transaction’s own writes from its reads, as Fabric does', async (t) => {
  const c = await cast();
  await c.w.call(c.patient, 'Registrar:whoami', [], false);
  const stub = c.w.ledger.stubs.at(-1)!;
  await stub.putState('k', Buffer.from('"v"'));
  t.equal((await stub.getState('k')).length, 0);
  let seen = 0;
  for await (const kv of stub.getStateByPartialCompositeKey('iid', [])) seen += kv ? 1 : 0;
  const identities = [...c.w.ledger.state.keys()].filter((k) => k.startsWith('\u0000iid\u0000')).length;
  t.ok(identities > 10);
  t.equal(seen, identities, 'partial-key scans see the committed identities');
  const it = await stub.getStateByPartialCompositeKey('iid', []);
  t.equal((await it.next()).done, false, 'the awaited form is an iterator too');
  await it.close();
  await t.rejects(stub.deleteState(''), 'an empty key is refused');
  await stub.deleteState('k');
  t.equal(stub.writes.get('k'), null, 'a delete is a write of nothing, visible only on commit');
  t.same(stub.splitCompositeKey(stub.createCompositeKey('a', ['b', 'c'])), { objectType: 'a', attributes: ['b', 'c'] });
  t.equal(stub.getMspID(), c.patient.mspId);
  t.equal(stub.getDateTimestamp().toISOString(), isoFromTimestamp(stub.getTxTimestamp()));
  t.equal((await stub.getStateValidationParameter('nothing')).length, 0);
});

t.test('a transaction that tried to emit twice is a bug, not a lost event', async (t) => {
  const events: string[] = [];
  const ctx = {
    stub: { getTxTimestamp: () => ({ seconds: 1, nanos: 5e6 }), getTxID: () => 'tx', setEvent: (n: string) => events.push(n) },
  } as unknown as Context;
  const state = new State(ctx);
  t.equal(state.now, '1970-01-01T00:00:01.005Z');
  state.emit('GrantCreated', []);
  t.throws(() => state.emit('GrantRevoked', []), /exactly one event/);
  t.same(events, ['GrantCreated']);
});
