import { X509Certificate, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { CompactSign, compactVerify, errors as joseErrors } from 'jose';
import t from 'tap';
import { identityId } from '@medrec/chaincode/domain';
import { Problem } from '../../src/services/problem.js';
import type { Signer } from '../../src/ports/ledger.js';
import { compactParts, verifyCompact } from '../../src/services/gatekeeper/jws.js';
import { ReplayCache } from '../../src/services/gatekeeper/replay.js';
import { REQUEST_TYP, RequestVerifier, signRequest } from '../../src/services/gatekeeper/signed-request.js';
import { TrustStore } from '../../src/pki/trust-store.js';
import { testCa } from '../support/test-ca.js';

const AUD = 'http://127.0.0.1:3002';
const REL = 'c'.repeat(64);
const spec = { rel: REL, cat: 'Observation' as const, fields: ['code', 'valueQuantity'], aud: AUD };

const ca1 = await testCa('Hospital1MSP');
const ca2 = await testCa('Hospital2MSP');
const rogue = await testCa('Hospital1MSP', 'rogue');
const alice = await ca1.issue('alice', 'patient');
const bob = await ca2.issue('bob.viewer', 'viewer');
const mallory = await rogue.issue('alice', 'patient');
const stale = await ca1.issue('old', 'patient', {
  notBefore: new Date(Date.now() - 7200_000),
  notAfter: new Date(Date.now() - 3600_000),
});
const trust = await TrustStore.fromMembers([
  { mspId: 'Hospital1MSP', caCertificates: [ca1.certificate] },
  { mspId: 'Hospital2MSP', caCertificates: [ca2.certificate] },
]);

type Assert = Pick<typeof t, 'ok' | 'equal'>;

const verifier = () => new RequestVerifier(trust, new ReplayCache(), () => AUD);

/** Signs any header/payload with any key: for requests the real client would never make. */
async function craft(signer: Signer, payload: unknown, header: Record<string, unknown> = {}) {
  const der = new X509Certificate(signer.certificate).raw.toString('base64');
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', typ: REQUEST_TYP, x5c: [der], ...header } as never)
    .sign(createPrivateKey(signer.privateKey));
}

const now = () => Math.floor(Date.now() / 1000);
const claims = (over: Record<string, unknown> = {}) => ({
  ...spec,
  iat: now(),
  exp: now() + 60,
  jti: `jti-${Math.random().toString(36).slice(2)}-0000000000`,
  ...over,
});

async function refused(t: Assert, p: Promise<unknown>, status: number, code: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof Problem, `refused with a problem (${code})`);
  t.equal((err as Problem).status, status, `status ${status}`);
  t.equal((err as Problem).code, code);
}

t.test('a request signed by an enrolled key verifies to its MSP and identity id', async (t) => {
  const v = verifier();
  const jws = await signRequest(alice, spec);
  const seen = {};
  const r = await v.verify(jws, seen);
  t.equal(r.mspId, 'Hospital1MSP');
  t.equal(r.enrollmentId, 'alice');
  t.equal(r.role, 'patient');
  t.equal(r.identityId, identityId('Hospital1MSP', 'alice'));
  t.same(r.claims.fields, spec.fields);
  t.ok(r.claims.exp - r.claims.iat <= 120);
  t.same(seen, r, 'what was proven is reported for auditing');

  const fromOther = await v.verify(await signRequest(bob, spec));
  t.equal(fromOther.mspId, 'Hospital2MSP', "the MSP is the one whose CA issued the certificate");
  t.equal(fromOther.identityId, identityId('Hospital2MSP', 'bob.viewer'));
});

t.test('signature and certificate refusals', async (t) => {
  const v = verifier();
  const forgedKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const forged = await craft({ ...alice, privateKey: forgedKey.toString() }, claims());
  await refused(t, v.verify(forged), 401, 'SIGNATURE_INVALID');

  const [h, , s] = (await signRequest(alice, spec)).split('.');
  const otherPayload = Buffer.from(JSON.stringify(claims({ fields: [] }))).toString('base64url');
  await refused(t, v.verify(`${h}.${otherPayload}.${s}`), 401, 'SIGNATURE_INVALID');

  await refused(t, v.verify(await signRequest(mallory, spec)), 401, 'CERTIFICATE_UNTRUSTED');
  await refused(t, v.verify(await signRequest(stale, spec)), 401, 'CERTIFICATE_EXPIRED');

  const caAsLeaf = await craft(alice, claims(), { x5c: [new X509Certificate(ca1.certificate).raw.toString('base64')] });
  await refused(t, v.verify(caAsLeaf), 401, 'CERTIFICATE_UNTRUSTED');

  const ok = await signRequest(alice, spec);
  await v.verify(ok);
  const later = Date.now() + 2 * 86400_000;
  await refused(t, v.verify(await signRequest(alice, spec), {}, later), 401, 'CERTIFICATE_EXPIRED');
});

t.test('a revoked certificate is refused at once, even when its chain was cached', async (t) => {
  const store = await TrustStore.fromMembers([
    { mspId: 'Hospital1MSP', caCertificates: [ca1.certificate] },
    { mspId: 'Hospital2MSP', caCertificates: [ca2.certificate] },
  ]);
  const carol = await ca1.issue('carol', 'viewer');
  const v = new RequestVerifier(store, new ReplayCache(), () => AUD);
  t.ok(await v.verify(await signRequest(carol, spec)));
  await store.setRevocationLists('Hospital1MSP', [await ca1.crl([carol])]);
  await refused(t, v.verify(await signRequest(carol, spec)), 401, 'CERTIFICATE_REVOKED');
  t.ok(await v.verify(await signRequest(alice, spec)), 'others of the same CA are unaffected');
  await t.rejects(store.setRevocationLists('Hospital1MSP', [await rogue.crl([alice])]), /not signed by its CA/);
});

t.test('the certificate cache keeps what it is sized for, and never keeps a revocation or a trust change out', async (t) => {
  const store = await TrustStore.fromMembers([
    { mspId: 'Hospital1MSP', caCertificates: [ca1.certificate] },
    { mspId: 'Hospital2MSP', caCertificates: [ca2.certificate] },
  ]);
  const names = ['p1', 'p2', 'p3'];
  const people = await Promise.all(names.map((name) => ca1.issue(name, 'patient')));
  const small = new RequestVerifier(store, new ReplayCache(), () => AUD, 2);
  const sized = new RequestVerifier(store, new ReplayCache(), () => AUD, 3);
  for (let round = 0; round < 2; round++) {
    for (const [i, p] of people.entries()) {
      t.equal((await small.verify(await signRequest(p, spec))).enrollmentId, names[i]);
      t.equal((await sized.verify(await signRequest(p, spec))).enrollmentId, names[i]);
    }
  }
  t.equal(small.cachedCertificates, 2, 'a cache smaller than the population keeps only its size');
  t.equal(sized.cachedCertificates, 3, 'a cache sized for the population keeps every certificate');

  // Revoked while cached: the very next request is refused; its colleagues are still served from the cache.
  await store.setRevocationLists('Hospital1MSP', [await ca1.crl([people[1]!])]);
  await refused(t, sized.verify(await signRequest(people[1]!, spec)), 401, 'CERTIFICATE_REVOKED');
  t.ok(await sized.verify(await signRequest(people[0]!, spec)), 'an unrevoked colleague is still served');
  // A new channel configuration without the issuing CA: the cached chain is not trusted any more.
  await store.update([{ mspId: 'Hospital2MSP', caCertificates: [ca2.certificate] }]);
  await refused(t, sized.verify(await signRequest(people[0]!, spec)), 401, 'CERTIFICATE_UNTRUSTED');
});

t.test('algorithm refusals: alg none, HS256 (a session token) and RS/PS', async (t) => {
  const v = verifier();
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const x5c = [new X509Certificate(alice.certificate).raw.toString('base64')];
  const none = `${b64({ alg: 'none', typ: REQUEST_TYP, x5c })}.${b64(claims())}.`;
  await refused(t, v.verify(none), 401, 'ALG_NOT_ALLOWED');
  const hs = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims())))
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode('a-session-secret-of-32-characters!!'));
  await refused(t, v.verify(hs), 401, 'ALG_NOT_ALLOWED');
  const rs = `${b64({ alg: 'RS256', typ: REQUEST_TYP, x5c })}.${b64(claims())}.AAAA`;
  await refused(t, v.verify(rs), 401, 'ALG_NOT_ALLOWED');
});

t.test('malformed requests', async (t) => {
  const v = verifier();
  await refused(t, v.verify('not-a-jws'), 400, 'MALFORMED_REQUEST');
  await refused(t, v.verify('a.b.c'), 400, 'MALFORMED_REQUEST');
  await refused(t, v.verify(`${Buffer.from('[1]').toString('base64url')}.e30.`), 400, 'MALFORMED_REQUEST');
  await refused(t, v.verify(await craft(alice, claims(), { x5c: undefined })), 400, 'MALFORMED_REQUEST');
  await refused(t, v.verify(await craft(alice, claims(), { x5c: ['bm90IGEgY2VydA=='] })), 400, 'MALFORMED_REQUEST');
  await refused(t, v.verify(await craft(alice, claims(), { typ: 'JWT' })), 400, 'MALFORMED_REQUEST');
  await refused(t, v.verify(await craft(alice, 'a string')), 400, 'INVALID_CLAIMS');
  await refused(t, v.verify(await craft(alice, claims({ sql: 'x' }))), 400, 'INVALID_CLAIMS');
  await refused(t, v.verify(await craft(alice, claims({ iat: '1' }))), 400, 'INVALID_CLAIMS');
  await refused(t, v.verify(await craft(alice, claims({ fields: 'code' }))), 400, 'INVALID_CLAIMS');
  await refused(t, v.verify(await craft(alice, claims({ fields: ['code', 'code'] }))), 400, 'INVALID_CLAIMS');
  await refused(t, v.verify(await craft(alice, claims({ cat: 'Secrets' }))), 400, 'UNKNOWN_CATEGORY');
  await refused(t, v.verify(await craft(alice, claims({ fields: ['text'] }))), 400, 'UNKNOWN_FIELD');
});

t.test('SQL-injection strings in every claim are refused before anything runs', async (t) => {
  const v = verifier();
  const evil = ["' OR 1=1 --", "x'; DROP TABLE patients; --", '1; SELECT * FROM sqlite_master'];
  for (const s of evil) {
    await refused(t, v.verify(await craft(alice, claims({ rel: s }))), 400, 'INVALID_RELATIONSHIP_ID');
    await refused(t, v.verify(await craft(alice, claims({ cat: s }))), 400, 'UNKNOWN_CATEGORY');
    await refused(t, v.verify(await craft(alice, claims({ fields: [s] }))), 400, 'UNKNOWN_FIELD');
    await refused(t, v.verify(await craft(alice, claims({ jti: s }))), 400, 'INVALID_CLAIMS');
    await refused(t, v.verify(await craft(alice, claims({ aud: s }))), 401, 'AUDIENCE_MISMATCH');
    await refused(t, v.verify(await craft(alice, claims({ iat: s }))), 400, 'INVALID_CLAIMS');
    await refused(t, v.verify(await craft(alice, claims({ exp: s }))), 400, 'INVALID_CLAIMS');
  }
});

t.test('time, audience and replay', async (t) => {
  const v = verifier();
  await refused(t, v.verify(await craft(alice, claims({ iat: now() - 100, exp: now() - 1 }))), 401, 'REQUEST_EXPIRED');
  await refused(t, v.verify(await craft(alice, claims({ exp: now() + 121 }))), 400, 'LIFETIME_TOO_LONG');
  await refused(t, v.verify(await craft(alice, claims({ exp: now() - 5 }))), 400, 'LIFETIME_TOO_LONG');
  await refused(t, v.verify(await craft(alice, claims({ iat: now() + 60, exp: now() + 100 }))), 401, 'REQUEST_NOT_YET_VALID');
  await refused(t, v.verify(await signRequest(alice, { ...spec, aud: 'http://127.0.0.1:3001' })), 401, 'AUDIENCE_MISMATCH');

  const once = await signRequest(alice, spec, { jti: 'the-same-jti-0000000' });
  await v.verify(once);
  await refused(t, v.verify(once), 401, 'REPLAYED_REQUEST');
  const otherRequester = await signRequest(bob, spec, { jti: 'the-same-jti-0000000' });
  t.ok(await v.verify(otherRequester), "one requester cannot burn another's request ids");

  const restarted = new RequestVerifier(
    trust,
    new ReplayCache([{ requester: identityId('Hospital1MSP', 'alice'), jti: 'the-same-jti-0000000', exp: now() + 60 }]),
    () => AUD,
  );
  await refused(t, restarted.verify(once), 401, 'REPLAYED_REQUEST');
});

t.test('the replay cache forgets ids only after they expire', async (t) => {
  const cache = new ReplayCache();
  t.ok(cache.claim('r', 'j', 100, 50));
  t.notOk(cache.claim('r', 'j', 100, 99));
  t.notOk(cache.claim('r', 'j', 100, 100));
  t.ok(cache.claim('r', 'k', 300, 200), 'a later sweep drops expired ids');
  t.equal(cache.size, 1);
});

/** Signs exactly the given header and payload bytes (ES256, P1363), for tokens no library would make. */
function rawSign(signer: Signer, header: Buffer | string, payload: Buffer | string, encodePayload = true): string {
  const h = Buffer.from(header).toString('base64url');
  const p = encodePayload ? Buffer.from(payload).toString('base64url') : String(payload);
  const sig = sign('sha256', Buffer.from(`${h}.${p}`), { key: createPrivateKey(signer.privateKey), dsaEncoding: 'ieee-p1363' });
  return `${h}.${p}.${sig.toString('base64url')}`;
}

t.test("every check jose's compactVerify made is still made (the signature now verified on the thread pool)", async (t) => {
  const v = verifier();
  const x5c = [new X509Certificate(alice.certificate).raw.toString('base64')];
  const base = { alg: 'ES256', typ: REQUEST_TYP, x5c };
  const body = () => JSON.stringify(claims());
  t.ok(await v.verify(rawSign(alice, JSON.stringify(base), body())), 'a hand-made valid token verifies');

  // compact form
  await refused(t, v.verify(`${rawSign(alice, JSON.stringify(base), body())}.extra`), 400, 'MALFORMED_REQUEST');
  // the header: UTF-8 (jose decoded it fatally) and a plain JSON object
  const badUtf8 = Buffer.concat([Buffer.from(JSON.stringify({ ...base, kid: 'x' }).slice(0, -2)), Buffer.from([0xff]), Buffer.from('"}')]);
  await refused(t, v.verify(rawSign(alice, badUtf8, body())), 400, 'MALFORMED_REQUEST');
  // critical headers
  for (const crit of [['exp'], [], 'b64', [''], ['b64', 'b64']]) {
    await refused(t, v.verify(rawSign(alice, JSON.stringify({ ...base, crit, b64: true }), body())), 400, 'MALFORMED_REQUEST');
  }
  await refused(t, v.verify(rawSign(alice, JSON.stringify({ ...base, crit: ['b64'] }), body())), 400, 'MALFORMED_REQUEST');
  await refused(t, v.verify(rawSign(alice, JSON.stringify({ ...base, crit: ['b64'], b64: 'no' }), body())), 400, 'MALFORMED_REQUEST');
  t.ok(await v.verify(rawSign(alice, JSON.stringify({ ...base, crit: ['b64'], b64: true }), body())), 'b64 true, critical: understood, as jose did');
  // base64url strictness: the standard alphabet (as jose), padding and whitespace (stricter than atob) are refused
  const ok = rawSign(alice, JSON.stringify(base), body());
  const [h, p, s] = ok.split('.') as [string, string, string];
  const standardAlphabet = `${Buffer.from(body()).toString('base64').replace(/=+$/, '')}+/`;
  await refused(t, v.verify(rawSign(alice, JSON.stringify(base), standardAlphabet, false)), 400, 'MALFORMED_REQUEST');
  await refused(t, v.verify(`${h}.${p}.${s}=`), 400, 'MALFORMED_REQUEST');
  await refused(t, v.verify(`${h}.${p}.${s.slice(0, 10)} ${s.slice(10)}`), 400, 'MALFORMED_REQUEST');
  await refused(t, v.verify(`${h}.${p}.${s.slice(0, -1)}`), 400, 'MALFORMED_REQUEST');
  // the signature: wrong length or not over these bytes
  await refused(t, v.verify(`${h}.${p}.${s.slice(0, -4)}`), 401, 'SIGNATURE_INVALID');
  await refused(t, v.verify(`${h}.${p}.${Buffer.alloc(64).toString('base64url')}`), 401, 'SIGNATURE_INVALID');
  // the key: ES256 needs P-256
  const p384 = await ca1.issue('p384', 'patient', { namedCurve: 'P-384' });
  const x5c384 = [new X509Certificate(p384.certificate).raw.toString('base64')];
  const forged = `${Buffer.from(JSON.stringify({ ...base, x5c: x5c384 })).toString('base64url')}.${Buffer.from(body()).toString('base64url')}.${Buffer.alloc(64, 1).toString('base64url')}`;
  await refused(t, v.verify(forged), 400, 'MALFORMED_REQUEST');
});

t.test('the JWS checks agree with jose compactVerify on mutated tokens', async (t) => {
  const x5c = [new X509Certificate(alice.certificate).raw.toString('base64')];
  const key = new X509Certificate(alice.certificate).publicKey;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/';
  let state = 12345;
  const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const headers = [
    { alg: 'ES256', typ: REQUEST_TYP, x5c },
    { alg: 'ES256', typ: REQUEST_TYP, x5c, crit: ['b64'], b64: true },
    { alg: 'ES256', typ: REQUEST_TYP, x5c, crit: ['zip'] },
    { alg: 'ES256', typ: REQUEST_TYP, x5c, crit: 'b64' },
  ];
  let agreed = 0;
  for (let i = 0; i < 400; i++) {
    let token = rawSign(alice, JSON.stringify(headers[i % headers.length]), JSON.stringify(claims()));
    const edits = Math.floor(random() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * token.length);
      token = token.slice(0, at) + alphabet[Math.floor(random() * alphabet.length)] + token.slice(at + 1);
    }
    const jose = await compactVerify(token, key, { algorithms: ['ES256'] }).then(
      (r) => Buffer.from(r.payload).toString('base64url'),
      (e: Error) => (e instanceof joseErrors.JWSSignatureVerificationFailed ? 'bad-signature' : 'malformed'),
    );
    let ours: string;
    try {
      const r = await verifyCompact(compactParts(token), key);
      ours = typeof r === 'string' ? r : Buffer.from(r).toString('base64url');
    } catch {
      ours = 'malformed';
    }
    t.equal(ours, jose, `token ${i} (${edits} edits)`);
    if (ours === jose) agreed++;
  }
  t.equal(agreed, 400);
});

t.test('the replay cache forgets a few expired ids per claim, never one still live', async (t) => {
  const cache = new ReplayCache();
  for (let i = 0; i < 100_000; i++) cache.claim('r', `j${i}`, 100 + (i % 20), 50);
  t.equal(cache.size, 100_000);
  t.ok(cache.claim('r', 'late', 400, 300));
  t.equal(cache.size, 100_000 - 4 + 1, 'one claim forgot only the four oldest expired ids: no 100k sweep');
  for (let i = 0; i < 25_000; i++) cache.claim('s', `k${i}`, 400, 300);
  t.equal(cache.size, 25_001, 'all the expired ids are gone after enough claims');
  t.notOk(cache.claim('s', 'k0', 400, 300), 'live ids are kept');

  const again = new ReplayCache();
  t.ok(again.claim('r', 'j', 100, 50));
  t.ok(again.claim('r', 'j', 250, 150), 'an expired id may be used again');
  t.ok(again.claim('r', 'other', 260, 160), '(this claim sweeps the first place of j)');
  t.notOk(again.claim('r', 'j', 250, 170), 'its old place in the queue did not forget the new claim');
});
