/**
 * A delegate's certificate re-issued after a suspected key compromise (issue 14, docs/privacy.md §3),
 * over HTTP against two real gateways on the embedded ledger running the real chaincode. Hospital 2's
 * registrar registers a delegate for a chart, the provider opens the relationship, the patient's device
 * redeems the code; then the registrar re-issues: a new code, redeemed with a newly derived key, speaks
 * for the same delegate (its relationship, its chart), the old certificate is refused, and the auditor
 * reads the chain by pid. Every refusal (no session, another hospital's registrar, a provider, a
 * patient, an auditor, an unknown pid, a pid that is no delegate, a malformed pid) changes nothing.
 */
import t from 'tap';
import { GatewayClient, Wallet, enrolDelegate, intentFor, listRelationships, login, signerFor, submitTransaction, type WalletIdentity } from '@medrec/client';
import { demoPatients } from '../../demo/seed/population.js';
import { api, login as passwordLogin, testSystemFor } from '../http/support.js';
import { refusal } from '../support/device.js';

t.setTimeout(240_000);

const sys = await testSystemFor(t, undefined, { rateLimits: { activation: { max: 200, windowSeconds: 60 }, login: { max: 200, windowSeconds: 60 } } });
const { h1, h2 } = sys;
const registrar1 = await passwordLogin(h1, 'registrar', 'registrar-demo-pass');
const registrar2 = await passwordLogin(h2, 'registrar', 'registrar-demo-pass');
const grey = await passwordLogin(h2, 'dr-grey');
const otto = await passwordLogin(h2, 'otto');
const client2 = new GatewayClient(h2);

async function delegateCode(mrn: string) {
  const res = await api(h2, 'POST', '/registrar/delegates', { token: registrar2, body: { mrn } });
  if (res.status !== 201) throw new Error(`delegate → ${res.status} ${res.json.code}`);
  return res.json as { code: string; participantId: string; enrollmentId: string };
}
const reissue = (pid: string, token?: string) => api(h2, 'POST', `/registrar/delegates/${pid}/reissue`, token ? { token } : {});
const mapping = async (pid: string) => (await api(h2, 'GET', `/auditor/participants/${pid}/history`, { token: otto })).json.history as { value: { identityId: string } }[];
async function session(identity: WalletIdentity): Promise<GatewayClient> {
  const client = new GatewayClient(h2);
  await login(identity, client);
  return client;
}

const chart = demoPatients('hospital2')[10]!.mrn;
const issued = await delegateCode(chart);
const rel = (await api(h2, 'POST', '/relationships', { token: grey, body: { mrn: chart } })).json.relationshipId as string;
const wallet = await Wallet.fromPhrase(Wallet.newPhrase());
const old = await enrolDelegate(wallet, client2, issued.code);
const oldSession = await session(old);

t.test('the registrar re-issues a delegate: same pid, new enrollment id, the old one revoked', async (t) => {
  const res = await reissue(issued.participantId, registrar2);
  t.equal(res.status, 201, JSON.stringify(res.json));
  t.match(res.json, { participantId: issued.participantId, role: 'patient', enrollmentId: /^e[0-9a-f]{32}$/, code: /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/ });
  t.not(res.json.enrollmentId, issued.enrollmentId, 'a new enrollment id');
  t.same(res.json.revoked, [issued.enrollmentId], 'the earlier enrollment is revoked at the CA');

  const renewed = await enrolDelegate(wallet, client2, res.json.code as string);
  t.same(renewed.record.scope, { kind: 'delegate', mspId: 'Hospital2MSP', label: '1' }, 'the device derived a new key for it');
  t.not(JSON.stringify(renewed.key.publicJwk), JSON.stringify(old.key.publicJwk));
  t.equal(renewed.enrolled().participantId, issued.participantId, 'the new certificate speaks for the same delegate');
  const fresh = await session(renewed);
  t.same((await listRelationships(fresh, renewed)).map((e) => e.relationshipId), [rel], 'its relationship is still its own');
  const accepted = await submitTransaction(fresh, signerFor(renewed), intentFor(renewed, 'Relationship', 'accept', [rel]));
  t.equal(accepted.status, 'VALID', 'and it accepts it with the new key');

  const refused = await refusal(submitTransaction(oldSession, signerFor(old), intentFor(old, 'Relationship', 'reject', [rel])));
  t.equal(refused.status, 403, `a session of the old certificate is refused (${refused.code})`);
  t.match(await refusal(login(old, new GatewayClient(h2))), { status: 401 }, 'and cannot sign in again');
  t.equal((await api(h2, 'GET', `/relationships/${rel}`, { token: grey })).json.status, 'accepted', 'nothing it tried changed the relationship');

  const history = await mapping(issued.participantId);
  t.same(history.map((h) => h.value.identityId), [renewed.enrolled().identityId, old.enrolled().identityId], 'the auditor reads the chain by pid, newest first');
  t.match(history[0]!.value, { delegate: true, externalIdHash: null });
});

t.test('a code not yet redeemed stops working when its delegate is re-issued', async (t) => {
  const other = await delegateCode(demoPatients('hospital2')[11]!.mrn);
  const res = await reissue(other.participantId, registrar2);
  t.equal(res.status, 201);
  t.same(await refusal(enrolDelegate(await Wallet.fromPhrase(Wallet.newPhrase()), client2, other.code)), { status: 409, code: 'ACTIVATION_USED' }, 'the superseded code');
  const device = await enrolDelegate(await Wallet.fromPhrase(Wallet.newPhrase()), client2, res.json.code as string);
  t.equal(device.enrolled().participantId, other.participantId, 'the new code enrols');
});

t.test('refusals: no session, another hospital, other roles, unknown, not a delegate, malformed; each changes nothing', async (t) => {
  const before = await mapping(issued.participantId);
  const home = await api(h2, 'POST', '/registrar/activations', {
    token: registrar2,
    body: { role: 'patient', externalIdKind: 'national-id', externalId: 'REISSUE-TEST-0001' },
  });
  t.equal(home.status, 201);
  const cases: [string, string | undefined, string, number, string?][] = [
    ['no session', undefined, issued.participantId, 401],
    ['a provider', grey, issued.participantId, 403],
    ['a patient', await passwordLogin(h2, 'carol'), issued.participantId, 403],
    ['an auditor', otto, issued.participantId, 403],
    ['an unknown pid', registrar2, '7'.repeat(64), 404],
    ['a pid that is no delegate (a home patient, re-mapped by external id)', registrar2, home.json.participantId as string, 404],
    ['a malformed pid', registrar2, 'not-a-pid', 400],
  ];
  for (const [name, token, pid, status] of cases) {
    const res = await reissue(pid, token);
    t.equal(res.status, status, `${name} → ${status} ${res.json.code}`);
    t.type(res.json.code, 'string', `${name}: a problem with a stable code`);
  }
  // Hospital 1's registrar, at its own gateway: the ledger says the delegate is Hospital 2's.
  const elsewhere = await api(h1, 'POST', `/registrar/delegates/${issued.participantId}/reissue`, { token: registrar1 });
  t.equal(elsewhere.status, 403, `another hospital's registrar → 403 ${elsewhere.json.code}`);
  t.same(await mapping(issued.participantId), before, 'no refusal changed the mapping');
});
