import t from 'tap';
import type { HistoryEntry, IdentityRecord, ParticipantRecord, ResolveResult } from '../../src/domain/types';
import { keys } from '../../src/domain/keys';
import { cast, H, H1, H2, lastEvent, refused, type Actor, type Cast } from '../support/world';

/**
 * The two mapping changes after registration that issue 14 added: a re-map by participant id (the
 * way for a delegate, which no external id names) and a home's re-key of its index entries
 * (docs/privacy.md §2, §3).
 */

async function delegate(c: Cast, name: string, registrar: Actor): Promise<Actor> {
  const actor = await c.w.person(name, registrar.mspId, 'patient');
  actor.pid = (await c.w.submit<IdentityRecord>(registrar, 'Registrar:registerDelegate', actor.enrollmentId)).participantId;
  return actor;
}

t.test('remapDelegate: a delegate gets a new certificate identity; the old one is superseded', async (t) => {
  const c = await cast();
  const d = await delegate(c, 'dee', c.registrar2);
  const renewed = await c.w.reenrol(d, 'v2');
  const rec = await c.w.submit<IdentityRecord>(c.registrar2, 'Registrar:remapDelegate', d.pid, renewed.enrollmentId);
  t.match(rec, { identityId: renewed.iid, participantId: d.pid, mspId: H2, role: 'patient', status: 'active', supersededBy: null });
  t.same(lastEvent(c.w), { name: 'IdentityRemapped', notifications: [{ participantId: d.pid, status: 'active' }] });
  t.equal((await c.w.evaluate<IdentityRecord>(renewed, 'Registrar:whoami')).participantId, d.pid, 'the new certificate speaks for the delegate');
  await refused(t, c.w, d, 'Registrar:whoami', [], 'FORBIDDEN');
  const history = await c.w.evaluate<HistoryEntry[]>(c.auditor, 'Registrar:historyOf', d.pid);
  t.same(
    history.map((h) => (h.value as ParticipantRecord).identityId),
    [renewed.iid, d.iid],
    'the auditor reads the chain by pid, newest first',
  );
  t.match(history[0]!.value, { externalIdHash: null, delegate: true }, 'still a delegate, still no external id');
  await refused(t, c.w, c.registrar2, 'Registrar:remapDelegate', [d.pid, renewed.enrollmentId], 'CONFLICT');
  await refused(t, c.w, c.registrar2, 'Registrar:remapDelegate', [d.pid, d.enrollmentId], 'CONFLICT');
});

t.test("remapDelegate refusals: another organisation, an unknown pid or a non-delegate's, a malformed pid, a bad enrollment id, every other role", async (t) => {
  const c = await cast();
  const d = await delegate(c, 'dee', c.registrar2);
  await refused(t, c.w, c.registrar1, 'Registrar:remapDelegate', [d.pid, 'dee.h1.x'], 'FORBIDDEN');
  await refused(t, c.w, c.registrar2, 'Registrar:remapDelegate', [H('7'), 'nobody.v2'], 'NOT_FOUND');
  // a participant with an external id is re-mapped by it, never by pid
  await refused(t, c.w, c.registrar1, 'Registrar:remapDelegate', [c.patient.pid, 'alice.h1.x'], 'NOT_FOUND');
  await refused(t, c.w, c.registrar2, 'Registrar:remapDelegate', ['not-a-pid', 'nobody.v2'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.registrar2, 'Registrar:remapDelegate', [d.pid, 'bad id!'], 'INVALID_ARGUMENT');
  for (const a of [d, c.patient, c.provider2, c.auditor, c.stranger]) await refused(t, c.w, a, 'Registrar:remapDelegate', [d.pid, 'dee.h2.y'], 'FORBIDDEN');
});

t.test('rekey: the entries move to the new key, the old ones are deleted, history keeps the chain', async (t) => {
  const c = await cast();
  const p2 = c.patient2;
  const items = [
    { oldHash: c.patient.hash, newHash: H('a') },
    { oldHash: p2.hash, newHash: H('b') },
  ];
  const outcome = await c.w.submit<string[]>(c.registrar1, 'Registrar:rekey', JSON.stringify(items));
  t.same(outcome, ['rekeyed', 'rekeyed']);
  t.same(lastEvent(c.w), { name: 'IndexRekeyed', notifications: [] }, 'the event names no one');
  t.notOk(c.w.ledger.state.has(keys.external(c.patient.hash)), 'the old entry is gone from state');
  t.same(await c.w.evaluate<ResolveResult>(c.registrar2, 'Registrar:resolve', H('a')), { participantId: c.patient.pid, role: 'patient', mspId: H1, status: 'active' });
  await refused(t, c.w, c.registrar2, 'Registrar:resolve', [c.patient.hash], 'NOT_FOUND');
  const history = await c.w.evaluate<HistoryEntry[]>(c.auditor, 'Registrar:history', H('a'));
  t.same(
    history.map((h) => (h.value as ParticipantRecord).externalIdHash),
    [H('a'), c.patient.hash],
    "the participant's history: its new entry, then its old one",
  );
  const old = c.w.ledger.history.get(keys.external(c.patient.hash))!;
  t.same(old.map((m) => m.isDelete), [false, true], "the old entry's own history: written, then deleted");
  t.equal((await c.w.evaluate<IdentityRecord>(c.patient, 'Registrar:whoami')).participantId, c.patient.pid, 'the identity is untouched');

  // A resumed or repeated batch changes nothing: every item comes back present.
  const before = c.w.snapshot();
  t.same(await c.w.submit<string[]>(c.registrar1, 'Registrar:rekey', JSON.stringify(items)), ['present', 'present']);
  t.same(JSON.parse(c.w.snapshot()).state, JSON.parse(before).state, 'a repeated batch writes nothing');
});

t.test('rekey refusals: another home, taken or unknown entries, malformed batches, every other role', async (t) => {
  const c = await cast();
  const item = (oldHash: string, newHash: string) => JSON.stringify([{ oldHash, newHash }]);
  await refused(t, c.w, c.registrar2, 'Registrar:rekey', [item(c.patient.hash, H('a'))], 'FORBIDDEN');
  await refused(t, c.w, c.registrar1, 'Registrar:rekey', [item(c.patient.hash, c.patient2.hash)], 'CONFLICT');
  await refused(t, c.w, c.registrar1, 'Registrar:rekey', [item(H('7'), H('a'))], 'NOT_FOUND');
  // all or nothing: a good item beside a refused one is not written either
  await refused(t, c.w, c.registrar1, 'Registrar:rekey', [JSON.stringify([{ oldHash: c.patient.hash, newHash: H('a') }, { oldHash: H('7'), newHash: H('b') }])], 'NOT_FOUND');
  for (const [name, text] of [
    ['not json', '{'],
    ['empty', '[]'],
    ['bad hash', item('x', H('a'))],
    ['extra field', JSON.stringify([{ oldHash: c.patient.hash, newHash: H('a'), pid: c.patient.pid }])],
    ['same entry twice', JSON.stringify([{ oldHash: c.patient.hash, newHash: H('a') }, { oldHash: c.patient2.hash, newHash: H('a') }])],
    ['old is new', item(c.patient.hash, c.patient.hash)],
  ] as const) {
    t.comment(name);
    await refused(t, c.w, c.registrar1, 'Registrar:rekey', [text], 'INVALID_ARGUMENT');
  }
  await refused(t, c.w, c.registrar1, 'Registrar:rekey', [JSON.stringify(Array.from({ length: 501 }, (_, i) => ({ oldHash: i.toString(16).padStart(64, '0'), newHash: (i + 1000).toString(16).padStart(64, '0') })))], 'LIMIT_EXCEEDED');
  for (const a of [c.patient, c.provider1, c.auditor, c.stranger]) await refused(t, c.w, a, 'Registrar:rekey', [item(c.patient.hash, H('a'))], 'FORBIDDEN');
  // a participant another home re-keyed is not "present" for this one
  await c.w.submit(c.registrar1, 'Registrar:rekey', item(c.patient.hash, H('a')));
  await refused(t, c.w, c.registrar2, 'Registrar:rekey', [item(c.patient.hash, H('a'))], 'FORBIDDEN');
});
