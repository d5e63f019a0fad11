import t from 'tap';
import { CompactEncrypt, importX509 } from 'jose';
import {
  SEALED_ANSWER_CTY,
  Wallet,
  checkRecords,
  hashResources,
  openSealedAnswer,
  signRequest,
  type GatekeeperAnswer,
  type FhirResource,
} from '../src/index.js';
import { base64url } from '../src/bytes.js';
import { OTHER_PHRASE, PHRASE, enrolled, rejection, testCa } from './support/fixtures.js';
import { ReplayCache, RequestVerifier, TrustStore } from './support/gateway.js';

const AUD = 'http://127.0.0.1:3002';
const REL = 'c'.repeat(64);
const ca = await testCa('Hospital1MSP');
const alice = await enrolled(await Wallet.fromPhrase(PHRASE), ca, 'h1', 'alice');
const bob = await enrolled(await Wallet.fromPhrase(OTHER_PHRASE), ca, 'h1', 'bob', 'viewer');
const trust = await TrustStore.fromMembers([{ mspId: 'Hospital1MSP', caCertificates: [ca.certificate] }]);

t.test("the gateway's own verifier accepts a request signed on the device", async (t) => {
  const verifier = new RequestVerifier(trust, new ReplayCache(), () => AUD);
  const spec = { rel: REL, cat: 'Observation', fields: ['code', 'valueQuantity'], aud: AUD };
  const { jws, claims } = await signRequest(alice.key, alice.enrolled().certificate, spec);
  const verified = await verifier.verify(jws);
  t.same(verified.claims, claims, 'the claims come through unchanged');
  t.match(verified, { mspId: 'Hospital1MSP', enrollmentId: 'alice', role: 'patient' });
  t.equal(claims.exp - claims.iat, 60);
  t.match(claims.jti, /^[A-Za-z0-9_-]{16,64}$/);
  const header = JSON.parse(new TextDecoder().decode(base64url.decode(jws.split('.')[0]!)));
  t.same(Object.keys(header).sort(), ['alg', 'typ', 'x5c']);
  t.match(header, { alg: 'ES256', typ: 'medrec-request+jws' });

  await t.rejects(verifier.verify(jws), { code: 'REPLAYED_REQUEST' }, 'the gatekeeper refuses it the second time');
  const elsewhere = await signRequest(alice.key, alice.enrolled().certificate, { ...spec, aud: 'http://127.0.0.1:3001' });
  await t.rejects(verifier.verify(elsewhere.jws), { code: 'AUDIENCE_MISMATCH' });
  const forged = await signRequest(bob.key, alice.enrolled().certificate, spec);
  await t.rejects(verifier.verify(forged.jws), { code: 'SIGNATURE_INVALID' }, "bob's key under alice's certificate");
  const old = await signRequest(alice.key, alice.enrolled().certificate, spec, { nowSeconds: Math.floor(Date.now() / 1000) - 600 });
  await t.rejects(verifier.verify(old.jws), { code: 'REQUEST_EXPIRED' });
  t.equal((await rejection(signRequest(alice.key, alice.enrolled().certificate, spec, { lifetimeSeconds: 121 }))).code, 'INVALID_ARGUMENT');
});

const answerOf = (resources: FhirResource[], over: Partial<GatekeeperAnswer> = {}): GatekeeperAnswer => ({
  relationshipId: REL,
  category: 'Observation',
  decision: 'ALLOWED_PATIENT',
  fields: [],
  projected: false,
  ledgerHash: hashResources(resources),
  sourceHash: hashResources(resources),
  hashMatches: true,
  version: 1,
  bundle: { resourceType: 'Bundle', type: 'searchset', total: resources.length, entry: resources.map((resource) => ({ resource, search: { mode: 'match' } })) },
  ...over,
});

/** What the gatekeeper will do: encrypt to the key of the requester's certificate. */
async function seal(answer: unknown, certificate: string, header: Record<string, unknown> = {}) {
  const key = await importX509(certificate, 'ECDH-ES');
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(answer)))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', cty: SEALED_ANSWER_CTY, ...header })
    .encrypt(key);
}

const resources: FhirResource[] = [
  { resourceType: 'Observation', id: 'obs-2', status: 'final', code: { text: 'HbA1c' }, valueQuantity: { value: 6.1, unit: '%' } },
  { resourceType: 'Observation', id: 'obs-1', status: 'final', code: { text: 'Glucose' }, valueQuantity: { value: 5.4, unit: 'mmol/L' } },
];

t.test('a sealed answer opens with the device key only, and is checked against the ledger hash', async (t) => {
  const answer = answerOf(resources);
  const jwe = await seal(answer, alice.enrolled().certificate, { jti: 'request-jti-0000001' });
  t.notMatch(jwe, /Glucose|obs-1/, 'the relay sees ciphertext only');
  const opened = await openSealedAnswer(jwe, alice.key, { jti: 'request-jti-0000001' });
  t.same(opened, answer);
  t.same(checkRecords(opened, answer.ledgerHash), { ledgerHash: answer.ledgerHash, localHash: answer.ledgerHash, matches: true });

  const tampered = structuredClone(answer);
  tampered.bundle.entry[0]!.resource['valueQuantity'] = { value: 9.9, unit: '%' };
  const check = checkRecords(await openSealedAnswer(await seal(tampered, alice.enrolled().certificate), alice.key), answer.ledgerHash);
  t.equal(check.matches, false, 'a record altered at the source no longer matches the ledger');
  t.equal(checkRecords(answerOf(resources, { projected: true }), answer.ledgerHash).matches, null, 'a projected answer cannot be re-hashed');
  t.equal(checkRecords(answer, null).matches, null, 'no ledger hash, no verdict');
});

t.test('sealed answers that are not for this device or this request are refused', async (t) => {
  const answer = answerOf(resources);
  const invalid = async (why: string, jwe: string, expect = {}) =>
    t.equal((await rejection(openSealedAnswer(jwe, alice.key, expect))).code, 'SEALED_ANSWER_INVALID', why);
  await invalid("sealed to bob's key", await seal(answer, bob.enrolled().certificate));
  await invalid('an answer to another request', await seal(answer, alice.enrolled().certificate, { jti: 'older-request-000001' }), { jti: 'request-jti-0000001' });
  await invalid('no content type', await seal(answer, alice.enrolled().certificate, { cty: undefined }));
  await invalid('not an answer', await seal({ hello: 'world' }, alice.enrolled().certificate));
  const wrapped = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(answer)))
    .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: SEALED_ANSWER_CTY })
    .encrypt(await importX509(alice.enrolled().certificate, 'ECDH-ES+A256KW'));
  await invalid('another key management algorithm', wrapped);
  await invalid('not a JWE', 'a.b.c.d.e');
});
