import { createHash } from 'node:crypto';
import t from 'tap';
import { KeyEndorsementPolicy } from 'fabric-shim';
import { existingRelationshipOf, isDelegateRequired } from '../../src/domain/errors';
import { keys } from '../../src/domain/keys';
import { LIMITS } from '../../src/domain/validation';
import type { Grant, Pointer, RelationshipHistory, RelationshipRecord, RelationshipView, SummaryEntry } from '../../src/domain/types';
import { cast, grantJson, H, H1, H2, lastEvent, refused, type Cast } from '../support/world';

const EP = 'https://h1.example/gatekeeper';
const OBS = grantJson([{ category: 'Observation', fields: ['code', 'valueQuantity'] }]);
/** The message of a call that must fail (the gateway reads the code and the text from it). */
const errorOf = async (c: Cast, actor: Cast['patient'], fn: string, ...args: string[]) => {
  const res = await c.w.call(actor, fn, args, true);
  if (res.status === 200) throw new Error(`${fn} should have failed`);
  return res.message;
};
const grantJsonUntil = (validUntil: string) => JSON.stringify({ ...JSON.parse(OBS), validUntil });

async function create(c: Cast): Promise<RelationshipRecord> {
  const { relationshipId } = await c.w.submit<{ relationshipId: string }>(c.provider1, 'Relationship:create', c.patient.pid, EP);
  return c.w.evaluate<RelationshipView>(c.provider1, 'Relationship:get', relationshipId);
}

function endorsers(c: Cast, key: string): string[] {
  const ep = c.w.ledger.validation.get(key);
  return ep ? new KeyEndorsementPolicy(ep).listOrgs() : [];
}

async function summaryOf(c: Cast, who: typeof c.patient, relId: string): Promise<SummaryEntry | undefined> {
  return (await c.w.evaluate<SummaryEntry[]>(who, 'Summary:mine')).find((e) => e.relationshipId === relId);
}

t.test('create: a new relationship in both summaries, endorsed by the provider org only', async (t) => {
  const c = await cast();
  const result = await c.w.submit<object>(c.provider1, 'Relationship:create', c.patient.pid, EP);
  t.same(Object.keys(result), ['relationshipId'], 'the result (stored in the block) is the id only');
  const rel = await c.w.evaluate<RelationshipView>(c.provider1, 'Relationship:get', (result as { relationshipId: string }).relationshipId);
  t.match(rel, { patientId: c.patient.pid, providerId: c.provider1.pid, providerMspId: H1, endpoint: EP, status: 'new' });
  t.same(lastEvent(c.w).notifications, [{ participantId: c.patient.pid, relationshipId: rel.relationshipId, status: 'new' }], 'news to the patient only');
  t.equal(lastEvent(c.w).name, 'RelationshipCreated');
  t.match(await summaryOf(c, c.patient, rel.relationshipId), { role: 'patient', status: 'new', providerMspId: H1 });
  t.match(await summaryOf(c, c.provider1, rel.relationshipId), { role: 'provider', status: 'new' });
  t.same(endorsers(c, keys.relationship(rel.relationshipId)), [H1]);
});

t.test('stored values leave out what their key says; readers get whole records', async (t) => {
  const c = await cast();
  const [id] = await c.w.submit<string[]>(c.provider1, 'Relationship:createBatch', JSON.stringify([{ patientId: c.patient.pid, endpoint: EP, pointers: [{ category: 'Condition', hash: H('2') }] }]));
  const view = await c.w.evaluate<RelationshipView>(c.patient, 'Relationship:get', id!);
  const stored = (key: string) => JSON.parse(c.w.ledger.state.get(key)!.toString('utf8')) as Record<string, unknown>;
  t.same(stored(keys.relationship(id!)), { p: c.patient.pid, v: c.provider1.pid, m: H1, e: EP, s: 'new', c: view.createdAt }, 'short names; updatedAt only once it differs');
  t.equal(view.updatedAt, view.createdAt);
  t.same(Object.keys(stored(keys.pointer(id!, 'Condition'))).sort(), ['hash', 'updatedAt', 'version']);
  t.same(stored(keys.summary(c.patient.pid, id!)), {}, "the patient's entry: the rest is the relationship's");
  t.same(stored(keys.summary(c.provider1.pid, id!)), {}, "the provider's entry: the rest is the relationship's");
  const entry = { relationshipId: id, patientId: c.patient.pid, providerId: c.provider1.pid, providerMspId: H1, status: 'new' };
  t.match(await summaryOf(c, c.patient, id!), { ...entry, participantId: c.patient.pid, role: 'patient' });
  t.match(await summaryOf(c, c.provider1, id!), { ...entry, participantId: c.provider1.pid, role: 'provider' });
  t.match(view, { ...entry, endpoint: EP });
  t.match(view.pointers, [{ relationshipId: id, category: 'Condition', hash: H('2'), version: 1 }]);  const later = new Date(Date.parse(view.createdAt) + 60_000);
  await c.w.submitAt(later, c.patient, 'Relationship:accept', id!);
  t.match(stored(keys.relationship(id!)), { s: 'accepted', u: later.toISOString() }, 'a later change stores its time');
  t.match(await c.w.evaluate<RelationshipView>(c.patient, 'Relationship:get', id!), { createdAt: view.createdAt, updatedAt: later.toISOString(), status: 'accepted' });
  t.same(stored(keys.summary(c.patient.pid, id!)), {}, 'a status change rewrites no summary entry');
  t.match(await summaryOf(c, c.provider1, id!), { status: 'accepted', updatedAt: later.toISOString() }, 'yet the entries show it');
});

t.test('create refusals', async (t) => {
  const c = await cast();
  const p = c.patient.pid;
  await refused(t, c.w, c.provider1, 'Relationship:create', [H('5'), EP], 'NOT_FOUND');
  await refused(t, c.w, c.provider1, 'Relationship:create', [c.viewer.pid, EP], 'INVALID_ARGUMENT');
  for (const [name, args] of [
    ['plain id', ['MRN-1234', EP]],
    ['missing patient', ['', EP]],
    ['missing endpoint', [p, '']],
    ['not a URL', [p, 'gatekeeper']],
    ['ftp', [p, 'ftp://h1.example/x']],
    ['credentials', [p, 'https://user:pw@h1.example/']],
    ['query', [p, 'https://h1.example/?patient=Jane']],
    ['oversized', [p, `https://h1.example/${'x'.repeat(250)}`]],
  ] as const) {
    t.comment(name);
    await refused(t, c.w, c.provider1, 'Relationship:create', [...args], 'INVALID_ARGUMENT');
  }
});

t.test('createBatch: many relationships with pointers, all or nothing', async (t) => {
  const c = await cast();
  const items = [
    { patientId: c.patient.pid, endpoint: EP, pointers: [{ category: 'Observation', hash: H('1') }, { category: 'Condition', hash: H('2') }] },
    { patientId: c.patient2.pid, endpoint: EP, pointers: [] },
  ];
  const ids = await c.w.submit<string[]>(c.provider1, 'Relationship:createBatch', JSON.stringify(items));
  t.equal(ids.length, 2);
  t.ok(ids.every((id) => /^[0-9a-f]{64}$/.test(id)), 'the result is the new ids only');
  t.equal(new Set(ids).size, 2);
  const rels = ids.map((relationshipId) => ({ relationshipId }));
  for (const [i, id] of ids.entries()) {
    t.match(await c.w.evaluate<RelationshipView>(c.provider1, 'Relationship:get', id), { patientId: items[i]!.patientId, status: 'new' }, `id ${i} is in item order`);
  }
  const ev = lastEvent(c.w);
  t.equal(ev.name, 'RelationshipsCreated');
  t.same(ev.notifications, ids.map((id, i) => ({ participantId: items[i]!.patientId, relationshipId: id, status: 'new' })), 'the patient of each');
  const view = await c.w.evaluate<RelationshipView>(c.patient, 'Relationship:get', rels[0].relationshipId);
  t.same(view.pointers.map((p) => [p.category, p.version]), [['Condition', 1], ['Observation', 1]]);
  t.same(endorsers(c, keys.pointer(rels[0].relationshipId, 'Observation')), [H1]);
  t.same(endorsers(c, keys.relationship(rels[1].relationshipId)), [H1]);

  const people = Array.from({ length: 501 }, (_, i) => ({ externalIdHash: createHash('sha256').update(`batch-patient-${i}`).digest('hex'), enrollmentId: `batch-patient-${i}`, role: 'patient' }));
  const many = [
    ...(await c.w.submit<string[]>(c.registrar1, 'Registrar:registerBatch', JSON.stringify(people.slice(0, 500)))),
    ...(await c.w.submit<string[]>(c.registrar1, 'Registrar:registerBatch', JSON.stringify(people.slice(500)))),
  ];
  const good = { patientId: many[500]!, endpoint: EP };
  await refused(t, c.w, c.provider1, 'Relationship:createBatch', [JSON.stringify([good, { patientId: H('5'), endpoint: EP }])], 'NOT_FOUND');
  await refused(t, c.w, c.provider1, 'Relationship:createBatch', [JSON.stringify(many.map((patientId) => ({ patientId, endpoint: EP })))], 'LIMIT_EXCEEDED');
  for (const [name, list] of [
    ['unknown category', [{ ...good, pointers: [{ category: 'Billing', hash: H('1') }] }]],
    ['duplicate category', [{ ...good, pointers: [{ category: 'Condition', hash: H('1') }, { category: 'Condition', hash: H('2') }] }]],
    ['bad hash', [{ ...good, pointers: [{ category: 'Condition', hash: 'abc' }] }]],
    ['SQL smuggled in', [{ ...good, sql: 'SELECT * FROM patients' }]],
    ['pointers not a list', [{ ...good, pointers: 'Condition' }]],
    ['bad endpoint', [{ ...good, endpoint: 'javascript:alert(1)' }]],
  ] as const) {
    t.comment(name);
    await refused(t, c.w, c.provider1, 'Relationship:createBatch', [JSON.stringify(list)], 'INVALID_ARGUMENT');
  }
  await refused(t, c.w, c.provider1, 'Relationship:createBatch', [JSON.stringify([good, good])], 'INVALID_ARGUMENT');
  const big = await c.w.submit<string[]>(c.provider1, 'Relationship:createBatch', JSON.stringify(many.slice(0, 500).map((patientId) => ({ patientId, endpoint: EP }))));
  t.equal(big.length, 500, '500 relationships in one transaction');
});

t.test('one relationship per patient and hospital: a second is refused naming the first, until the patient deletes it', async (t) => {
  const c = await cast();
  const first = await create(c);
  const second = await errorOf(c, c.provider1, 'Relationship:create', c.patient.pid, EP);
  t.match(second, /^CONFLICT: /);
  t.equal(existingRelationshipOf(second), first.relationshipId, 'the refusal names the existing relationship');
  const viaBatch = await errorOf(c, c.provider1, 'Relationship:createBatch', JSON.stringify([{ patientId: c.patient2.pid, endpoint: EP }, { patientId: c.patient.pid, endpoint: EP }]));
  t.equal(existingRelationshipOf(viaBatch), first.relationshipId, 'a batch holding the patient is refused whole');
  t.equal((await c.w.evaluate<SummaryEntry[]>(c.patient2, 'Summary:mine')).length, 0, 'nothing of the batch was written');
  const sameHospital = await errorOf(c, c.records1, 'Relationship:create', c.patient.pid, EP);
  t.equal(existingRelationshipOf(sameHospital), first.relationshipId, "another provider of the same hospital: the same patient's chart");
  const d2 = await c.w.person('alice.d2', H2, 'patient');
  d2.pid = (await c.w.submit<{ participantId: string }>(c.registrar2, 'Registrar:registerDelegate', d2.enrollmentId)).participantId;
  const { relationshipId: other } = await c.w.submit<{ relationshipId: string }>(c.provider2, 'Relationship:create', d2.pid, EP);
  t.not(other, first.relationshipId, 'another hospital opens its own, under its delegate for her');
  t.same(endorsers(c, keys.patientLink(c.patient.pid, H1)), [H1], "the patient's link is endorsed by its hospital only");
  for (const action of ['reject', 'accept'] as const) {
    await c.w.submit(c.patient, `Relationship:${action}`, first.relationshipId);
    t.match(await errorOf(c, c.provider1, 'Relationship:create', c.patient.pid, EP), /^CONFLICT: /, `still refused after ${action}`);
  }
  await c.w.submit(c.patient, 'Relationship:remove', first.relationshipId);
  const { relationshipId: again } = await c.w.submit<{ relationshipId: string }>(c.provider1, 'Relationship:create', c.patient.pid, EP);
  t.not(again, first.relationshipId, 'after the patient deleted it, a new one may be opened');
  t.equal(existingRelationshipOf(await errorOf(c, c.provider1, 'Relationship:create', c.patient.pid, EP)), again, 'and it is the one named from then on');
});

t.test('grants last at most the consortium maximum', async (t) => {
  const c = await cast();
  const rel = await create(c);
  await c.w.submit(c.patient, 'Relationship:accept', rel.relationshipId);
  const now = c.w.ledger.clock.getTime();
  const until = (days: number) => grantJsonUntil(new Date(now + days * 86_400_000).toISOString());
  await refused(t, c.w, c.patient, 'Relationship:grant', [rel.relationshipId, c.viewer.pid, until(LIMITS.grantMaxDays + 2)], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.patient, 'Relationship:grant', [rel.relationshipId, c.viewer.pid, grantJsonUntil('9999-12-31T00:00:00Z')], 'INVALID_ARGUMENT');
  const granted = await c.w.submit<Grant>(c.patient, 'Relationship:grant', rel.relationshipId, c.viewer.pid, until(LIMITS.grantMaxDays - 1));
  t.equal(granted.status, 'granted', 'within the maximum');
});

t.test('putPointer: versions, status, refusals', async (t) => {
  const c = await cast();
  const rel = await create(c);
  const id = rel.relationshipId;
  const p1 = await c.w.submit<Pointer>(c.provider1, 'Relationship:putPointer', id, 'Observation', H('1'));
  t.match(p1, { category: 'Observation', hash: H('1'), version: 1 });
  t.same(endorsers(c, keys.pointer(id, 'Observation')), [H1]);
  t.same(lastEvent(c.w).notifications, [{ participantId: c.patient.pid, relationshipId: id, status: 'new', category: 'Observation' }]);
  // the hospital's records service (another provider identity of the same org) keeps pointers current
  const p2 = await c.w.submit<Pointer>(c.records1, 'Relationship:putPointer', id, 'Observation', H('2'));
  t.match(p2, { hash: H('2'), version: 2 });
  t.equal(c.w.ledger.stubs.at(-1)!.validation.size, 0, 'the endorsement policy is set once, at first write');
  t.match(await summaryOf(c, c.patient, id), { status: 'new' }, 'a new relationship stays new');

  await c.w.submit(c.patient, 'Relationship:accept', id);
  await c.w.submit(c.provider1, 'Relationship:putPointer', id, 'Observation', H('3'));
  t.match(await summaryOf(c, c.patient, id), { status: 'update_available' }, 'accepted → update_available');
  t.match(await summaryOf(c, c.provider1, id), { status: 'update_available' });
  t.match(lastEvent(c.w), { name: 'PointerUpdated', notifications: [{ status: 'update_available', category: 'Observation' }] });

  await refused(t, c.w, c.provider2, 'Relationship:putPointer', [id, 'Observation', H('4')], 'FORBIDDEN');
  await refused(t, c.w, c.provider1, 'Relationship:putPointer', [id, 'Billing', H('4')], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.provider1, 'Relationship:putPointer', [id, 'Observation', 'SELECT 1'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.provider1, 'Relationship:putPointer', [H('6'), 'Observation', H('4')], 'NOT_FOUND');
  await c.w.submit(c.patient, 'Relationship:reject', id);
  await refused(t, c.w, c.provider1, 'Relationship:putPointer', [id, 'Observation', H('4')], 'CONFLICT');
  await c.w.submit(c.patient, 'Relationship:remove', id);
  await refused(t, c.w, c.provider1, 'Relationship:putPointer', [id, 'Observation', H('4')], 'CONFLICT');
});

t.test('putPointers: changed pointers only, one notice per relationship, all or nothing', async (t) => {
  const c = await cast();
  const a = (await create(c)).relationshipId;
  const ids = await c.w.submit<string[]>(c.provider1, 'Relationship:createBatch', JSON.stringify([{ patientId: c.patient2.pid, endpoint: EP, pointers: [{ category: 'Condition', hash: H('1') }] }]));
  const b = ids[0]!;
  await c.w.submit(c.patient, 'Relationship:accept', a);
  const batch = (items: { relationshipId: string; category: string; sha256: string }[]) => JSON.stringify(items);
  const changed = await c.w.submit<number>(
    c.records1,
    'Relationship:putPointers',
    batch([
      { relationshipId: a, category: 'Observation', sha256: H('1') },
      { relationshipId: a, category: 'Condition', sha256: H('2') },
      { relationshipId: b, category: 'Condition', sha256: H('1') },
    ]),
  );
  t.equal(changed, 2, "b's Condition hash is the same: not written");
  t.same(lastEvent(c.w), { name: 'PointersUpdated', notifications: [{ participantId: c.patient.pid, relationshipId: a, status: 'update_available' }] }, 'one notice, for the relationship that changed');
  const view = await c.w.evaluate<RelationshipView>(c.provider1, 'Relationship:get', b);
  t.same(view.pointers.map((p) => [p.category, p.version]), [['Condition', 1]], 'no new version for an unchanged hash');
  t.match(await summaryOf(c, c.patient, a), { status: 'update_available' });
  t.same(endorsers(c, keys.pointer(a, 'Observation')), [H1]);

  await refused(t, c.w, c.provider2, 'Relationship:putPointers', [batch([{ relationshipId: a, category: 'Observation', sha256: H('9') }])], 'FORBIDDEN');
  await refused(t, c.w, c.provider1, 'Relationship:putPointers', [batch([{ relationshipId: a, category: 'Observation', sha256: H('9') }, { relationshipId: H('7'), category: 'Observation', sha256: H('9') }])], 'NOT_FOUND');
  await refused(t, c.w, c.provider1, 'Relationship:putPointers', [batch([{ relationshipId: a, category: 'Observation', sha256: H('9') }, { relationshipId: a, category: 'Observation', sha256: H('8') }])], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.provider1, 'Relationship:putPointers', [batch([{ relationshipId: a, category: 'Billing', sha256: H('9') }])], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.provider1, 'Relationship:putPointers', [JSON.stringify([{ relationshipId: a, category: 'Observation', sha256: H('9'), sql: 'SELECT 1' }])], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.provider1, 'Relationship:putPointers', ['[]'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.provider1, 'Relationship:putPointers', [batch(Array.from({ length: 501 }, (_, i) => ({ relationshipId: H(String(i)), category: 'Observation', sha256: H('1') })))], 'LIMIT_EXCEEDED');
  t.match(await c.w.evaluate<RelationshipView>(c.provider1, 'Relationship:get', a), { pointers: [{ category: 'Condition', version: 1 }, { category: 'Observation', hash: H('1'), version: 1 }] }, 'nothing of a refused batch was written');
  await c.w.submit(c.patient2, 'Relationship:reject', b);
  await refused(t, c.w, c.provider1, 'Relationship:putPointers', [batch([{ relationshipId: a, category: 'Observation', sha256: H('5') }, { relationshipId: b, category: 'Condition', sha256: H('5') }])], 'CONFLICT');
});

t.test('accept, reject, remove: the patient decides, delete is terminal', async (t) => {
  const c = await cast();
  const id = (await create(c)).relationshipId;
  await refused(t, c.w, c.patient2, 'Relationship:accept', [id], 'FORBIDDEN');
  await refused(t, c.w, c.provider1, 'Relationship:accept', [id], 'FORBIDDEN');
  const acc = await c.w.submit<RelationshipRecord>(c.patient, 'Relationship:accept', id);
  t.equal(acc.status, 'accepted');
  t.same(lastEvent(c.w), {
    name: 'RelationshipAccepted',
    notifications: [
      { participantId: c.patient.pid, relationshipId: id, status: 'accepted' },
      { participantId: c.provider1.pid, relationshipId: id, status: 'accepted' },
    ],
  });
  await refused(t, c.w, c.patient, 'Relationship:accept', [id], 'CONFLICT');
  const rej = await c.w.submit<RelationshipRecord>(c.patient, 'Relationship:reject', id);
  t.equal(rej.status, 'rejected');
  t.equal(lastEvent(c.w).name, 'RelationshipRejected');
  await refused(t, c.w, c.patient, 'Relationship:reject', [id], 'CONFLICT');
  t.equal((await c.w.submit<RelationshipRecord>(c.patient, 'Relationship:accept', id)).status, 'accepted', 'a rejection can be reconsidered');
  await c.w.submit(c.patient, 'Relationship:grant', id, c.viewer.pid, OBS);
  await c.w.submit(c.patient, 'Relationship:grant', id, c.viewer2.pid, OBS);
  await c.w.submit(c.patient, 'Relationship:revoke', id, c.viewer2.pid);

  const del = await c.w.submit<RelationshipRecord>(c.patient, 'Relationship:remove', id);
  t.equal(del.status, 'deleted');
  const ev = lastEvent(c.w);
  t.equal(ev.name, 'RelationshipDeleted');
  t.same(ev.notifications.at(-1), { participantId: c.viewer.pid, relationshipId: id, status: 'revoked' }, 'the live grant is revoked');
  t.equal(ev.notifications.length, 3, 'the already revoked grant is not announced again');
  t.match(await summaryOf(c, c.viewer, id), { role: 'viewer', status: 'revoked' });
  t.match(await summaryOf(c, c.patient, id), { status: 'deleted' });
  t.match(await summaryOf(c, c.provider1, id), { status: 'deleted' });
  const view = await c.w.evaluate<RelationshipView>(c.auditor, 'Relationship:get', id);
  t.same(view.grants.map((g) => g.status), ['revoked', 'revoked']);
  for (const op of ['accept', 'reject', 'remove']) await refused(t, c.w, c.patient, `Relationship:${op}`, [id], 'CONFLICT');
  await refused(t, c.w, c.patient, 'Relationship:grant', [id, c.viewer.pid, OBS], 'CONFLICT');
  await refused(t, c.w, c.patient, 'Relationship:accept', [H('6')], 'NOT_FOUND');
  await refused(t, c.w, c.patient, 'Relationship:accept', ['../etc'], 'INVALID_ARGUMENT');
});

t.test('grant and revoke', async (t) => {
  const c = await cast();
  const id = (await create(c)).relationshipId;
  await refused(t, c.w, c.patient, 'Relationship:grant', [id, c.viewer.pid, OBS], 'CONFLICT');
  await c.w.submit(c.patient, 'Relationship:accept', id);
  const g = await c.w.submit<Grant>(c.patient, 'Relationship:grant', id, c.viewer.pid, OBS);
  t.match(g, { viewerId: c.viewer.pid, status: 'granted', purpose: 'TREAT', validUntil: '2027-01-01T00:00:00.000Z', items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }] });
  t.same(lastEvent(c.w), { name: 'GrantCreated', notifications: [{ participantId: c.viewer.pid, relationshipId: id, status: 'granted' }] });
  t.match(await summaryOf(c, c.viewer, id), { role: 'viewer', status: 'granted', patientId: c.patient.pid });
  t.same(endorsers(c, keys.grant(id, c.viewer.pid)), [H1]);
  // a second-opinion doctor at another hospital may be a grantee too
  await c.w.submit(c.patient, 'Relationship:grant', id, c.provider2.pid, OBS);

  await refused(t, c.w, c.patient, 'Relationship:grant', [id, H('5'), OBS], 'NOT_FOUND');
  await refused(t, c.w, c.patient, 'Relationship:grant', [id, c.patient.pid, OBS], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.patient, 'Relationship:grant', [id, c.patient2.pid, OBS], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.patient2, 'Relationship:grant', [id, c.viewer.pid, OBS], 'FORBIDDEN');
  const bad: [string, string][] = [
    ['unknown category', grantJson([{ category: 'Billing', fields: ['code'] }])],
    ['unknown field', grantJson([{ category: 'Observation', fields: ['ssn'] }])],
    ['field of another category', grantJson([{ category: 'Observation', fields: ['birthDate'] }])],
    ['duplicate field', grantJson([{ category: 'Observation', fields: ['code', 'code'] }])],
    ['no fields', grantJson([{ category: 'Observation', fields: [] }])],
    ['no items', grantJson([])],
    ['duplicate category', grantJson([{ category: 'Observation', fields: ['code'] }, { category: 'Observation', fields: ['note'] }])],
    ['unknown purpose', grantJson([{ category: 'Observation', fields: ['code'] }], undefined, 'CURIOSITY')],
    ['free-text purpose', grantJson([{ category: 'Observation', fields: ['code'] }], undefined, 'because Jane has diabetes')],
    ['past validUntil', grantJson([{ category: 'Observation', fields: ['code'] }], '2025-01-01T00:00:00Z')],
    ['not a date', grantJson([{ category: 'Observation', fields: ['code'] }], 'next tuesday')],
    ['local time', grantJson([{ category: 'Observation', fields: ['code'] }], '2027-01-01T00:00:00')],
    ['impossible date', grantJson([{ category: 'Observation', fields: ['code'] }], '2027-02-30T00:00:00Z')],
    ['extra property', JSON.stringify({ items: [{ category: 'Observation', fields: ['code'] }], validUntil: '2027-01-01T00:00:00Z', purpose: 'TREAT', note: 'x' })],
    ['extra item property', JSON.stringify({ items: [{ category: 'Observation', fields: ['code'], why: 'x' }], validUntil: '2027-01-01T00:00:00Z', purpose: 'TREAT' })],
    ['wrong types', JSON.stringify({ items: 'Observation', validUntil: 20270101, purpose: 1 })],
    ['fields not strings', JSON.stringify({ items: [{ category: 'Observation', fields: [1] }], validUntil: '2027-01-01T00:00:00Z', purpose: 'TREAT' })],
    ['array', '[]'],
    ['not JSON', '{items'],
    ['missing', ''],
    ['oversized', JSON.stringify({ items: [{ category: 'Observation', fields: ['code'] }], validUntil: '2027-01-01T00:00:00Z', purpose: 'TREAT', pad: 'x'.repeat(20000) })],
  ];
  for (const [name, json] of bad) {
    t.comment(name);
    await refused(t, c.w, c.patient, 'Relationship:grant', [id, c.viewer.pid, json], 'INVALID_ARGUMENT');
  }

  const r = await c.w.submit<Grant>(c.patient, 'Relationship:revoke', id, c.viewer.pid);
  t.equal(r.status, 'revoked');
  t.same(lastEvent(c.w), { name: 'GrantRevoked', notifications: [{ participantId: c.viewer.pid, relationshipId: id, status: 'revoked' }] });
  t.match(await summaryOf(c, c.viewer, id), { status: 'revoked' });
  await refused(t, c.w, c.patient, 'Relationship:revoke', [id, c.viewer.pid], 'CONFLICT');
  await refused(t, c.w, c.patient, 'Relationship:revoke', [id, c.viewer2.pid], 'NOT_FOUND');
  await refused(t, c.w, c.patient, 'Relationship:revoke', [id, 'carol'], 'INVALID_ARGUMENT');
  // granting again after a revocation is a fresh grant
  const again = await c.w.submit<Grant>(c.patient, 'Relationship:grant', id, c.viewer.pid, OBS);
  t.equal(again.status, 'granted');
  t.match(await summaryOf(c, c.viewer, id), { status: 'granted' });
});

t.test('get: parties see everything, a viewer only its own grant and granted pointers', async (t) => {
  const c = await cast();
  const id = (await create(c)).relationshipId;
  await c.w.submit(c.provider1, 'Relationship:putPointer', id, 'Observation', H('1'));
  await c.w.submit(c.provider1, 'Relationship:putPointer', id, 'Condition', H('2'));
  await c.w.submit(c.patient, 'Relationship:accept', id);
  await c.w.submit(c.patient, 'Relationship:grant', id, c.viewer.pid, OBS);
  await c.w.submit(c.patient, 'Relationship:grant', id, c.viewer2.pid, grantJson([{ category: 'Condition', fields: ['code'] }]));
  for (const who of [c.patient, c.provider1, c.records1, c.auditor]) {
    const v = await c.w.evaluate<RelationshipView>(who, 'Relationship:get', id);
    t.equal(v.pointers.length, 2, `${who.name} sees every pointer`);
    t.equal(v.grants.length, 2, `${who.name} sees every grant`);
  }
  const v = await c.w.evaluate<RelationshipView>(c.viewer, 'Relationship:get', id);
  t.same(v.pointers.map((p) => p.category), ['Observation']);
  t.same(v.grants.map((g) => g.viewerId), [c.viewer.pid]);

  await refused(t, c.w, c.provider2, 'Relationship:get', [id], 'FORBIDDEN');
  await refused(t, c.w, c.patient2, 'Relationship:get', [id], 'FORBIDDEN');
  const late = await c.w.call(c.viewer, 'Relationship:get', [id], false, new Date('2027-01-01T00:00:00Z'));
  t.match(late.message, /^EXPIRED: /, 'an expired grant shows nothing, and says why');
  await c.w.submit(c.patient, 'Relationship:revoke', id, c.viewer.pid);
  await refused(t, c.w, c.viewer, 'Relationship:get', [id], 'FORBIDDEN');
  await refused(t, c.w, c.auditor, 'Relationship:get', [H('6')], 'NOT_FOUND');
});

t.test('history: every version of the relationship, its pointers and grants, for auditors', async (t) => {
  const c = await cast();
  const id = (await create(c)).relationshipId;
  await c.w.submit(c.provider1, 'Relationship:putPointer', id, 'Observation', H('1'));
  await c.w.submit(c.patient, 'Relationship:accept', id);
  await c.w.submit(c.patient, 'Relationship:grant', id, c.viewer.pid, OBS);
  await c.w.submit(c.patient, 'Relationship:revoke', id, c.viewer.pid);
  await c.w.submit(c.provider1, 'Relationship:putPointer', id, 'Observation', H('2'));
  const h = await c.w.evaluate<RelationshipHistory>(c.auditor, 'Relationship:history', id);
  t.same(h.relationship.map((e) => (e.value as RelationshipRecord).status), ['update_available', 'accepted', 'new']);
  t.same(h.pointers.map((p) => [p.category, p.history.map((e) => (e.value as Pointer).version)]), [['Observation', [2, 1]]]);
  t.same(h.grants.map((g) => [g.viewerId, g.history.map((e) => (e.value as Grant).status)]), [[c.viewer.pid, ['revoked', 'granted']]]);
  for (const who of [c.patient, c.provider1, c.viewer, c.registrar1]) {
    await refused(t, c.w, who, 'Relationship:history', [id], 'FORBIDDEN');
  }
  await refused(t, c.w, c.auditor, 'Relationship:history', [H('6')], 'NOT_FOUND');
});

t.test("ofPatients: each patient's relationship with the caller's hospital that blocks a new one, for providers only", async (t) => {
  const c = await cast();
  const [id] = await c.w.submit<string[]>(c.provider1, 'Relationship:createBatch', JSON.stringify([{ patientId: c.patient.pid, endpoint: EP }]));
  t.same(await c.w.evaluate<(string | null)[]>(c.provider1, 'Relationship:ofPatients', JSON.stringify([c.patient2.pid, c.patient.pid])), [null, id], 'in order; null where none');
  t.same(await c.w.evaluate<(string | null)[]>(c.provider2, 'Relationship:ofPatients', JSON.stringify([c.patient.pid])), [null], "another hospital's relationship is not this one's");
  await c.w.submit(c.patient, 'Relationship:remove', id!);
  t.same(await c.w.evaluate<(string | null)[]>(c.provider1, 'Relationship:ofPatients', JSON.stringify([c.patient.pid])), [null], 'a deleted one no longer blocks');
  await refused(t, c.w, c.patient, 'Relationship:ofPatients', [JSON.stringify([c.patient.pid])], 'FORBIDDEN');
  await refused(t, c.w, c.provider1, 'Relationship:ofPatients', ['[]'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.provider1, 'Relationship:ofPatients', [JSON.stringify(['x'])], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.provider1, 'Relationship:ofPatients', [JSON.stringify(Array.from({ length: 501 }, () => c.patient.pid))], 'LIMIT_EXCEEDED');
});

t.test('a patient registered at another hospital is treated here only under a delegate: her home id is refused, nothing written', async (t) => {
  const c = await cast();
  for (const [fn, args] of [
    ['Relationship:create', [c.patient.pid, EP]],
    ['Relationship:createBatch', [JSON.stringify([{ patientId: c.patient.pid, endpoint: EP }])]],
  ] as const) {
    const res = await refused(t, c.w, c.provider2, fn, [...args], 'FORBIDDEN');
    t.ok(isDelegateRequired(res.message), `${fn}: the refusal says a delegate is required`);
  }
  // a batch naming one of its own patients and one registered elsewhere is refused whole
  const own = await c.w.register(c.registrar2, await c.w.person('bea', H2, 'patient'));
  const mixed = await refused(t, c.w, c.provider2, 'Relationship:createBatch', [JSON.stringify([{ patientId: own.pid, endpoint: EP }, { patientId: c.patient.pid, endpoint: EP }])], 'FORBIDDEN');
  t.match(mixed.message, /item 1: /, 'the refusal names the item');
  // her home treats her under her own id; Hospital2 its own patient
  await create(c);
  await c.w.submit(c.provider2, 'Relationship:create', own.pid, EP);
});
