/**
 * Research with a device-held key (issues 10 and 12), over HTTP: a patient enrolled by activation code
 * — her key only on her device — opts in with a Research.consentBatch signed on the device (endorsed
 * by her provider's hospital), is counted in the next answer, sees the study that used her data with
 * a device-signed request relayed to the gatekeeper, opts out and is counted no more. Every refusal
 * of the new paths has its code.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import {
  GatewayClient,
  Wallet,
  enrolByActivation,
  evaluateTransaction,
  freshClaims,
  intentFor,
  login,
  openSealedInclusions,
  researchInclusions,
  researchOptIn,
  researchOptOut,
  signJws,
  signerFor,
  REQUEST_TYP,
} from '@medrec/client';
import { api, login as passwordLogin } from '../http/support.js';
import { refusal } from '../support/device.js';
import { REGISTRAR_PASSWORD, type Person } from '../support/world.js';
import { openResearchWorld } from './support.js';

t.setTimeout(240_000);

const rw = await openResearchWorld(1, 1, 1);
t.teardown(() => rw.close());
const { w, provider, researchers } = rw;
const { h1 } = w;
const researcher = researchers[0]!;
const until = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
// A chart no seeded patient consented for: only her consent can bring it in.
const mrn = rw.spare[0]!;

const registrar = await passwordLogin(h1.url, 'registrar', REGISTRAR_PASSWORD);
const issued = await api(h1.url, 'POST', '/registrar/activations', {
  token: registrar,
  body: { username: 'dana-research', role: 'patient', externalIdKind: 'national-id', externalId: 'SYN-RES-000001' },
});
const wallet = await Wallet.fromPhrase(Wallet.newPhrase());
const gateway = new GatewayClient(h1.url);
const me = await enrolByActivation(wallet, 'h1', gateway, issued.json.code as string);
const session = await login(me, gateway);
const rel = await w.relationship(h1, provider, { participantId: me.enrolled().participantId } as Person, mrn, ['Observation']);

const exactCount = async (queryId: string) =>
  (await h1.runtime.researchGatekeeper.exact({ claims: { query: queryId, aud: '', iat: 0, exp: 0, jti: '' }, identityId: researcher.identityId, mspId: researcher.mspId, enrollmentId: researcher.enrollmentId, role: 'researcher' })).total.count;
const study = async () => {
  const res = await rw.as(h1, researcher, 'POST', '/research/studies', { template: 'patient-count', epsilon: 0.2, validUntil: until });
  if (res.status !== 201) throw new Error(`study → ${res.status} ${res.json.code}`);
  return res.json.queryId as string;
};
const collect = (queryId: string) => rw.as(h1, researcher, 'POST', `/research/queries/${queryId}/collect`);

t.test('the session routes still refuse a device session: its key is not the gateway’s to use', async (t) => {
  for (const [method, path] of [['GET', '/research/consents'], ['POST', '/research/consents'], ['GET', '/research/inclusions']] as const) {
    const res = await api(h1.url, method, path, { token: session.token, ...(method === 'POST' ? { body: { categories: ['Patient'] } } : {}) });
    t.same([res.status, res.json.code], [403, 'DEVICE_SIGNS'], `${method} ${path}`);
  }
});

let counted = '';
t.test('opting in on the device puts her in the next answer, and she sees which study used her data', async (t) => {
  const before = await exactCount(await study());
  const optedIn = await researchOptIn(gateway, me, { categories: ['Patient', 'Observation'] });
  t.equal(optedIn.status, 'VALID');
  t.same(optedIn.relationshipIds, [rel], 'her one open relationship');
  const consents = JSON.parse(Buffer.from(await evaluateTransaction(gateway, signerFor(me), intentFor(me, 'Research', 'consents', []))).toString()) as { relationshipId: string; consent: { status: string } | null }[];
  t.same(consents.map((c) => [c.relationshipId, c.consent?.status]), [[rel, 'active']], 'a device-signed read of her consents');

  counted = await study();
  t.equal(await exactCount(counted), before + 1, 'counted from the moment the opt-in commits');
  const collected = await collect(counted);
  t.equal(collected.status, 200);
  t.equal(collected.json.hospitals.find((o: { mspId: string }) => o.mspId === h1.mspId)?.outcome, 'released');

  const [report, ...others] = await researchInclusions(gateway, me);
  t.same(others, [], 'one relationship');
  t.equal(report!.relationshipId, rel);
  t.equal(report!.providerMspId, h1.mspId);
  t.same(report!.inclusions!.map((i) => i.queryId), [counted], 'the released answer that included her, and no other');
  t.notOk(report!.inclusions!.some((i) => 'answer' in i || 'cells' in i), 'which study, never what it found');
});

t.test('opting out on the device leaves her out of the very next answer', async (t) => {
  const before = await exactCount(await study());
  const out = await researchOptOut(gateway, me);
  t.equal(out?.status, 'VALID');
  t.same(out?.relationshipIds, [rel]);
  t.equal(await researchOptOut(gateway, me), null, 'nothing left to withdraw: no transaction');
  const after = await study();
  t.equal(await exactCount(after), before - 1, 'gone the moment the opt-out commits');
  t.equal((await collect(after)).status, 200);
  const [report] = await researchInclusions(gateway, me);
  t.same(report!.inclusions!.map((i) => i.queryId), [counted], 'the answer after her opt-out is not listed');
});

t.test('refusals: wrong key, wrong signature, another audience, someone else’s request, an unread relationship', async (t) => {
  const stranger = (await Wallet.fromPhrase(Wallet.newPhrase())).addIdentity('x', { kind: 'identity', mspId: h1.mspId });
  const batch = JSON.stringify([{ relationshipId: rel, consent: null }]);
  const p = await gateway.prepare('Research', 'consentBatch', [batch], [h1.mspId]);
  t.same(await refusal(gateway.endorse(p.txId, stranger.key.signDigest(p.digest))), { status: 403, code: 'SIGNATURE_INVALID' }, 'a consent signed by another key');
  const digest = new Uint8Array(createHash('sha256').update('other bytes').digest());
  t.same(await refusal(gateway.endorse(p.txId, me.key.signDigest(digest))), { status: 403, code: 'SIGNATURE_INVALID' }, 'her key over the wrong digest');
  t.same(await refusal(gateway.prepare('Research', 'consentBatch', [batch], ['not an msp!'])), { status: 400, code: 'VALIDATION_FAILED' }, 'a malformed endorsing org');
  t.same(await refusal(gateway.prepare('Research', 'submitStudy', ['{}'])), { status: 400, code: 'TX_NOT_ALLOWED' }, 'a device submits only its own decisions');

  const { certificate } = me.enrolled();
  const aud = new URL(h1.url).origin;
  const claims = () => ({ rel, aud, ...freshClaims() });
  // A fresh session has read no relationship yet: the relay will not guess where to send.
  const fresh = new GatewayClient(h1.url);
  await login(me, fresh);
  const ownClaims = claims();
  const own = await signJws(me.key, certificate, REQUEST_TYP, ownClaims);
  t.same(await refusal(fresh.relayInclusions(own)), { status: 403, code: 'RELAY_UNKNOWN_RELATIONSHIP' }, 'read the relationship first');
  await evaluateTransaction(fresh, signerFor(me), intentFor(me, 'Relationship', 'get', [rel]));
  const sealed = await fresh.relayInclusions(own);
  t.match(sealed, /^[\w-]+\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/, 'after the read, relayed: a compact JWE');
  t.notOk(sealed.includes(counted) || Buffer.from(sealed.split('.')[3]!, 'base64url').includes(counted), 'the home gateway relays ciphertext: no study id in it');
  t.same((await openSealedInclusions(sealed, me.key, { jti: ownClaims.jti })).map((i) => i.queryId), [counted], 'her device opens it: the study that included her');
  await t.rejects(openSealedInclusions(sealed, me.key, { jti: 'another-request' }), { code: 'SEALED_ANSWER_INVALID' }, 'bound to its request');
  await t.rejects(openSealedInclusions(sealed, stranger.key), { code: 'SEALED_ANSWER_INVALID' }, 'another key cannot open it');

  const forged = await signJws(stranger.key, certificate, REQUEST_TYP, claims());
  t.same(await refusal(fresh.relayInclusions(forged)), { status: 401, code: 'SIGNATURE_INVALID' }, 'her certificate, another key: the gatekeeper refuses');
  const strangers = await signJws(stranger.key, rw.patients[0]!.person.signer.certificate, REQUEST_TYP, claims());
  t.same(await refusal(fresh.relayInclusions(strangers)), { status: 403, code: 'RELAY_NOT_YOURS' }, "another person's certificate");
  const other = await signJws(me.key, certificate, REQUEST_TYP, { ...claims(), aud: 'https://elsewhere.example' });
  t.same(await refusal(fresh.relayInclusions(other)), { status: 403, code: 'RELAY_AUDIENCE' }, "aud is not the relationship's gatekeeper");
  const patient0 = rw.patients[0]!;
  const theirs = await signJws(me.key, certificate, REQUEST_TYP, { ...claims(), rel: patient0.relationshipId });
  t.same(await refusal(fresh.relayInclusions(theirs)), { status: 403, code: 'RELAY_UNKNOWN_RELATIONSHIP' }, 'a relationship she has not read (not hers)');
  t.same(await refusal(fresh.relayInclusions('not-a-jws')), { status: 400, code: 'VALIDATION_FAILED' }, 'not a JWS');
  const replayed = await signJws(me.key, certificate, REQUEST_TYP, claims());
  await fresh.relayInclusions(replayed);
  t.equal((await refusal(fresh.relayInclusions(replayed))).status, 401, 'a replayed request');
});
