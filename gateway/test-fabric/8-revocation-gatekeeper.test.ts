/**
 * A certificate revoked on the channel is refused by another hospital's gatekeeper on the very next
 * request (issue 17): the gateway's Fabric ledger answers checkAccess from its block-fed access index
 * (its default), not by asking the peer, and waits until its trust holds every configuration block
 * the peer had committed, so the CRL reaches the gatekeeper before any decision made after it. Hospital2's gateway (the one fabric:up started) serves a
 * Hospital1 viewer's own signed request; Hospital1 revokes the viewer at its CA and pushes the CRL
 * into the channel configuration; the next request signed with that certificate, sent as soon as the
 * push returns, is refused with 401 CERTIFICATE_REVOKED and carries no data, while the same
 * relationship still serves another granted viewer of Hospital1 from the index.
 */
import t from 'tap';
import { demoPatients } from '../demo/seed/population.js';
import { DEMO_REGISTRAR_PASSWORD } from '../demo/index.js';
import { login, ok, type Json } from '../demo/json-client.js';
import { JOSE_MEDIA_TYPE, signRequest } from '../src/services/gatekeeper/signed-request.js';
import type { Signer } from '../src/ports/ledger.js';
import { hospital, loadNetwork, networkCommand, newPerson, openIdentity, openLedger, staffCredentials } from './network.js';
import { delegateRelationship } from './patients.js';

async function ask(gateway: string, signer: Signer, rel: string): Promise<{ status: number; body: Json }> {
  const jws = await signRequest(signer, { rel, cat: 'Observation', fields: [], aud: new URL(gateway).origin });
  const res = await fetch(`${gateway}/gatekeeper/query`, { method: 'POST', headers: { 'content-type': JOSE_MEDIA_TYPE }, body: jws });
  return { status: res.status, body: (await res.json()) as Json };
}

t.test("a certificate revoked on the channel is refused by another hospital's gatekeeper on the next request", async (t) => {
  const network = loadNetwork();
  const h1 = hospital(network, 'Hospital1');
  const g2 = hospital(network, 'Hospital2').gatewayUrl;
  const ledger1 = await openLedger(network, h1);
  t.teardown(() => ledger1.close());

  const viewer = await newPerson(h1, ledger1, 'viewer');
  const colleague = await newPerson(h1, ledger1, 'viewer');
  // Dana, treated at Hospital 2 under its delegate (docs/privacy.md §3), grants two Hospital 1 viewers.
  const registrar2 = await login(g2, 'registrar', DEMO_REGISTRAR_PASSWORD);
  const grey = await login(g2, 'dr-grey', 'dr-grey-demo-pass');
  const dana = await delegateRelationship(g2, registrar2, grey, demoPatients('hospital2').map((p) => p.mrn));
  const { relationshipId: rel, token: danaToken } = dana;
  await ok(g2, 'POST', `/relationships/${rel}/accept`, danaToken);
  const validUntil = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  for (const who of [viewer, colleague]) {
    await ok(g2, 'POST', `/relationships/${rel}/grants`, danaToken, { viewerId: who.participantId, items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }], validUntil, purpose: 'TREAT' });
  }

  const before = await ask(g2, viewer, rel);
  t.equal(before.status, 200, "Hospital2's gatekeeper serves the granted viewer");
  t.equal(before.body.hashMatches, true);

  await openIdentity(h1).revoke(staffCredentials(h1, 'admin'), viewer.enrollmentId, 'keycompromise');
  const stillServed = await ask(g2, viewer, rel);
  t.equal(stillServed.status, 200, 'revoked at the CA only: the channel does not know yet (the gap push-crl closes)');
  await networkCommand('push-crl.sh', ['Hospital1']);

  const after = await ask(g2, viewer, rel);
  t.equal(after.status, 401, 'the very next request after the push is refused');
  t.equal(after.body.code, 'CERTIFICATE_REVOKED');
  t.notOk('bundle' in after.body, 'and carries no data');
  const other = await ask(g2, colleague, rel);
  t.equal(other.status, 200, "Hospital1's other viewer is still served");
});
