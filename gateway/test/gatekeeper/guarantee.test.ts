/**
 * What the gatekeeper promises about revocation, over HTTP on the embedded ledger: a change committed
 * before a request is honoured by that request. A narrower re-grant, a revoke, a relationship delete
 * and a certificate revocation are each honoured by the very next request, with every cache
 * (certificates, ledger records, patient links) warm from the requests before it.
 */
import t from 'tap';
import { Relationship } from '../../src/contract/medrec.js';
import { endorsedBy } from '../../src/contract/request.js';
import { signRequest } from '../../src/services/gatekeeper/signed-request.js';
import { openWorld, type Hospital, type Person } from '../support/world.js';

const world = await openWorld();
t.teardown(() => world.close());
const { h1, h2, client } = world;

async function query(h: Hospital, who: Person, rel: string, fields: string[] = []) {
  const jws = await signRequest(who.signer, { rel, cat: 'Observation', fields, aud: h.url });
  const res = await fetch(`${h.url}/gatekeeper/query`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: jws });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const grant = (fields: string[]) => ({
  items: [{ category: 'Observation' as const, fields }],
  validUntil: new Date(Date.now() + 86_400_000).toISOString(),
  purpose: 'TREAT' as const,
});

const patient = await world.delegate(h2, 'pat.guarantee');
const doctor = await world.enrol(h2, 'dr.guarantee', 'provider');
const viewer = await world.enrol(h1, 'viewer.guarantee', 'viewer');
const rel = await world.relationship(h2, doctor, patient, h2.patients[0]!.mrn, ['Observation']);
const submit = (req: Parameters<typeof endorsedBy>[0]) => client.submit(patient.signer, endorsedBy(req, h2.mspId));
await submit(Relationship.accept(rel));

t.test('a narrower re-grant is honoured by the very next request', async (t) => {
  await submit(Relationship.grant(rel, viewer.participantId, grant(['code', 'valueQuantity'])));
  for (let i = 0; i < 5; i++) t.equal((await query(h2, viewer, rel, ['valueQuantity'])).status, 200, 'served while granted');
  await submit(Relationship.grant(rel, viewer.participantId, grant(['code'])));
  const next = await query(h2, viewer, rel, ['valueQuantity']);
  t.equal(next.status, 403);
  t.equal(next.body['code'], 'FIELD_NOT_GRANTED');
  t.notOk('bundle' in next.body, 'no data');
  const all = await query(h2, viewer, rel);
  t.equal(all.status, 200);
  t.same(all.body['fields'], ['code'], 'everything it may see is the narrower grant');
});

t.test('a revoke is honoured by the very next request', async (t) => {
  t.equal((await query(h2, viewer, rel)).status, 200);
  await submit(Relationship.revoke(rel, viewer.participantId));
  const next = await query(h2, viewer, rel);
  t.equal(next.status, 403);
  t.equal(next.body['code'], 'GRANT_REVOKED');
});

t.test('a certificate revocation is honoured by the very next request', async (t) => {
  const other = await world.enrol(h1, 'viewer2.guarantee', 'viewer');
  await submit(Relationship.grant(rel, other.participantId, grant(['code'])));
  for (let i = 0; i < 3; i++) t.equal((await query(h2, other, rel)).status, 200, 'served, certificate cached');
  await h1.ca.revoke(h1.admin, 'viewer2.guarantee', 'keyCompromise');
  const next = await query(h2, other, rel);
  t.equal(next.status, 401);
  t.equal(next.body['code'], 'CERTIFICATE_REVOKED');
});

t.test('a relationship delete is honoured by the very next request', async (t) => {
  await submit(Relationship.grant(rel, viewer.participantId, grant(['code'])));
  t.equal((await query(h2, viewer, rel)).status, 200);
  t.equal((await query(h2, patient, rel)).status, 200);
  await submit(Relationship.remove(rel));
  for (const who of [viewer, patient]) {
    const next = await query(h2, who, rel);
    t.equal(next.status, 403);
    t.equal(next.body['code'], 'RELATIONSHIP_DELETED');
  }
});
