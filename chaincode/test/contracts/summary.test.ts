import t from 'tap';
import type { RelationshipRecord, SummaryEntry } from '../../src/domain/types';
import { cast, grantJson, H, H2, lastEvent, refused } from '../support/world';

t.test('summaries: each party sees its own entries; auditors see anyone', async (t) => {
  const c = await cast();
  const a = await c.w.submit<{ relationshipId: string }>(c.provider1, 'Relationship:create', c.patient.pid, 'https://h1.example/gk');
  await c.w.submit(c.provider1, 'Relationship:create', c.patient2.pid, 'https://h1.example/gk');
  // Hospital2 treats her under a delegate (docs/privacy.md §3): its relationship is in the delegate's summary, not hers
  const d2 = await c.w.person('alice.d2', H2, 'patient');
  d2.pid = (await c.w.submit<{ participantId: string }>(c.registrar2, 'Registrar:registerDelegate', d2.enrollmentId)).participantId;
  const b = await c.w.submit<{ relationshipId: string }>(c.provider2, 'Relationship:create', d2.pid, 'https://h2.example/gk');
  const mine = await c.w.evaluate<SummaryEntry[]>(c.patient, 'Summary:mine');
  t.same(mine.map((e) => e.relationshipId), [a.relationshipId], 'one entry per relationship of hers');
  t.same((await c.w.evaluate<SummaryEntry[]>(d2, 'Summary:mine')).map((e) => e.relationshipId), [b.relationshipId], "the delegate's own");
  t.ok(mine.every((e) => e.participantId === c.patient.pid && e.role === 'patient' && e.status === 'new'));
  t.equal((await c.w.evaluate<SummaryEntry[]>(c.provider1, 'Summary:mine')).length, 2);
  t.same(await c.w.evaluate<SummaryEntry[]>(c.viewer, 'Summary:mine'), [], 'nothing yet for the viewer');
  t.same(await c.w.evaluate<SummaryEntry[]>(c.auditor, 'Summary:of', c.patient.pid), mine);
  await refused(t, c.w, c.auditor, 'Summary:of', ['alice'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.patient, 'Summary:of', [c.patient2.pid], 'FORBIDDEN');
});

t.test('update available: providers raise it, only the patient acknowledges', async (t) => {
  const c = await cast();
  const id = (await c.w.submit<{ relationshipId: string }>(c.provider1, 'Relationship:create', c.patient.pid, 'https://h1.example/gk')).relationshipId;
  await refused(t, c.w, c.provider1, 'Summary:markUpdateAvailable', [id], 'CONFLICT');
  await refused(t, c.w, c.patient, 'Summary:acknowledge', [id], 'CONFLICT');
  await c.w.submit(c.patient, 'Relationship:accept', id);
  await refused(t, c.w, c.provider2, 'Summary:markUpdateAvailable', [id], 'FORBIDDEN');
  const up = await c.w.submit<RelationshipRecord>(c.records1, 'Summary:markUpdateAvailable', id);
  t.equal(up.status, 'update_available');
  t.same(lastEvent(c.w), { name: 'UpdateAvailable', notifications: [{ participantId: c.patient.pid, relationshipId: id, status: 'update_available' }] });
  await refused(t, c.w, c.records1, 'Summary:markUpdateAvailable', [id], 'CONFLICT');
  await refused(t, c.w, c.provider1, 'Summary:acknowledge', [id], 'FORBIDDEN');
  await refused(t, c.w, c.patient2, 'Summary:acknowledge', [id], 'FORBIDDEN');
  await refused(t, c.w, c.patient, 'Summary:acknowledge', [H('6')], 'NOT_FOUND');
  await refused(t, c.w, c.patient, 'Summary:acknowledge', [''], 'INVALID_ARGUMENT');
  const ack = await c.w.submit<RelationshipRecord>(c.patient, 'Summary:acknowledge', id);
  t.equal(ack.status, 'accepted');
  t.same(lastEvent(c.w), { name: 'UpdateAcknowledged', notifications: [{ participantId: c.provider1.pid, relationshipId: id, status: 'accepted' }] });
  const entry = (await c.w.evaluate<SummaryEntry[]>(c.provider1, 'Summary:mine')).find((e) => e.relationshipId === id);
  t.match(entry, { status: 'accepted', role: 'provider' });
});

t.test('viewer entries: granted, then revoked', async (t) => {
  const c = await cast();
  const id = (await c.w.submit<{ relationshipId: string }>(c.provider1, 'Relationship:create', c.patient.pid, 'https://h1.example/gk')).relationshipId;
  await c.w.submit(c.patient, 'Relationship:accept', id);
  await c.w.submit(c.patient, 'Relationship:grant', id, c.viewer2.pid, grantJson([{ category: 'Patient', fields: ['name'] }]));
  t.match(await c.w.evaluate<SummaryEntry[]>(c.viewer2, 'Summary:mine'), [{ relationshipId: id, role: 'viewer', status: 'granted', providerMspId: c.provider1.mspId }]);
  await c.w.submit(c.patient, 'Relationship:revoke', id, c.viewer2.pid);
  t.match(await c.w.evaluate<SummaryEntry[]>(c.viewer2, 'Summary:mine'), [{ status: 'revoked' }]);
});
