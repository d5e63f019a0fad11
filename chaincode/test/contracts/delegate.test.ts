import t from 'tap';
import { identityId } from '../../src/domain/ids';
import { keyAttributes, OBJECT_TYPES } from '../../src/domain/keys';
import type { Decision, HistoryEntry, IdentityRecord, ParticipantRecord, RelationshipView, SummaryEntry } from '../../src/domain/types';
import { CONSENT_ALL } from '../support/research';
import { cast, grantJson, H, H1, H2, lastEvent, refused, type Actor, type Cast } from '../support/world';

/**
 * Delegates (docs/privacy.md §3): a patient's identity for one relationship, registered by the
 * hospital that holds the relationship, with no external id. Alice is treated at both hospitals,
 * each time under a delegate of that hospital; nothing written ties the two (or either to her home
 * identity), and every flow of a relationship works with the delegate as its patient.
 */

async function delegate(c: Cast, name: string, mspId: string): Promise<Actor> {
  const registrar = mspId === H1 ? c.registrar1 : c.registrar2;
  const actor = await c.w.person(name, mspId, 'patient');
  const rec = await c.w.submit<IdentityRecord>(registrar, 'Registrar:registerDelegate', actor.enrollmentId);
  actor.pid = rec.participantId;
  return actor;
}

async function setup() {
  const c = await cast();
  const d1 = await delegate(c, 'alice.d1', H1);
  const d2 = await delegate(c, 'alice.d2', H2);
  const rel1 = (await c.w.submit<{ relationshipId: string }>(c.provider1, 'Relationship:create', d1.pid, 'https://h1.example/gk')).relationshipId;
  const rel2 = (await c.w.submit<{ relationshipId: string }>(c.provider2, 'Relationship:create', d2.pid, 'https://h2.example/gk')).relationshipId;
  await c.w.submit(c.provider1, 'Relationship:putPointer', rel1, 'Observation', H('1'));
  await c.w.submit(c.provider2, 'Relationship:putPointer', rel2, 'Observation', H('2'));
  return { c, d1, d2, rel1, rel2 };
}

t.test('a registrar registers a delegate: an active patient identity of its hospital with no external id', async (t) => {
  const c = await cast();
  const d = await c.w.person('dee', H2, 'patient');
  const before = c.w.ledger.state.size;
  const rec = await c.w.submit<IdentityRecord>(c.registrar2, 'Registrar:registerDelegate', d.enrollmentId);
  t.match(rec, { identityId: identityId(H2, d.enrollmentId), mspId: H2, role: 'patient', status: 'active', supersededBy: null });
  t.same(lastEvent(c.w), { name: 'IdentityRegistered', notifications: [{ participantId: rec.participantId, status: 'active' }] });
  t.equal(c.w.ledger.state.size, before + 2, 'two keys written: identity and participant, no external-id entry');
  d.pid = rec.participantId;
  const who = await c.w.evaluate<IdentityRecord>(d, 'Registrar:whoami');
  t.same(who, rec, 'the delegate signs as itself');
  const history = await c.w.evaluate<HistoryEntry[]>(c.auditor, 'Registrar:historyOf', rec.participantId);
  t.equal(history.length, 1, 'the auditor reads its mapping history by participant id');
  t.match(history[0]!.value as ParticipantRecord, { participantId: rec.participantId, externalIdHash: null, delegate: true, mspId: H2, role: 'patient' });
});

t.test('registerDelegate refusals: bad or taken enrollment ids, and every other role', async (t) => {
  const c = await cast();
  await refused(t, c.w, c.registrar1, 'Registrar:registerDelegate', [''], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.registrar1, 'Registrar:registerDelegate', ['Alice Smith'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.registrar1, 'Registrar:registerDelegate', ['x'.repeat(65)], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.registrar1, 'Registrar:registerDelegate', [c.patient.enrollmentId], 'CONFLICT');
  // a provider, the patient herself, or a patient's certificate never registered: only a registrar vouches
  for (const a of [c.provider1, c.patient, c.stranger, c.auditor]) await refused(t, c.w, a, 'Registrar:registerDelegate', ['e0123456789abcdef0123456789abcdef'], 'FORBIDDEN');
});

t.test("historyOf: the auditor's read, refused to others and for an unknown or malformed id", async (t) => {
  const c = await cast();
  await refused(t, c.w, c.auditor, 'Registrar:historyOf', [H('7')], 'NOT_FOUND');
  await refused(t, c.w, c.auditor, 'Registrar:historyOf', ['not-a-pid'], 'INVALID_ARGUMENT');
  for (const a of [c.patient, c.provider1, c.registrar1]) await refused(t, c.w, a, 'Registrar:historyOf', [c.patient.pid], 'FORBIDDEN');
});

t.test("a delegate serves only at the hospital that registered it", async (t) => {
  const { c, d1 } = await setup();
  const fresh = await delegate(c, 'alice.d3', H1);
  await refused(t, c.w, c.provider2, 'Relationship:create', [fresh.pid, 'https://h2.example/gk'], 'FORBIDDEN');
  await refused(t, c.w, c.provider2, 'Relationship:createBatch', [JSON.stringify([{ patientId: fresh.pid, endpoint: 'https://h2.example/gk' }])], 'FORBIDDEN');
  // and holds one open relationship there
  await refused(t, c.w, c.provider1, 'Relationship:create', [d1.pid, 'https://h1.example/gk'], 'CONFLICT');
});

t.test('the delegate is the relationship\'s patient: accept, read, grant, revoke, acknowledge, consent, delete', async (t) => {
  const { c, d1, d2, rel1, rel2 } = await setup();
  await c.w.submit(d1, 'Relationship:accept', rel1);
  await c.w.submit(d2, 'Relationship:accept', rel2);
  const mine = await c.w.evaluate<SummaryEntry[]>(d1, 'Summary:mine');
  t.same(mine.map((e) => [e.relationshipId, e.status]), [[rel1, 'accepted']], "a delegate's summary is its one relationship");
  t.same((await c.w.evaluate<SummaryEntry[]>(c.patient, 'Summary:mine')).length, 0, 'her home identity has none of them');
  const decision = JSON.parse((await c.w.call(c.records1, 'Relationship:checkAccess', [rel1, d1.iid, 'Observation', '[]'], false)).payload) as Decision;
  t.match(decision, { allowed: true, code: 'ALLOWED_PATIENT', requesterId: d1.pid, patientId: d1.pid });
  await c.w.submit(d1, 'Relationship:grant', rel1, c.viewer.pid, grantJson([{ category: 'Observation', fields: ['code'] }]));
  const seen = await c.w.evaluate<RelationshipView>(c.viewer, 'Relationship:get', rel1);
  t.equal(seen.pointers.length, 1, 'the viewer reads what the delegate granted');
  await c.w.submit(c.records1, 'Summary:markUpdateAvailable', rel1);
  await c.w.submit(d1, 'Summary:acknowledge', rel1);
  await c.w.submit(d1, 'Research:consent', rel1, CONSENT_ALL);
  await c.w.submit(d1, 'Relationship:revoke', rel1, c.viewer.pid);
  await c.w.submit(d1, 'Relationship:remove', rel1);
  t.equal((await c.w.evaluate<SummaryEntry[]>(d1, 'Summary:mine'))[0]!.status, 'deleted');
  t.same((await c.w.evaluate<SummaryEntry[]>(c.auditor, 'Summary:of', d2.pid)).map((e) => e.relationshipId), [rel2], 'the auditor reads a delegate\'s summary');
});

t.test('refusals: another delegate, her home identity, a provider, all on a relationship not theirs', async (t) => {
  const { c, d1, d2, rel1 } = await setup();
  for (const fn of ['Relationship:accept', 'Relationship:reject', 'Relationship:remove']) {
    await refused(t, c.w, d2, fn, [rel1], 'FORBIDDEN');
    await refused(t, c.w, c.patient, fn, [rel1], 'FORBIDDEN');
  }
  await refused(t, c.w, c.provider1, 'Relationship:accept', [rel1], 'FORBIDDEN');
  await c.w.submit(d1, 'Relationship:accept', rel1);
  await refused(t, c.w, d2, 'Relationship:grant', [rel1, c.viewer.pid, grantJson([{ category: 'Observation', fields: ['code'] }])], 'FORBIDDEN');
  await refused(t, c.w, d2, 'Research:consent', [rel1, CONSENT_ALL], 'FORBIDDEN');
  // a delegate is a patient identity, never a grantee
  await refused(t, c.w, d1, 'Relationship:grant', [rel1, d2.pid, grantJson([{ category: 'Observation', fields: ['code'] }])], 'INVALID_ARGUMENT');
  const other = JSON.parse((await c.w.call(c.records1, 'Relationship:checkAccess', [rel1, d2.iid, 'Observation', '[]'], false)).payload) as Decision;
  t.match(other, { allowed: false }, "another patient's delegate is not let in");
});

t.test('nothing written ties two delegates, or a delegate to the home identity', async (t) => {
  const { c, d1, d2, rel1, rel2 } = await setup();
  await c.w.submit(d1, 'Relationship:accept', rel1);
  await c.w.submit(d2, 'Relationship:accept', rel2);
  const pidsByRelationship = new Map<string, Set<string>>();
  const written: string[] = [];
  for (const [key, value] of c.w.ledger.state) {
    written.push(key, value.toString('utf8'));
    if (key.startsWith(`\u0000${OBJECT_TYPES.summary}\u0000`)) {
      const [pid, rel] = keyAttributes(key) as [string, string];
      pidsByRelationship.set(rel, (pidsByRelationship.get(rel) ?? new Set()).add(pid));
    }
  }
  for (const mods of c.w.ledger.history.values()) for (const m of mods) written.push(Buffer.from(m.value).toString('utf8'));
  for (const e of c.w.ledger.events) written.push(e.payload);
  t.notOk([...(pidsByRelationship.get(rel1) ?? [])].includes(d2.pid) || [...(pidsByRelationship.get(rel2) ?? [])].includes(d1.pid), 'no summary entry files one delegate\'s relationship under the other');
  for (const [rel, pids] of pidsByRelationship) t.notOk(pids.has(c.patient.pid) && (rel === rel1 || rel === rel2), 'her home pid files neither relationship');
  // every place a delegate's pid appears is about that delegate's own hospital
  const d1Rows = written.filter((w) => w.includes(d1.pid));
  t.ok(d1Rows.length > 0 && d1Rows.every((w) => !w.includes(d2.pid) && !w.includes(H2)), "no row naming Alice's Hospital 1 delegate names her Hospital 2 delegate or Hospital 2");
});
