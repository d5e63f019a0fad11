/**
 * Device-held keys on the real Fabric network (issue 10): a patient whose key is derived from a
 * recovery phrase on the device is enrolled by a CSR through Hospital1's Fabric CA (the gateways
 * fabric:up started, over HTTP, driven by @medrec/client), and accepts, grants and revokes with
 * proposals and envelopes signed on the device — fabric-gateway's offline-signing flow on the
 * peers. A device recovered from the phrase signs too, and a fetched answer crosses the home
 * gateway's relay as ciphertext and opens on the device with the ledger's hash.
 */
import { randomInt } from 'node:crypto';
import t from 'tap';
import {
  GatewayClient,
  Wallet,
  enrolByActivation,
  evaluateTransaction,
  fetchRecords,
  intentFor,
  login,
  recoverEnrollment,
  signerFor,
  submitTransaction,
} from '@medrec/client';
import { demoPatients } from '../demo/seed/population.js';
import { DEMO_REGISTRAR_PASSWORD } from '../demo/index.js';
import { call, login as passwordLogin, ok, type Json } from '../demo/json-client.js';
import { hospital, loadNetwork, peerQuery, uniqueName } from './network.js';
import { refusal, watchedClient } from '../test/support/device.js';

const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z');

t.test('a patient whose key never leaves the device consents on Fabric', async (t) => {
  const network = loadNetwork();
  const [h1, h2] = ['Hospital1', 'Hospital2'].map((name) => `https://127.0.0.1:${hospital(network, name).gatewayPort}`) as [string, string];
  const registrar = await passwordLogin(h1, 'registrar', DEMO_REGISTRAR_PASSWORD);
  // A chart of her home hospital: her home treats her under this identity (another hospital only under a delegate, docs/privacy.md §3).
  const charts = demoPatients('hospital1');
  let issued: Json | undefined;
  let chart = charts[0]!;
  const username = uniqueName('devi');
  for (let attempt = 0; attempt < 20 && !issued; attempt++) {
    chart = charts[randomInt(charts.length)]!;
    const res = await call(h1, 'POST', '/registrar/activations', registrar, {
      username: `${username}-${attempt}`,
      role: 'patient',
      externalIdKind: 'national-id',
      externalId: chart.externalId,
    });
    if (res.status === 201) issued = res.json;
    else if (res.status !== 409) throw new Error(`activation → ${res.status} ${res.json.code}`);
  }
  t.ok(issued, 'a registrar vouches for a person');

  const phrase = Wallet.newPhrase();
  const wallet = await Wallet.fromPhrase(phrase);
  const gateway = new GatewayClient(h1);
  const me = await enrolByActivation(wallet, 'h1', gateway, issued!.code);
  t.equal(me.enrolled().participantId, issued!.participantId, "Hospital1's Fabric CA certified the device key (CSR)");
  t.match(me.enrolled().certificate, /BEGIN CERTIFICATE/);
  await login(me, gateway);

  const ada = await passwordLogin(h1, 'dr-ada', 'dr-ada-demo-pass');
  const rel = (await ok(h1, 'POST', '/relationships', ada, { patientId: me.enrolled().participantId, mrn: chart.mrn })).relationshipId as string;
  const grey = await passwordLogin(h2, 'dr-grey', 'dr-grey-demo-pass');
  const elsewhere = chart.alsoAt ? await call(h2, 'POST', '/relationships', grey, { patientId: me.enrolled().participantId, mrn: chart.alsoAt.mrn }) : undefined;
  if (elsewhere) t.same([elsewhere.status, elsewhere.json.code], [403, 'DELEGATE_REQUIRED'], 'another hospital is refused her home identity');

  const signer = signerFor(me);
  const accepted = await submitTransaction(gateway, signer, intentFor(me, 'Relationship', 'accept', [rel]));
  t.equal(accepted.status, 'VALID', 'accept: proposal and envelope signed on the device, committed by the peers');
  t.ok(Number(accepted.blockNumber) > 0);
  const victor = await passwordLogin(h1, 'victor', 'victor-demo-pass');
  const victorMe = await ok(h1, 'GET', '/me', victor);
  const victorId = victorMe.participantId as string;
  const grant = JSON.stringify({ items: [{ category: 'Observation', fields: ['code'] }], validUntil: isoIn(86_400_000), purpose: 'FAMRQT' });
  t.equal((await submitTransaction(gateway, signer, intentFor(me, 'Relationship', 'grant', [rel, victorId, grant]))).status, 'VALID', 'grant');
  t.equal((await call(h1, 'POST', '/records/fetch', victor, { relationshipId: rel, category: 'Observation' })).status, 200, 'the viewer reads');
  const revoked = await submitTransaction(gateway, signer, intentFor(me, 'Relationship', 'revoke', [rel, victorId]));
  t.equal(revoked.status, 'VALID', 'revoke');
  t.equal((await call(h1, 'POST', '/records/fetch', victor, { relationshipId: rel, category: 'Observation' })).status, 403, 'and no longer');

  // Fabric's own CLI, on Hospital1's peer, sees the consent the device signed.
  const view = JSON.parse(Buffer.from(await evaluateTransaction(gateway, signer, intentFor(me, 'Relationship', 'get', [rel]))).toString()) as Json;
  t.equal(view.status, 'accepted');
  t.equal((view.grants as Json[]).find((g) => g.viewerId === victorId)!.status, 'revoked');
  const onPeer = JSON.parse(await peerQuery(hospital(network, 'Hospital1'), 'records-service', ['Relationship:checkAccess', rel, victorMe.identityId as string, 'Observation', '[]'])) as Json;
  t.match(onPeer, { allowed: false, code: 'GRANT_REVOKED' }, "Hospital1's peer, through Fabric's CLI, holds the revocation the device signed");

  // Bad signatures never reach the peers.
  const p = await gateway.prepare('Relationship', 'revoke', [rel, victorId]);
  const wrong = await refusal(gateway.endorse(p.txId, me.key.signDigest(new Uint8Array(32))));
  t.same(wrong, { status: 403, code: 'SIGNATURE_INVALID' });

  // A recovered device.
  const restored = await Wallet.fromPhrase(phrase);
  restored.addIdentity('h1', { kind: 'identity', mspId: hospital(network, 'Hospital1').mspId }, h1);
  const again = await recoverEnrollment(restored, 'h1', new GatewayClient(h1));
  t.equal(again.enrolled().certificate, me.enrolled().certificate, 'the recovered device gets its certificate back');
  const other = new GatewayClient(h1);
  await login(again, other);
  t.equal((await submitTransaction(other, signerFor(again), intentFor(again, 'Relationship', 'grant', [rel, victorId, grant]))).status, 'VALID', 'and signs a valid transaction');

  // Sealed: the relay sees ciphertext, the device the records with the ledger's hash.
  const { client: watched, relayed } = watchedClient(h1);
  await login(me, watched);
  const fetched = await fetchRecords(watched, me, { relationshipId: rel, category: 'Observation' });
  t.equal(relayed[0]!.split('.').length, 5, 'a JWE at the relay');
  t.notOk(relayed[0]!.includes('resourceType'), 'ciphertext only');
  t.equal(fetched.check.matches, true, "the device's hash of the records matches the ledger pointer");
});

