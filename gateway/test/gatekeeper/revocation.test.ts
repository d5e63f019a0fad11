/**
 * A certificate revoked at its CA stops working at the gatekeeper on the very next request, and
 * still after a restart: the gatekeeper's trust is the ledger's channel configuration (CAs and
 * CRLs), kept current as configuration blocks commit. Everything here runs through the system the
 * composition root builds, as `npm start` runs it.
 */
import t from 'tap';
import { Relationship } from '../../src/contract/medrec.js';
import { endorsedBy } from '../../src/contract/request.js';
import { signRequest } from '../../src/services/gatekeeper/signed-request.js';
import { openWorld, type Hospital, type Person, type World } from '../support/world.js';

const GRANT = {
  items: [{ category: 'Observation' as const, fields: ['code', 'valueQuantity'] }],
  validUntil: new Date(Date.now() + 86_400_000).toISOString(),
  purpose: 'TREAT' as const,
};

async function query(h: Hospital, signer: Person, rel: string) {
  const jws = await signRequest(signer.signer, { rel, cat: 'Observation', fields: [], aud: h.url });
  const res = await fetch(`${h.url}/gatekeeper/query`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: jws });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function fetchAs(h: Hospital, token: string, rel: string) {
  const res = await fetch(`${h.url}/records/fetch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ relationshipId: rel, category: 'Observation' }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

let world: World = await openWorld();
t.teardown(() => world.close());

const patient = await world.delegate(world.h2, 'pat.rev');
const doctor = await world.enrol(world.h2, 'dr.rev', 'provider');
const viewer = await world.enrol(world.h1, 'viewer.rev', 'viewer');
const rel = await world.relationship(world.h2, doctor, patient, world.h2.patients[0]!.mrn, ['Observation']);
await world.client.submit(patient.signer, endorsedBy(Relationship.accept(rel), 'Hospital2MSP'));
await world.client.submit(patient.signer, endorsedBy(Relationship.grant(rel, viewer.participantId, GRANT), 'Hospital2MSP'));

t.test('before revocation the viewer is served', async (t) => {
  const answer = await query(world.h2, viewer, rel);
  t.equal(answer.status, 200);
  t.equal(answer.body['decision'], 'ALLOWED_VIEWER');
});

t.test("revoked at Hospital 1's CA: the next signed request is refused with CERTIFICATE_REVOKED", async (t) => {
  const token = await world.login(world.h1, viewer);
  const height = await world.ledger.height();
  await world.h1.ca.revoke(world.h1.admin, 'viewer.rev', 'keyCompromise');
  t.equal(await world.ledger.height(), height + 1n, 'the new CRL was committed as a channel configuration block');
  const members = await world.ledger.channelMembers();
  t.equal(members.find((m) => m.mspId === 'Hospital1MSP')?.revocationLists?.length, 1, 'the channel configuration holds the CRL');

  const refused = await query(world.h2, viewer, rel);
  t.equal(refused.status, 401);
  t.equal(refused.body['code'], 'CERTIFICATE_REVOKED');
  t.notOk('bundle' in refused.body, 'no data');

  const viaHome = await fetchAs(world.h1, token, rel);
  t.equal(viaHome.status, 403, '/records/fetch for the revoked user: refused, not a server error');
  t.equal(viaHome.body['code'], 'CERTIFICATE_REVOKED');

  const others = await query(world.h2, patient, rel);
  t.equal(others.status, 200, 'others of the same CA are unaffected');
  const audited = world.h2.audit.records(1, 10_000).filter((r) => r.decision === 'CERTIFICATE_REVOKED');
  t.equal(audited.length, 0, 'a revoked certificate cannot grow the audit log');
  const metrics = await (await fetch(`${world.h2.url}/metrics`)).text();
  t.match(metrics, /medrec_gatekeeper_unaudited_refusals_total\{[^}]*code="CERTIFICATE_REVOKED"[^}]*\} 1/, 'the refusal is counted in the metrics');
});

t.test('after a restart the revoked certificate is still refused', async (t) => {
  const dir = world.dir;
  await world.close({ keepData: true });
  world = await openWorld({ dir });
  const refused = await query(world.h2, viewer, rel);
  t.equal(refused.status, 401);
  t.equal(refused.body['code'], 'CERTIFICATE_REVOKED');
  t.equal((await query(world.h2, patient, rel)).status, 200, 'the patient is still served');
});
