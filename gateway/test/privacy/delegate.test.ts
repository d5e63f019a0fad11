/**
 * Delegates per relationship end to end (issue 14, docs/privacy.md §3), over HTTP against two real
 * gateways on the embedded ledger running the real chaincode. Dana is at home at Hospital 1 (her
 * identity, enrolled by her device) and treated at both hospitals; each providing hospital's
 * registrar registers a delegate for her relationship there, the provider creates the relationship
 * with it, and her device redeems each code with a key derived for that relationship. Each delegate
 * signs its own relationship's transactions and record requests at its own hospital's gateway; the
 * summary is assembled on the device. Every refusal: other roles issuing delegates, a delegate used
 * at another hospital, a relationship signed for by her home identity, by her other delegate, by
 * another patient's delegate, or by a provider.
 */
import t from 'tap';
import {
  GatewayClient,
  Wallet,
  assembleSummary,
  enrolByActivation,
  enrolDelegate,
  fetchRecords,
  intentFor,
  login,
  signerFor,
  submitTransaction,
  type WalletIdentity,
} from '@medrec/client';
import { demoPatients } from '../../demo/seed/population.js';
import { api, login as passwordLogin, testSystemFor } from '../http/support.js';
import { refusal } from '../support/device.js';

t.setTimeout(240_000);

const sys = await testSystemFor(t, undefined, { rateLimits: { activation: { max: 200, windowSeconds: 60 }, login: { max: 200, windowSeconds: 60 } } });
const { h1, h2 } = sys;
const person = demoPatients('hospital1').filter((p) => p.alsoAt)[1]!;
const registrar1 = await passwordLogin(h1, 'registrar', 'registrar-demo-pass');
const registrar2 = await passwordLogin(h2, 'registrar', 'registrar-demo-pass');
const ada = await passwordLogin(h1, 'dr-ada');
const grey = await passwordLogin(h2, 'dr-grey');
const clients = new Map([h1, h2].map((base) => [base, new GatewayClient(base)]));
/** One client (so one session) per identity: a session speaks for one certificate. */
const sessions = new Map<string, GatewayClient>();
const clientOf = (identity: WalletIdentity) => sessions.get(identity.name)!;
async function open(identity: WalletIdentity): Promise<GatewayClient> {
  const client = new GatewayClient(identity.record.gateway!);
  await login(identity, client);
  sessions.set(identity.name, client);
  return client;
}

async function delegateCode(base: string, token: string, mrn: string) {
  const res = await api(base, 'POST', '/registrar/delegates', { token, body: { mrn } });
  if (res.status !== 201) throw new Error(`delegate → ${res.status} ${res.json.code}`);
  return res.json as { code: string; participantId: string; identityId: string; enrollmentId: string; role: string };
}
async function relate(base: string, token: string, patientId: string, mrn: string): Promise<string> {
  const res = await api(base, 'POST', '/relationships', { token, body: { patientId, mrn } });
  if (res.status !== 201) throw new Error(`relationship → ${res.status} ${res.json.code}`);
  return res.json.relationshipId as string;
}

const wallet = await Wallet.fromPhrase(Wallet.newPhrase());
const home = await api(h1, 'POST', '/registrar/activations', {
  token: registrar1,
  body: { username: 'dana', role: 'patient', externalIdKind: 'national-id', externalId: person.externalId },
});
const me = await enrolByActivation(wallet, 'home', clients.get(h1)!, home.json.code as string);
const issued1 = await delegateCode(h1, registrar1, person.mrn);
const issued2 = await delegateCode(h2, registrar2, person.alsoAt!.mrn);
const rel1 = await relate(h1, ada, issued1.participantId, person.mrn);
const rel2 = await relate(h2, grey, issued2.participantId, person.alsoAt!.mrn);
const d1 = await enrolDelegate(wallet, clients.get(h1)!, issued1.code);
const d2 = await enrolDelegate(wallet, clients.get(h2)!, issued2.code);

t.test('a registrar registers a delegate: a patient participant with an opaque enrollment id, and a code', async (t) => {
  t.match(issued2, { role: 'patient', participantId: /^[0-9a-f]{64}$/, enrollmentId: /^e[0-9a-f]{32}$/ });
  t.not(issued1.participantId, issued2.participantId);
  t.not(issued1.participantId, home.json.participantId, 'the delegate is not her home participant');
  const otherChart = demoPatients('hospital2')[7]!.mrn;
  const refusedBy = async (base: string, token: string | undefined, body: unknown = { mrn: otherChart }) => {
    const res = await api(base, 'POST', '/registrar/delegates', { ...(token ? { token } : {}), body });
    return { status: res.status, code: res.json.code };
  };
  t.match(await refusedBy(h2, undefined), { status: 401 }, 'no session');
  t.match(await refusedBy(h2, grey), { status: 403 }, 'a provider does not register delegates');
  t.match(await refusedBy(h2, await passwordLogin(h2, 'carol')), { status: 403 }, 'nor a patient');
  t.match(await refusedBy(h2, await passwordLogin(h2, 'otto')), { status: 403 }, 'nor an auditor');
  t.match(await refusedBy(h2, registrar2, { mrn: otherChart, externalIdKind: 'national-id', externalId: person.externalId }), { status: 400 }, 'a delegate takes no external id');
  t.same(await refusedBy(h2, registrar2, { mrn: 'NO-SUCH-CHART-1' }), { status: 404, code: 'PATIENT_NOT_FOUND' }, 'a chart this hospital does not hold');
  t.same(await refusedBy(h2, registrar2, { mrn: person.alsoAt!.mrn }), { status: 409, code: 'PATIENT_LINK_CONFLICT' }, 'a chart that has its delegate already');
});

t.test('two registrars registering a delegate for one chart at once: one code, the other a clear 409', async (t) => {
  const chart = demoPatients('hospital2')[6]!.mrn;
  const both = await Promise.all([1, 2].map(() => api(h2, 'POST', '/registrar/delegates', { token: registrar2, body: { mrn: chart } })));
  t.same(both.map((r) => r.status).sort(), [201, 409]);
  t.equal(both.find((r) => r.status === 409)!.json.code, 'PATIENT_LINK_CONFLICT');
  const winner = both.find((r) => r.status === 201)!.json;
  t.equal((await api(h2, 'POST', '/relationships', { token: grey, body: { patientId: winner.participantId, mrn: chart } })).status, 201, 'the chart is the winner\'s delegate\'s');
});

t.test("the provider creates by the chart alone: the relationship is the delegate's bound to it", async (t) => {
  const [bound, unbound] = [demoPatients('hospital2')[12]!.mrn, demoPatients('hospital2')[13]!.mrn];
  const issued = await delegateCode(h2, registrar2, bound);
  const created = await api(h2, 'POST', '/relationships', { token: grey, body: { mrn: bound } });
  t.equal(created.status, 201);
  t.equal(created.json.patientId, issued.participantId, "the chart's delegate, though the provider named no one");
  const view = await api(h2, 'GET', `/relationships/${created.json.relationshipId}`, { token: grey });
  t.match(view.json, { patientId: issued.participantId, providerMspId: 'Hospital2MSP', status: 'new' });
  const again = await api(h2, 'POST', '/relationships', { token: grey, body: { mrn: bound } });
  t.same([again.status, again.json.code, again.json.relationshipId], [409, 'RELATIONSHIP_EXISTS', created.json.relationshipId], 'a retry names the one made');
  const none = await api(h2, 'POST', '/relationships', { token: grey, body: { mrn: unbound } });
  t.same([none.status, none.json.code], [409, 'CHART_NOT_BOUND'], 'a chart no registrar bound a delegate to');
  t.equal((await api(h2, 'POST', '/registrar/delegates', { token: registrar2, body: { mrn: unbound } })).status, 201, 'and that refusal bound nothing: the chart is still free');
  const missing = await api(h2, 'POST', '/relationships', { token: grey, body: { mrn: 'NO-SUCH-CHART-1' } });
  t.same([missing.status, missing.json.code], [404, 'PATIENT_NOT_FOUND']);
  const elsewhere = await api(h1, 'POST', '/relationships', { token: ada, body: { mrn: bound } });
  t.same([elsewhere.status, elsewhere.json.code], [404, 'PATIENT_NOT_FOUND'], "another hospital's chart is none of Hospital 1's");
  t.equal((await api(h2, 'POST', '/relationships', { token: await passwordLogin(h2, 'carol'), body: { mrn: bound } })).status, 403, 'a patient does not create');
  t.equal((await api(h2, 'POST', '/relationships', { token: registrar2, body: { mrn: bound } })).status, 403, 'nor a registrar');
});

t.test('her home id at another hospital: 403 DELEGATE_REQUIRED, nothing linked or written', async (t) => {
  const homeId = home.json.participantId as string;
  const otto = await passwordLogin(h2, 'otto');
  const before = await api(h2, 'GET', `/auditor/participants/${homeId}/summary`, { token: otto });
  t.same(before.json.entries, [], 'her home id names no relationship');
  const res = await api(h2, 'POST', '/relationships', { token: grey, body: { patientId: homeId, mrn: person.alsoAt!.mrn } });
  t.equal(res.status, 403);
  t.match(res.type, /^application\/problem\+json/);
  t.equal(res.json.code, 'DELEGATE_REQUIRED');
  t.equal(res.json.detail, 'a patient registered at another hospital is treated here under a delegate: register one for the chart (POST /registrar/delegates) and create by mrn');
  t.equal(sys.system.hospitals[1]!.links.get(homeId), undefined, 'her home id is linked to no chart at Hospital 2');
  t.equal(sys.system.hospitals[1]!.links.participantOf(person.alsoAt!.mrn), issued2.participantId, 'the chart stays its delegate\'s');
  t.same((await api(h2, 'GET', `/auditor/participants/${homeId}/summary`, { token: otto })).json.entries, [], 'and the ledger holds no relationship of hers');
  // A chart linked to her home id before the rule (an older data directory): the gateway asks the
  // ledger, whose own refusal reads the same.
  const old = demoPatients('hospital2')[16]!.mrn;
  t.ok(sys.system.hospitals[1]!.links.set(homeId, old, 'an older gateway'));
  const byLedger = await api(h2, 'POST', '/relationships', { token: grey, body: { patientId: homeId, mrn: old } });
  t.same([byLedger.status, byLedger.json.code], [403, 'DELEGATE_REQUIRED'], "the ledger's refusal, as the same problem");
  t.same((await api(h2, 'GET', `/auditor/participants/${homeId}/summary`, { token: otto })).json.entries, [], 'nothing written');
});

t.test('the device redeems each code with a key of its own for that relationship', async (t) => {
  t.same([d1.record.scope, d2.record.scope], [
    { kind: 'delegate', mspId: 'Hospital1MSP', label: '0' },
    { kind: 'delegate', mspId: 'Hospital2MSP', label: '0' },
  ]);
  t.equal(d1.enrolled().participantId, issued1.participantId);
  t.equal(d2.enrolled().participantId, issued2.participantId);
  const keys = new Set([me, d1, d2].map((i) => JSON.stringify(i.key.publicJwk)));
  t.equal(keys.size, 3, 'three unrelated keys: home, delegate at Hospital 1, delegate at Hospital 2');
  t.same(await refusal(clients.get(h2)!.redeemActivation(issued2.code, await d2.csr(issued2.enrollmentId))), { status: 409, code: 'ACTIVATION_USED' });
  const again = await Wallet.fromPhrase(Wallet.newPhrase());
  t.same(await refusal(enrolDelegate(again, clients.get(h2)!, issued2.code)), { status: 409, code: 'ACTIVATION_USED' }, 'a spent code enrols no other device');
});

t.test('each delegate accepts its relationship and reads its records at its own hospital', async (t) => {
  for (const [identity, rel] of [[d1, rel1], [d2, rel2]] as const) {
    const client = await open(identity);
    const accepted = await submitTransaction(client, signerFor(identity), intentFor(identity, 'Relationship', 'accept', [rel]));
    t.equal(accepted.status, 'VALID', `${identity.name} accepts`);
    const fetched = await fetchRecords(client, identity, { relationshipId: rel, category: 'Observation' });
    t.equal(fetched.check.matches, true, `${identity.name}'s records match the ledger pointer`);
    t.equal(fetched.answer.hashMatches, true, "the gatekeeper's own hash matches too");
  }
});

t.test('the summary is assembled on the device; her home identity holds none of it', async (t) => {
  await open(me);
  const summary = await assembleSummary(wallet, clientOf);
  t.same(summary.map((e) => [e.identity, e.relationshipId, e.status]).sort(), [
    [d1.name, rel1, 'accepted'],
    [d2.name, rel2, 'accepted'],
  ].sort());
});

t.test('refusals: another hospital, her home identity, her other delegate, another patient, a provider', async (t) => {
  const fresh = await delegateCode(h2, registrar2, demoPatients('hospital2')[8]!.mrn);
  const h1Chart = demoPatients('hospital1')[9]!.mrn;
  const elsewhere = await api(h1, 'POST', '/relationships', { token: ada, body: { patientId: fresh.participantId, mrn: h1Chart } });
  t.same([elsewhere.status, elsewhere.json.code], [422, 'CHART_NOT_PATIENT'], 'a delegate of Hospital 2 is no chart of Hospital 1 (and the chaincode refuses it anyway: chaincode/test/contracts/delegate.test.ts)');
  const signOn = (identity: WalletIdentity) =>
    refusal(submitTransaction(clientOf(identity), signerFor(identity), intentFor(identity, 'Relationship', 'reject', [rel2])));
  t.match(await signOn(me), { status: 403 }, "her home identity does not sign for a delegate's relationship");
  t.match(await signOn(d1), { status: 403 }, 'nor does her delegate at the other hospital');
  const stranger = await Wallet.fromPhrase(Wallet.newPhrase());
  const theirs = await enrolDelegate(stranger, clients.get(h2)!, fresh.code);
  await open(theirs);
  t.match(await signOn(theirs), { status: 403 }, "nor another patient's delegate");
  const byProvider = await api(h2, 'POST', `/relationships/${rel2}/reject`, { token: grey });
  t.equal(byProvider.status, 403, 'nor a provider');
  const view = await api(h2, 'GET', `/relationships/${rel2}`, { token: grey });
  t.equal(view.json.status, 'accepted', 'the relationship is unchanged');
});

t.test("the auditor reads a delegate's mapping history and its relationship's history", async (t) => {
  const otto = await passwordLogin(h2, 'otto');
  const mapping = await api(h2, 'GET', `/auditor/participants/${issued2.participantId}/history`, { token: otto });
  t.equal(mapping.status, 200);
  t.match(mapping.json.history, [{ value: { participantId: issued2.participantId, delegate: true, externalIdHash: null, mspId: 'Hospital2MSP', role: 'patient' } }]);
  const relHistory = await api(h2, 'GET', `/auditor/relationships/${rel2}/history`, { token: otto });
  t.equal(relHistory.status, 200);
  t.equal(relHistory.json.relationship.length, 2, 'created, accepted');
  t.equal((await api(h2, 'GET', `/auditor/participants/${issued2.participantId}/history`, { token: grey })).status, 403, 'a provider is refused');
  t.equal((await api(h2, 'GET', `/auditor/participants/${'0'.repeat(64)}/history`, { token: otto })).status, 404, 'an unknown participant');
  t.equal((await api(h2, 'GET', '/auditor/participants/nope/history', { token: otto })).status, 400, 'a malformed id');
});
