import t from 'tap';
import { demoPatients } from '../../demo/seed/population.js';
import { readSse, type SseEvent } from '../../demo/sse-client.js';
import { api, isoIn, login, removeDir, startTestSystem, type Json } from './support.js';

/** The whole MedRec flow over real sockets, across two hospitals' gateways on one ledger. */

t.setTimeout(180_000);

const person = demoPatients('hospital1').filter((p) => p.alsoAt)[1]!;
const HEX64 = /^[0-9a-f]{64}$/;

function collect(stream: Response, events: SseEvent[]) {
  void readSse(stream.body!, (e) => {
    events.push(e);
    return false;
  }).catch(() => undefined);
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('register → relationship → notify → accept → fetch → grant → revoke → audit, then restart', async (t) => {
  const sys = await startTestSystem();
  t.teardown(() => removeDir(sys.dir));
  let open = true;
  t.teardown(async () => {
    if (open) await sys.close();
  });
  const { h1, h2 } = sys;
  const streams: AbortController[] = [];
  t.teardown(() => streams.forEach((s) => s.abort()));

  // Register
  const registrar = await login(h1, 'registrar', 'registrar-demo-pass');
  const newPatient = { username: 'dana', role: 'patient', externalIdKind: 'national-id', externalId: person.externalId };
  const issued = await api(h1, 'POST', '/registrar/activations', { token: registrar, body: newPatient });
  t.equal(issued.status, 201, 'registrar vouches for a patient and gets an activation code');
  t.match(issued.json, { username: 'dana', role: 'patient', enrollmentId: /^e[0-9a-f]{32}$/, code: /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/ });
  t.match(issued.json.participantId, HEX64);
  t.notOk(issued.text.includes(person.externalId), 'the external id is not echoed');
  t.notOk(/PRIVATE KEY|CERTIFICATE/.test(issued.text), 'nor any credential: none exists yet');
  const again = await api(h1, 'POST', '/registrar/activations', { token: registrar, body: newPatient });
  t.equal(again.status, 409);
  t.equal(again.json.code, 'USERNAME_TAKEN');
  const reg = await api(h1, 'POST', '/device/activations/redeem', { body: { code: issued.json.code, password: 'dana-demo-pass' } });
  t.equal(reg.status, 201, 'dana redeems the code with her own password');
  t.match(reg.json, { username: 'dana', role: 'patient', participantId: issued.json.participantId, mspId: 'Hospital1MSP', channel: 'medrec' });
  t.notOk(/PRIVATE KEY/.test(reg.text), 'her key stays sealed in the gateway');

  const dana = await login(h1, 'dana', 'dana-demo-pass');
  const me = await api(h1, 'GET', '/me', { token: dana });
  t.same(me.json, { sub: 'dana', mspId: 'Hospital1MSP', enrollmentId: issued.json.enrollmentId, role: 'patient', participantId: reg.json.participantId, identityId: reg.json.identityId });

  // A provider of the other hospital finds her home id by her national id, but the ledger refuses it
  // there (docs/privacy.md §3): nothing is linked or written
  const grey = await login(h2, 'dr-grey');
  const resolved = await api(h2, 'POST', '/registrar/resolve', { token: grey, body: { externalIdKind: 'national-id', externalId: person.externalId } });
  t.equal(resolved.status, 200);
  t.same(resolved.json, { participantId: reg.json.participantId, role: 'patient', mspId: 'Hospital1MSP', status: 'active' });
  const byHomeId = await api(h2, 'POST', '/relationships', { token: grey, body: { patientId: resolved.json.participantId, mrn: person.alsoAt!.mrn } });
  t.same([byHomeId.status, byHomeId.json.code], [403, 'DELEGATE_REQUIRED'], 'her home id is refused at another hospital');
  t.match(byHomeId.json.detail, /POST \/registrar\/delegates/, 'the refusal says the way');
  t.equal(sys.system.hospitals[1]!.links.participantOf(person.alsoAt!.mrn), undefined, 'her chart there is linked to no one');

  // Hospital 2's registrar registers a delegate for its chart; she redeems the code with a password: an account there
  const registrar2 = await login(h2, 'registrar', 'registrar-demo-pass');
  const issued2 = await api(h2, 'POST', '/registrar/delegates', { token: registrar2, body: { mrn: person.alsoAt!.mrn } });
  t.equal(issued2.status, 201);
  const redeemed2 = await api(h2, 'POST', '/device/activations/redeem', { body: { code: issued2.json.code, password: 'dana-demo-pass' } });
  t.equal(redeemed2.status, 201);
  t.match(redeemed2.json, { participantId: issued2.json.participantId, mspId: 'Hospital2MSP', role: 'patient' });
  t.not(issued2.json.participantId, reg.json.participantId, 'the delegate is not her home participant');
  const danaAt2 = await login(h2, redeemed2.json.username as string, 'dana-demo-pass');
  const delegateId = issued2.json.participantId as string;

  // Live stream before the relationship exists
  const events: SseEvent[] = [];
  const ctl = new AbortController();
  streams.push(ctl);
  const stream = await fetch(`${h2}/notifications/stream`, { headers: { authorization: `Bearer ${danaAt2}` }, signal: ctl.signal });
  t.equal(stream.status, 200);
  t.match(stream.headers.get('content-type'), /^text\/event-stream/);
  collect(stream, events);

  // Relationship by the provider, by the chart alone
  const created = await api(h2, 'POST', '/relationships', { token: grey, body: { mrn: person.alsoAt!.mrn } });
  t.equal(created.status, 201, 'provider creates the relationship');
  t.equal(created.json.patientId, delegateId, "the chart's delegate");
  const rel = created.json.relationshipId as string;
  t.match(rel, HEX64);
  t.ok(created.json.pointers.length >= 3, 'pointers for the categories hospital 2 holds');
  for (const p of created.json.pointers as Json[]) t.match(p.hash, HEX64);
  t.equal(sys.system.hospitals[1]!.links.get(delegateId), person.alsoAt!.mrn, 'pid → MRN kept locally');
  t.equal(sys.system.hospitals[0]!.links.get(delegateId), undefined, 'and only at the provider hospital');

  // Notification
  const note = await until('RelationshipsCreated on the stream', () => events.find((e) => e.event === 'RelationshipsCreated'));
  t.equal(note.id, created.json.blockNumber, 'the event id is the block number');
  t.match(JSON.parse(note.data), { relationshipId: rel, status: 'new' });
  const listed = await api(h2, 'GET', '/me/notifications', { token: danaAt2 });
  t.ok((listed.json.notifications as Json[]).some((n) => n.relationshipId === rel && n.event === 'RelationshipsCreated'));
  const later = await api(h2, 'GET', `/me/notifications?after=${created.json.blockNumber}`, { token: danaAt2 });
  t.notOk((later.json.notifications as Json[]).some((n) => n.event === 'RelationshipsCreated'), 'after= excludes that block');

  const view = await api(h2, 'GET', `/relationships/${rel}`, { token: danaAt2 });
  t.equal(view.status, 200);
  t.match(view.json, { relationshipId: rel, patientId: delegateId, providerMspId: 'Hospital2MSP', endpoint: h2, status: 'new' });
  let summary = await api(h2, 'GET', '/me/summary', { token: danaAt2 });
  t.match(summary.json.entries, [{ relationshipId: rel, status: 'new', role: 'patient' }]);

  // Accept, fetch and verify
  const accepted = await api(h2, 'POST', `/relationships/${rel}/accept`, { token: danaAt2 });
  t.equal(accepted.status, 200);
  summary = await api(h2, 'GET', '/me/summary', { token: danaAt2 });
  t.match(summary.json.entries, [{ relationshipId: rel, status: 'accepted' }]);
  const providerSummary = await api(h2, 'GET', '/me/summary', { token: grey });
  t.ok((providerSummary.json.entries as Json[]).some((e) => e.relationshipId === rel && e.role === 'provider'));
  const fetched = await api(h2, 'POST', '/records/fetch', { token: danaAt2, body: { relationshipId: rel, category: 'Observation' } });
  t.equal(fetched.status, 200, 'the patient fetches through the gatekeeper');
  t.equal(fetched.json.decision, 'ALLOWED_PATIENT');
  t.equal(fetched.json.hashMatches, true);
  t.equal(fetched.json.ledgerHash, (created.json.pointers as Json[]).find((p) => p.category === 'Observation')!.hash);
  t.ok(fetched.json.bundle.total > 0);

  // Pointer update → update_available → acknowledge
  const updated = await api(h2, 'POST', `/relationships/${rel}/pointers`, { token: grey, body: { categories: ['Observation'] } });
  t.equal(updated.status, 200);
  t.match(updated.json.pointers, [{ category: 'Observation', version: 2 }]);
  summary = await api(h2, 'GET', '/me/summary', { token: danaAt2 });
  t.match(summary.json.entries, [{ relationshipId: rel, status: 'update_available' }]);
  t.equal((await api(h2, 'POST', `/relationships/${rel}/acknowledge`, { token: danaAt2 })).status, 200);
  summary = await api(h2, 'GET', '/me/summary', { token: danaAt2 });
  t.match(summary.json.entries, [{ relationshipId: rel, status: 'accepted' }]);

  // Grant a viewer some fields, viewer sees only those, revoke, refused
  const victor = await login(h1, 'victor');
  const victorId = (await api(h1, 'GET', '/me', { token: victor })).json.participantId as string;
  const grant = await api(h2, 'POST', `/relationships/${rel}/grants`, {
    token: danaAt2,
    body: { viewerId: victorId, items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }], validUntil: isoIn(86_400_000), purpose: 'FAMRQT' },
  });
  t.equal(grant.status, 201);
  const grants = await api(h2, 'GET', `/relationships/${rel}/grants`, { token: danaAt2 });
  t.match(grants.json.grants, [{ viewerId: victorId, status: 'granted', purpose: 'FAMRQT' }]);
  const viewerSummary = await api(h1, 'GET', '/me/summary', { token: victor });
  t.match(viewerSummary.json.entries, [{ relationshipId: rel, status: 'granted', role: 'viewer' }]);
  const seen = await api(h1, 'POST', '/records/fetch', { token: victor, body: { relationshipId: rel, category: 'Observation', fields: ['code', 'valueQuantity'] } });
  t.equal(seen.status, 200);
  t.equal(seen.json.decision, 'ALLOWED_VIEWER');
  const keys = new Set((seen.json.bundle.entry as Json[]).flatMap((e) => Object.keys(e.resource)));
  t.same([...keys].sort(), ['code', 'id', 'meta', 'resourceType', 'status', 'valueQuantity'], 'granted elements, plus the status FHIR requires and the SUBSETTED tag');
  const revoked = await api(h2, 'DELETE', `/relationships/${rel}/grants/${victorId}`, { token: danaAt2 });
  t.equal(revoked.status, 200);
  const refused = await api(h1, 'POST', '/records/fetch', { token: victor, body: { relationshipId: rel, category: 'Observation', fields: ['code'] } });
  t.equal(refused.status, 403, 'revoked viewer refused');
  t.notOk('bundle' in refused.json);

  // Auditor
  const audra = await login(h1, 'audra');
  const history = await api(h1, 'GET', `/auditor/relationships/${rel}/history`, { token: audra });
  t.equal(history.status, 200);
  t.ok(history.json.relationship.length >= 2);
  t.same((history.json.grants as Json[])[0].history.map((h: Json) => h.value.status).sort(), ['granted', 'revoked']);
  const idHistory = await api(h1, 'POST', '/auditor/identities/history', { token: audra, body: { externalIdKind: 'national-id', externalId: person.externalId } });
  t.equal(idHistory.status, 200);
  t.ok(idHistory.json.history.length >= 1);
  const ofDelegate = await api(h1, 'GET', `/auditor/participants/${delegateId}/summary`, { token: audra });
  t.match(ofDelegate.json.entries, [{ relationshipId: rel }]);
  const ofHome = await api(h1, 'GET', `/auditor/participants/${reg.json.participantId}/summary`, { token: audra });
  t.same(ofHome.json.entries, [], 'her home participant names no relationship at Hospital 2');
  const anchors = await api(h1, 'GET', '/auditor/anchors/Hospital2MSP', { token: audra });
  t.equal(anchors.status, 200);
  t.ok(Array.isArray(anchors.json.anchors));

  // Resume the stream after the creation block: later events only
  const resumed: SseEvent[] = [];
  const ctl2 = new AbortController();
  streams.push(ctl2);
  const again2 = await fetch(`${h2}/notifications/stream`, {
    headers: { authorization: `Bearer ${danaAt2}`, 'last-event-id': String(created.json.blockNumber) },
    signal: ctl2.signal,
  });
  collect(again2, resumed);
  await until('replayed RelationshipAccepted', () => resumed.find((e) => e.event === 'RelationshipAccepted'));
  t.notOk(resumed.some((e) => e.event === 'RelationshipsCreated'), 'nothing at or before Last-Event-ID is replayed');
  t.ok(resumed.every((e) => BigInt(e.id!) > BigInt(created.json.blockNumber)));

  // Reject and delete
  const ada = await login(h1, 'dr-ada');
  const bob = await login(h1, 'bob');
  const alice = await login(h1, 'alice');
  const bobId = (await api(h1, 'GET', '/me', { token: bob })).json.participantId;
  const aliceId = (await api(h1, 'GET', '/me', { token: alice })).json.participantId;
  const users = sys.system.provisioned['Hospital1MSP']!;
  const relBob = await api(h1, 'POST', '/relationships', { token: ada, body: { patientId: bobId, mrn: users.find((u) => u.username === 'bob')!.mrn } });
  t.equal(relBob.status, 201);
  t.equal((await api(h1, 'POST', `/relationships/${relBob.json.relationshipId}/reject`, { token: bob })).status, 200);
  t.match((await api(h1, 'GET', `/relationships/${relBob.json.relationshipId}`, { token: bob })).json, { status: 'rejected' });
  const relAlice = await api(h1, 'POST', '/relationships', { token: ada, body: { patientId: aliceId, mrn: users.find((u) => u.username === 'alice')!.mrn } });
  t.equal(relAlice.status, 201);
  t.equal((await api(h1, 'DELETE', `/relationships/${relAlice.json.relationshipId}`, { token: alice })).status, 200);
  t.match((await api(h1, 'GET', `/relationships/${relAlice.json.relationshipId}`, { token: alice })).json, { status: 'deleted' });
  const afterDelete = await api(h1, 'POST', `/relationships/${relAlice.json.relationshipId}/accept`, { token: alice });
  t.equal(afterDelete.status, 409, 'a deleted relationship cannot be accepted');
  t.equal(afterDelete.json.code, 'CONFLICT');
  const otherMrn = await api(h1, 'POST', '/relationships', { token: ada, body: { patientId: aliceId, mrn: users.find((u) => u.username === 'bob')!.mrn } });
  t.equal(otherMrn.status, 422, "alice is never linked to bob's chart: its identifier is not hers");
  t.equal(otherMrn.json.code, 'CHART_NOT_PATIENT');

  // Restart on the same data: accounts, secrets and ledger are reused, sessions are not
  const accounts = sys.system.hospitals[0]!.accounts.count();
  streams.forEach((s) => s.abort());
  await sys.close();
  open = false;
  const restarted = await startTestSystem(sys.dir);
  t.teardown(() => restarted.close());
  t.equal(restarted.system.hospitals[0]!.accounts.count(), accounts, 'no second bootstrap');
  const stale = await api(restarted.h2, 'GET', '/me/summary', { token: danaAt2 });
  t.equal(stale.status, 401, 'a session does not survive a restart');
  t.equal(stale.json.code, 'SESSION_ENDED');
  t.equal((await api(restarted.h1, 'GET', '/me', { token: dana })).status, 401, 'at either gateway');
  const dana2 = await login(restarted.h2, redeemed2.json.username as string, 'dana-demo-pass');
  const kept = await api(restarted.h2, 'GET', '/me/summary', { token: dana2 });
  t.match(kept.json.entries, [{ relationshipId: rel, status: 'accepted' }]);
  const replay = await api(restarted.h2, 'GET', '/me/notifications', { token: dana2 });
  t.same(
    (replay.json.notifications as Json[]).slice(0, 3).map((n) => n.event),
    ['RelationshipsCreated', 'RelationshipAccepted', 'PointerUpdated'],
    'notifications are kept in gateway.db',
  );
});
