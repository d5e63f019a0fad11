/**
 * The REST gateways that fabric:up started (network/gateway.sh: the gateway app over the Fabric
 * adapters, configured from network.json), driven over HTTP: the white paper's flow
 * over HTTP across two hospitals: register at her home, the other hospital's refusal of her home id,
 * its delegate for her chart (docs/privacy.md §3), relationship with EHR pointers, notification,
 * accept, fetch from its gatekeeper with the hash checked, grant to a viewer of her home hospital
 * (who fetches across hospitals), projection, revoke, audit.
 * The same state is then read with Fabric's own CLI.
 */
import t from 'tap';
import { demoPatients } from '../demo/seed/population.js';
import { readSse, type SseEvent } from '../demo/sse-client.js';
import { DEMO_REGISTRAR_PASSWORD } from '../demo/index.js';
import { hospital, loadNetwork, peerQuery, uniqueName } from './network.js';
import { activatedPatient, delegateRelationship } from './patients.js';
import { call, login, ok, type Json } from '../demo/json-client.js';

t.test('the flow over HTTP through both hospitals’ gateways on Fabric', async (t) => {
  const network = loadNetwork();
  const [h1, h2] = ['Hospital1', 'Hospital2'].map((name) => hospital(network, name).gatewayUrl) as [string, string];
  t.equal((await fetch(`${h1}/ready`)).status, 200, 'Hospital1 gateway ready on its peer');
  t.equal((await fetch(`${h2}/ready`)).status, 200, 'Hospital2 gateway ready on its peer');

  // A new person, one of Hospital2's (synthetic) EHR patients, vouched for at Hospital1; random, so
  // that the test can run again on the same network.
  const registrar = await login(h1, 'registrar', DEMO_REGISTRAR_PASSWORD);
  const dana = await activatedPatient(h1, registrar, demoPatients('hospital2'), uniqueName('dana'));
  const { username, externalId, mrn } = dana;
  t.match(dana, { participantId: /^[0-9a-f]{64}$/ });

  t.ok(await login(h1, username, `${username}-pass`), 'she signs in at her home');

  const grey = await login(h2, 'dr-grey', 'dr-grey-demo-pass');
  const resolved = await ok(h2, 'POST', '/registrar/resolve', grey, { externalIdKind: 'national-id', externalId });
  t.equal(resolved.participantId, dana.participantId);
  // Her home id is refused at Hospital 2, by the gateway before it links the chart (the ledger would refuse it too)
  const byHomeId = await call(h2, 'POST', '/relationships', grey, { patientId: resolved.participantId, mrn });
  t.same([byHomeId.status, byHomeId.json.code], [403, 'DELEGATE_REQUIRED'], 'her home id is refused at another hospital');
  t.same((await ok(h1, 'GET', `/auditor/participants/${dana.participantId}/summary`, await login(h1, 'audra', 'audra-demo-pass'))).entries, [], 'nothing names her home id on the ledger');

  // Hospital 2's registrar registers a delegate for its chart; she redeems the code with a password (an account there)
  let created!: Promise<SseEvent>;
  const at2 = await delegateRelationship(h2, await login(h2, 'registrar', DEMO_REGISTRAR_PASSWORD), grey, [mrn], async (token) => {
    const stream = await fetch(`${h2}/notifications/stream`, { headers: { authorization: `Bearer ${token}` } });
    created = new Promise<SseEvent>((resolve, reject) => {
      readSse(stream.body!, (e) => (e.event.startsWith('Relationship') ? (resolve(e), true) : false)).catch(reject);
    });
  });
  const danaToken = at2.token;
  const rel = at2.created;
  t.match(rel, { relationshipId: /^[0-9a-f]{64}$/, patientId: at2.participantId });
  t.not(at2.participantId, dana.participantId, 'the delegate is not her home participant');
  t.ok((rel.pointers as Json[]).length > 0, 'pointers hashed from Hospital2’s EHR');

  const event = await created;
  t.match(JSON.parse(event.data), { relationshipId: rel.relationshipId }, 'dana is notified through the Fabric event stream');

  const accepted = await ok(h2, 'POST', `/relationships/${rel.relationshipId}/accept`, danaToken);
  t.ok(Number(accepted.blockNumber) > 0);

  const mine = await ok(h2, 'POST', '/records/fetch', danaToken, { relationshipId: rel.relationshipId, category: 'Observation' });
  t.equal(mine.hashMatches, true, "Hospital2's gatekeeper answers with data matching the ledger hash");

  const victor = await login(h1, 'victor', 'victor-demo-pass');
  const victorId = (await ok(h1, 'GET', '/me', victor)).participantId as string;
  const validUntil = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  await ok(h2, 'POST', `/relationships/${rel.relationshipId}/grants`, danaToken, {
    viewerId: victorId,
    items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }],
    validUntil,
    purpose: 'FAMRQT',
  });
  const seen = await ok(h1, 'POST', '/records/fetch', victor, {
    relationshipId: rel.relationshipId,
    category: 'Observation',
    fields: ['code', 'valueQuantity'],
  });
  const elements = new Set((seen.bundle.entry as Json[]).flatMap((e) => Object.keys(e.resource)));
  t.same([...elements].sort(), ['code', 'id', 'meta', 'resourceType', 'status', 'valueQuantity'],
    'the granted fields, plus the status FHIR requires and the SUBSETTED tag');
  const wider = await call(h1, 'POST', '/records/fetch', victor, { relationshipId: rel.relationshipId, category: 'Observation', fields: ['code', 'note'] });
  t.equal(wider.status, 403);

  await ok(h2, 'DELETE', `/relationships/${rel.relationshipId}/grants/${victorId}`, danaToken);
  const refused = await call(h1, 'POST', '/records/fetch', victor, {
    relationshipId: rel.relationshipId,
    category: 'Observation',
    fields: ['code', 'valueQuantity'],
  });
  t.equal(refused.status, 403);
  t.notOk('bundle' in refused.json, 'no data after revocation');

  const audra = await login(h1, 'audra', 'audra-demo-pass');
  const history = await ok(h1, 'GET', `/auditor/relationships/${rel.relationshipId}/history`, audra);
  t.equal(history.relationship.length, 2, 'created, accepted');
  t.same((history.grants[0].history as Json[]).map((h) => h.value?.status).sort(), ['granted', 'revoked'], 'granted, then revoked');

  const viaCli = JSON.parse(await peerQuery(hospital(network, 'Hospital2'), 'records-service', ['Relationship:get', rel.relationshipId]));
  const viaRest = await ok(h2, 'GET', `/relationships/${rel.relationshipId}`, danaToken);
  t.equal(viaCli.status, 'accepted');
  t.equal(viaCli.providerMspId, 'Hospital2MSP', "endorsed and owned by the provider's hospital");
  t.same(viaCli.pointers, viaRest.pointers, "Fabric's CLI reads the pointers the gateway reports");
});
