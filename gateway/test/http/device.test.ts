/**
 * Device-held keys end to end (issue 10): a patient enrolled from a recovery phrase — by a CSR, so
 * the key never leaves the device — logs in with a device-signed token and accepts, grants and
 * revokes with signatures made by @medrec/client's OfflineSigner, over HTTP against the real
 * gateway and the embedded ledger running the real chaincode. A second device recovered from the
 * same phrase signs too. The gateway's session state, its pending transactions and every file of
 * the installation are scanned for the private key. Every refusal of the protocol has its code.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import t from 'tap';
import * as x509 from '@peculiar/x509';
import {
  GatewayClient,
  OfflineSigner,
  Wallet,
  derivePath,
  enrolByActivation,
  evaluateTransaction,
  intentFor,
  login,
  recoverEnrollment,
  fetchRecords,
  openSealedAnswer,
  scopePath,
  seedFromPhrase,
  signRequest,
  signerFor,
  submitTransaction,
} from '@medrec/client';
import { demoPatients } from '../../demo/seed/population.js';
import { TransactionOutcomeUnknownError } from '../../src/ports/ledger.js';
import { api, isoIn, login as passwordLogin, testSystemFor, type Json } from './support.js';
import { refusal, watchedClient } from '../support/device.js';

t.setTimeout(240_000);

const TTL_SECONDS = 8;
const sys = await testSystemFor(t, undefined, {
  activationTtlSeconds: TTL_SECONDS,
  rateLimits: { activation: { max: 200, windowSeconds: 60 }, login: { max: 200, windowSeconds: 60 } },
});
const { h1, h2 } = sys;
const runtime = sys.system.hospitals[0]!;
const app1 = sys.gateways[0]!.app;
const person = demoPatients('hospital1').filter((p) => p.alsoAt)[1]!;
const registrar = await passwordLogin(h1, 'registrar', 'registrar-demo-pass');

let n = 0;
async function issue(externalId = `SYN-DEV-${String(++n).padStart(6, '0')}`, username = `device${n}`): Promise<Json> {
  const res = await api(h1, 'POST', '/registrar/activations', {
    token: registrar,
    body: { username, role: 'patient', externalIdKind: 'national-id', externalId },
  });
  if (res.status !== 201) throw new Error(`issue → ${res.status} ${res.json.code}`);
  return res.json;
}


/** Every representation of a P-256 private key a leak could take: raw scalar (hex, base64, base64url), PKCS#8 PEM body. */
function keyForms(secret: Uint8Array): string[] {
  const raw = Buffer.from(secret);
  return [raw.toString('hex'), raw.toString('base64'), raw.toString('base64url'), raw.toString('latin1')];
}

function everything(dir: string): Buffer[] {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .flatMap((path) => (statSync(path).isDirectory() ? everything(path) : [readFileSync(path)]));
}

const phrase = Wallet.newPhrase();
const wallet = await Wallet.fromPhrase(phrase);
const gateway = new GatewayClient(h1);
const issued = await issue(person.externalId, 'dana');
const me = await enrolByActivation(wallet, 'h1', gateway, issued.code);
const secret = derivePath(await seedFromPhrase(phrase), scopePath({ kind: 'identity', mspId: 'Hospital1MSP' })).privateKey;
let rel = '';
let victorId = '';

t.test('enrolment by CSR: the CA certifies the device key; the code is spent', async (t) => {
  const { certificate, participantId, enrollmentId, caCertificates } = me.enrolled();
  t.match(enrollmentId, /^e[0-9a-f]{32}$/, 'the certificate names an opaque enrollment id, not the username (docs/privacy.md)');
  t.equal(participantId, issued.participantId);
  const cert = new x509.X509Certificate(certificate);
  t.equal(Buffer.from(cert.publicKey.rawData).toString('base64'),
    Buffer.from(await crypto.subtle.exportKey('spki', await me.key.verifyingKey())).toString('base64'), 'the certificate certifies the device key');
  t.ok(await cert.verify({ publicKey: new x509.X509Certificate(caCertificates![0]!) }), "issued by the hospital's CA");
  t.notOk(runtime.accounts.get('dana'), 'no password account, no sealed key');
  t.match(runtime.accounts.device(enrollmentId), { username: 'dana', role: 'patient', certificate: /BEGIN CERTIFICATE/ });
  const again = await refusal(gateway.redeemActivation(issued.code, await me.csr(enrollmentId)));
  t.same(again, { status: 409, code: 'ACTIVATION_USED' }, 'a code redeems once');
});

t.test('the patient accepts, grants and revokes with signatures made on the device', async (t) => {
  const session = await login(me, gateway);
  t.ok(session.token, 'a device-signed login opens a session');
  // Her home treats her under her own id; another hospital only under a delegate (docs/privacy.md §3, test/privacy/delegate.test.ts)
  const ada = await passwordLogin(h1, 'dr-ada');
  const created = await api(h1, 'POST', '/relationships', { token: ada, body: { patientId: me.enrolled().participantId, mrn: person.mrn } });
  t.equal(created.status, 201, 'a provider of her home hospital creates the relationship');
  const grey = await passwordLogin(h2, 'dr-grey');
  const elsewhere = await api(h2, 'POST', '/relationships', { token: grey, body: { patientId: me.enrolled().participantId, mrn: person.alsoAt!.mrn } });
  t.same([elsewhere.status, elsewhere.json.code], [403, 'DELEGATE_REQUIRED'], 'another hospital is refused her home id');
  rel = created.json.relationshipId;

  // Password-session routes do not sign for a device identity: the gateway holds no key to sign with.
  const served = await api(h1, 'POST', `/relationships/${rel}/accept`, { token: session.token });
  t.equal(served.status, 403);
  t.equal(served.json.code, 'DEVICE_SIGNS');

  const signer = signerFor(me);
  const accepted = await submitTransaction(gateway, signer, intentFor(me, 'Relationship', 'accept', [rel]));
  t.equal(accepted.status, 'VALID');
  t.match(JSON.parse(Buffer.from(accepted.result).toString()), { relationshipId: rel, status: 'accepted' });
  const view = JSON.parse(Buffer.from(await evaluateTransaction(gateway, signer, intentFor(me, 'Relationship', 'get', [rel]))).toString());
  t.equal(view.status, 'accepted', 'a device-signed read sees the accepted relationship');

  const victor = await passwordLogin(h1, 'victor');
  victorId = (await api(h1, 'GET', '/me', { token: victor })).json.participantId;
  const grant = { items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }], validUntil: isoIn(86_400_000), purpose: 'FAMRQT' };
  const granted = await submitTransaction(gateway, signer, intentFor(me, 'Relationship', 'grant', [rel, victorId, JSON.stringify(grant)]));
  t.equal(granted.status, 'VALID');
  const seen = await api(h1, 'POST', '/records/fetch', { token: victor, body: { relationshipId: rel, category: 'Observation' } });
  t.equal(seen.status, 200, 'the viewer the device granted reads the granted fields');
  const revoked = await submitTransaction(gateway, signer, intentFor(me, 'Relationship', 'revoke', [rel, victorId]));
  t.equal(revoked.status, 'VALID');
  const refused = await api(h1, 'POST', '/records/fetch', { token: victor, body: { relationshipId: rel, category: 'Observation' } });
  t.equal(refused.status, 403, 'and the revocation the device signed shuts them out');

  // The ledger keeps the device's signatures: its offline audit re-verifies proposal and envelope signatures.
  const ledger = runtime.ledger as unknown as { verify(): Promise<{ ok: boolean; problems: string[] }> };
  const audit = await ledger.verify();
  t.same(audit.problems, [], 'every block, including the device-signed envelopes, verifies');
  const info = await api(h1, 'GET', `/tx/${revoked.txId}`, { token: session.token });
  t.match(info.json, { txId: revoked.txId, status: 'VALID', blockNumber: revoked.blockNumber });
});

t.test('a fetched answer is ciphertext at the relay and plaintext with the ledger hash on the device', async (t) => {
  // What crossed the home gateway: the body of every /records/relay answer, as the relay sent it.
  const { client: watched, relayed } = watchedClient(h1);
  await login(me, watched);
  const fetched = await fetchRecords(watched, me, { relationshipId: rel, category: 'Observation' });
  t.equal(relayed.length, 1);
  const jwe = relayed[0]!;
  t.equal(jwe.split('.').length, 5, 'a compact JWE');
  t.match(JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString()), { alg: 'ECDH-ES', enc: 'A256GCM', cty: 'medrec-answer+json' });
  for (const plain of ['resourceType', 'Observation', fetched.answer.ledgerHash!, rel]) t.notOk(jwe.includes(plain), `the relay never sees ${plain.slice(0, 16)}…`);
  t.equal(fetched.gatekeeper, new URL(h1).origin, "the relationship's gatekeeper answered");
  t.equal(fetched.answer.decision, 'ALLOWED_PATIENT');
  t.ok((fetched.answer.bundle.total ?? 0) > 0, 'the device reads the records');
  t.equal(fetched.check.matches, true, "the device's own hash of the records matches the ledger pointer");
  t.equal(fetched.check.ledgerHash, fetched.answer.ledgerHash);

  // The relay forwards only the caller's own requests, only to the relationship's gatekeeper.
  const aud = new URL(h1).origin;
  const spec = { rel, cat: 'Observation', fields: [] as string[], aud };
  const relayOf = (jws: string, token = watched) => refusal(token.relay(jws));
  t.same(await relayOf((await signRequest(me.key, me.enrolled().certificate, { ...spec, aud: 'http://127.0.0.1:9' })).jws), { status: 403, code: 'RELAY_AUDIENCE' }, 'no open proxy');
  const alice = runtime.accounts.get('alice')!.certificate;
  t.same(await relayOf((await signRequest(me.key, alice, spec)).jws), { status: 403, code: 'RELAY_NOT_YOURS' }, "another person's request");
  const fresh = new GatewayClient(h1);
  await login(me, fresh);
  t.same(await relayOf((await signRequest(me.key, me.enrolled().certificate, spec)).jws, fresh), { status: 403, code: 'RELAY_UNKNOWN_RELATIONSHIP' }, 'a relationship this session did not read');
  const once = (await signRequest(me.key, me.enrolled().certificate, spec)).jws;
  const sealed = await watched.relay(once);
  t.match(await openSealedAnswer(sealed, me.key), { relationshipId: rel, category: 'Observation' });
  t.same(await relayOf(once), { status: 401, code: 'REPLAYED_REQUEST' }, "the gatekeeper's refusal passes through");
  const stranger = (await Wallet.fromPhrase(Wallet.newPhrase())).addIdentity('x', { kind: 'identity', mspId: 'Hospital1MSP' });
  await t.rejects(openSealedAnswer(sealed, stranger.key), { code: 'SEALED_ANSWER_INVALID' }, 'no other key opens it');
  const plain = await api(h1, 'POST', '/gatekeeper/query', {
    rawBody: (await signRequest(me.key, me.enrolled().certificate, spec)).jws,
    headers: { 'content-type': 'application/jose', accept: 'application/json' },
  });
  t.equal(plain.status, 200, 'Accept: application/json keeps the plain answer');
  t.equal(plain.json.relationshipId, rel);
});

t.test('a device recovered from the phrase finds its certificate and signs valid transactions', async (t) => {
  const restored = await Wallet.fromPhrase(phrase);
  const other = new GatewayClient(h1);
  restored.addIdentity('h1', { kind: 'identity', mspId: 'Hospital1MSP' }, h1);
  const again = await recoverEnrollment(restored, 'h1', other);
  t.equal(again.enrolled().certificate, me.enrolled().certificate, 'the same certificate, found by proof of the same key');
  await login(again, other);
  const outcome = await submitTransaction(other, signerFor(again), intentFor(again, 'Relationship', 'grant', [rel, victorId, JSON.stringify({ items: [{ category: 'Observation', fields: ['code'] }], validUntil: isoIn(3_600_000), purpose: 'FAMRQT' })]));
  t.equal(outcome.status, 'VALID', 'the recovered device grants');
  const stranger = await Wallet.fromPhrase(Wallet.newPhrase());
  stranger.addIdentity('h1', { kind: 'identity', mspId: 'Hospital1MSP' }, h1);
  t.same(await refusal(recoverEnrollment(stranger, 'h1', new GatewayClient(h1))), { status: 404, code: 'UNKNOWN_KEY' }, 'an unknown key has no certificate');
});

t.test("the gateway never holds the patient's private key: sessions, pending transactions, files", async (t) => {
  // A transaction left half-way, so pending state is in memory while we look.
  const session = await login(me, gateway);
  const prepared = await gateway.prepare('Relationship', 'revoke', [rel, victorId]);
  const signed = await signerFor(me).signProposal(prepared.proposal, intentFor(me, 'Relationship', 'revoke', [rel, victorId]), prepared.digest);
  await gateway.endorse(prepared.txId, signed.signature);
  t.ok(session.token && runtime.offline.size >= 1, 'a pending transaction is held');
  const memory = inspect([app1.sessionKeys, runtime.offline, runtime.devices, runtime.accounts], { depth: 12, showHidden: true, maxArrayLength: null, maxStringLength: null });
  t.ok(memory.includes(me.enrolled().certificate.split('\n')[1]!), 'the scan sees the session state (the certificate is in it)');
  for (const form of keyForms(secret).slice(0, 3)) t.notOk(memory.includes(form), `the private key (${form.length} chars) is in no session or pending state`);
  const files = everything(sys.dir);
  t.ok(files.some((f) => f.includes(Buffer.from('dana'))), 'the scan reads gateway.db and the other files');
  for (const file of files) {
    if (file.includes(Buffer.from(secret))) t.fail('a file holds the raw private key');
    for (const form of keyForms(secret).slice(0, 3)) if (file.includes(Buffer.from(form))) t.fail('a file holds the private key, encoded');
  }
  t.pass('no file of the installation holds the private key');
});

t.test('refusals: bad CSRs, used and expired codes', async (t) => {
  const fresh = await Wallet.fromPhrase(Wallet.newPhrase());
  const id = fresh.addIdentity('h1', { kind: 'identity', mspId: 'Hospital1MSP' }, h1);
  const issuedHere = await issue();
  const code = issuedHere.code as string;
  const redeem = (csr: string) => api(h1, 'POST', '/device/activations/redeem', { body: { code, csr } });
  const enrollmentId = issuedHere.enrollmentId as string;
  const p384 = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
  const p384Csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${enrollmentId}`, keys: p384, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' } });
  const good = await id.csr(enrollmentId);
  const der = Buffer.from(good.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');
  der[der.length - 5] ^= 0x01; // inside the signature
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  for (const [what, csr] of [
    ['not a CSR', 'hello'],
    ['a CSR for another enrollment id', await id.csr('someone-else')],
    ['a P-384 key', p384Csr.toString('pem')],
    ['a signature that does not verify', tampered],
  ] as const) {
    const res = await redeem(csr);
    t.equal(res.status, 400, what);
    t.equal(res.json.code, 'BAD_CSR', what);
    t.match(res.type, /application\/problem\+json/);
  }
  t.notOk(runtime.accounts.device(enrollmentId), 'a bad CSR enrols nothing');
  t.equal((await redeem(good)).status, 201, 'and leaves the code usable');
  const reused = await redeem(good);
  t.same([reused.status, reused.json.code], [409, 'ACTIVATION_USED']);

  const late = await issue();
  await new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 1000 + 500));
  const expired = await api(h1, 'POST', '/device/activations/redeem', { body: { code: late.code, csr: await id.csr(late.enrollmentId as string) } });
  t.same([expired.status, expired.json.code], [410, 'ACTIVATION_EXPIRED']);
});

t.test('refusals: signatures over the wrong digest, high S, another key, out of order', async (t) => {
  await login(me, gateway);
  const intent = intentFor(me, 'Relationship', 'revoke', [rel, victorId]);
  const signer = signerFor(me);
  const regrant = JSON.stringify({ items: [{ category: 'Observation', fields: ['code'] }], validUntil: isoIn(7_200_000), purpose: 'FAMRQT' });
  t.equal((await submitTransaction(gateway, signer, intentFor(me, 'Relationship', 'grant', [rel, victorId, regrant]))).status, 'VALID', 'a live grant to revoke');
  const stranger = (await Wallet.fromPhrase(Wallet.newPhrase())).addIdentity('x', { kind: 'identity', mspId: 'Hospital1MSP' });
  const digestOf = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());

  const p = await gateway.prepare('Relationship', 'revoke', [rel, victorId]);
  const wrong = me.key.signDigest(digestOf(Buffer.from('some other bytes')));
  t.same(await refusal(gateway.endorse(p.txId, wrong)), { status: 403, code: 'SIGNATURE_INVALID' }, 'a signature over the wrong digest');
  const good = await signer.signProposal(p.proposal, intent, p.digest);
  t.same(await refusal(gateway.endorse(p.txId, highS(good.signature))), { status: 400, code: 'SIGNATURE_HIGH_S' }, 'a high-S signature');
  t.same(await refusal(gateway.endorse(p.txId, new Uint8Array([0x30, 0x02, 0x01]))), { status: 400, code: 'SIGNATURE_MALFORMED' }, 'not DER');
  t.same(await refusal(gateway.endorse(p.txId, stranger.key.signDigest(p.digest))), { status: 403, code: 'SIGNATURE_INVALID' }, 'a proposal signed by another key');
  t.same(await refusal(gateway.submit(p.txId, good.signature)), { status: 409, code: 'TX_STEP' }, 'submit before endorse');
  const endorsed = await gateway.endorse(p.txId, good.signature);
  t.same(await refusal(gateway.endorse(p.txId, good.signature)), { status: 409, code: 'TX_STEP' }, 'endorse twice');
  t.same(await refusal(gateway.submit(p.txId, stranger.key.signDigest(endorsed.digest))), { status: 403, code: 'SIGNATURE_INVALID' }, 'an envelope signed by another key');
  const envelope = await signer.signTransaction(endorsed.transaction, good.ticket, endorsed.digest);
  t.same(await refusal(gateway.submit(p.txId, highS(envelope.signature))), { status: 400, code: 'SIGNATURE_HIGH_S' }, 'a high-S envelope signature');
  t.same(await refusal(gateway.submit(p.txId, new Uint8Array(70))), { status: 400, code: 'SIGNATURE_MALFORMED' });
  const still = JSON.parse(Buffer.from(await evaluateTransaction(gateway, signer, intentFor(me, 'Relationship', 'get', [rel]))).toString());
  t.equal(still.grants.find((g: Json) => g.viewerId === victorId).status, 'granted', 'no refused step changed the ledger');
  t.equal(await runtime.ledger.getTransaction(p.txId), undefined, 'nor ordered the transaction');
  const done = await gateway.submit(p.txId, envelope.signature);
  t.equal('status' in done && done.status, 'VALID', 'the right signatures still go through after the refusals');
  t.same(await refusal(gateway.submit(p.txId, envelope.signature)), { status: 404, code: 'TX_UNKNOWN' }, 'a finished transaction is gone');

  // Another session cannot continue this session's transaction.
  const q = await gateway.prepare('Relationship', 'revoke', [rel, victorId]);
  const otherClient = new GatewayClient(h1);
  await login(me, otherClient);
  const qs = await signer.signProposal(q.proposal, intent, q.digest);
  t.same(await refusal(otherClient.endorse(q.txId, qs.signature)), { status: 404, code: 'TX_UNKNOWN' }, "another session's transaction");
  t.same(await refusal(gateway.prepare('Registrar', 'register', ['x', 'y', 'patient'])), { status: 400, code: 'TX_NOT_ALLOWED' }, 'only consent decisions and own reads');
  const unsigned = new OfflineSigner({ mspId: 'Hospital1MSP', certificate: me.enrolled().certificate, key: stranger.key });
  await t.rejects(unsigned.signProposal(q.proposal, intent, q.digest), { code: 'WRONG_SIGNER' }, "the device refuses to sign another's proposal");
});

t.test('a device-signed change ordered but its outcome not learnt: 202 UNKNOWN, and both status routes find it committed', async (t) => {
  const session = await login(me, gateway);
  const signer = signerFor(me);
  const regrant = JSON.stringify({ items: [{ category: 'Observation', fields: ['code'] }], validUntil: isoIn(5_400_000), purpose: 'FAMRQT' });
  const intent = intentFor(me, 'Relationship', 'grant', [rel, victorId, regrant]);
  // The ledger commits the envelope and then the answer is lost (the orderers go quiet after taking it).
  const ledger = runtime.ledger;
  const propose = ledger.propose.bind(ledger);
  let lost = 0;
  ledger.propose = async (...args) => {
    const proposal = await propose(...args);
    return {
      ...proposal,
      endorse: async (signature) => {
        const endorsed = await proposal.endorse(signature);
        return {
          ...endorsed,
          submit: async (envelopeSignature) => {
            const done = await endorsed.submit(envelopeSignature);
            lost++;
            throw new TransactionOutcomeUnknownError(done.txId, 'no commit status within the bound');
          },
        };
      },
    };
  };
  let outcome: Awaited<ReturnType<typeof gateway.submit>>;
  try {
    const p = await gateway.prepare('Relationship', 'grant', [rel, victorId, regrant]);
    const proposal = await signer.signProposal(p.proposal, intent, p.digest);
    const endorsed = await gateway.endorse(p.txId, proposal.signature);
    const envelope = await signer.signTransaction(endorsed.transaction, proposal.ticket, endorsed.digest);
    outcome = await gateway.submit(p.txId, envelope.signature);
  } finally {
    ledger.propose = propose;
  }
  t.equal(lost, 1, 'the transaction was committed');
  t.same(outcome, { txId: outcome.txId, status: 'UNKNOWN' }, 'reported as unknown, not as a failure');
  const device = await api(h1, 'GET', `/tx/${outcome.txId}`, { token: session.token });
  t.match(device, { status: 200, json: { txId: outcome.txId, status: 'VALID', blockNumber: /^\d+$/ } }, "the device flow's status route");
  const status = await api(h1, 'GET', `/transactions/${outcome.txId}`, { token: session.token });
  t.match(status, { status: 200, json: { txId: outcome.txId, status: 'committed', validationCode: 'VALID' } }, 'the status route of an OUTCOME_UNKNOWN answers the same');
});

t.test('refusals of the /tx routes themselves: no session, a malformed or unknown txId', async (t) => {
  const session = await login(me, gateway);
  const unknownTx = 'ab'.repeat(32);
  t.match(await api(h1, 'GET', `/tx/${unknownTx}`, { token: session.token }), { status: 404, json: { code: 'TX_NOT_FOUND' } }, 'a transaction the ledger does not hold');
  t.match(await api(h1, 'GET', '/tx/not-a-txid', { token: session.token }), { status: 400 }, 'a malformed txId');
  t.match(await api(h1, 'GET', `/tx/${unknownTx}`), { status: 401 }, 'no session');
  t.match(await api(h1, 'POST', '/tx/prepare', { body: { contract: 'Relationship', transaction: 'accept', args: [rel] } }), { status: 401 }, 'prepare needs a session');
  t.match(await api(h1, 'POST', `/tx/${unknownTx}/endorse`, { token: session.token, body: { signature: 'AAAA' } }), { status: 404, json: { code: 'TX_UNKNOWN' } });
  t.match(await api(h1, 'POST', `/tx/${unknownTx}/evaluate`, { token: session.token, body: { signature: 'AAAA' } }), { status: 404, json: { code: 'TX_UNKNOWN' } });
  t.match(await api(h1, 'POST', `/tx/${unknownTx}/submit`, { token: session.token, body: { signature: 'not base64!' } }), { status: 400 }, 'a signature that is not base64');
  t.match(await api(h1, 'POST', `/tx/${unknownTx}/submit`, { token: session.token, body: { signature: 'AAB=' } }), { status: 400, json: { code: 'SIGNATURE_MALFORMED' } }, 'non-canonical base64');
});

t.test('device login refusals', async (t) => {
  const stranger = (await Wallet.fromPhrase(Wallet.newPhrase())).addIdentity('x', { kind: 'identity', mspId: 'Hospital1MSP' });
  const res = await api(h1, 'POST', '/auth/device', { body: { jws: 'not.a.jws' } });
  t.equal(res.status, 400);
  const { signJws, freshClaims, LOGIN_TYP } = await import('@medrec/client');
  const forged = await signJws(stranger.key, me.enrolled().certificate, LOGIN_TYP, { aud: new URL(h1).origin, ...freshClaims() });
  const bad = await api(h1, 'POST', '/auth/device', { body: { jws: forged } });
  t.same([bad.status, bad.json.code], [401, 'SIGNATURE_INVALID'], 'a login signed by a key the certificate does not certify');
  const elsewhere = await signJws(me.key, me.enrolled().certificate, LOGIN_TYP, { aud: new URL(h2).origin, ...freshClaims() });
  const wrongAud = await api(h1, 'POST', '/auth/device', { body: { jws: elsewhere } });
  t.same([wrongAud.status, wrongAud.json.code], [401, 'AUDIENCE_MISMATCH'], 'a login made for another gateway');
  const once = await signJws(me.key, me.enrolled().certificate, LOGIN_TYP, { aud: new URL(h1).origin, ...freshClaims() });
  t.equal((await api(h1, 'POST', '/auth/device', { body: { jws: once } })).status, 200);
  const replayed = await api(h1, 'POST', '/auth/device', { body: { jws: once } });
  t.same([replayed.status, replayed.json.code], [401, 'REPLAYED_REQUEST'], 'a login token works once');
  const request = await signJws(me.key, me.enrolled().certificate, 'medrec-request+jws', { aud: new URL(h1).origin, ...freshClaims() });
  t.equal((await api(h1, 'POST', '/auth/device', { body: { jws: request } })).json.code, 'MALFORMED_REQUEST', 'no other token passes for a login');
  const alice = await api(h1, 'POST', '/auth/login', { body: { username: 'alice', password: 'alice-demo-pass' } });
  const aliceCert = runtime.accounts.get('alice')!.certificate;
  t.equal(alice.status, 200);
  const vaulted = await signJws(stranger.key, aliceCert, LOGIN_TYP, { aud: new URL(h1).origin, ...freshClaims() });
  t.equal((await api(h1, 'POST', '/auth/device', { body: { jws: vaulted } })).status, 401, 'a vault identity cannot log in as a device');
});


/** The same signature with S replaced by n − S: valid ECDSA, refused by Fabric. */
function highS(der: Uint8Array): Uint8Array {
  const ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const buf = Buffer.from(der);
  const rLen = buf[3]!;
  const r = buf.subarray(4, 4 + rLen);
  const sLen = buf[5 + rLen]!;
  const s = BigInt('0x' + buf.subarray(6 + rLen, 6 + rLen + sLen).toString('hex'));
  let hex = (ORDER - s).toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let sBytes = Buffer.from(hex, 'hex');
  if (sBytes[0]! & 0x80) sBytes = Buffer.concat([Buffer.from([0]), sBytes]);
  const body = Buffer.concat([Buffer.from([0x02, r.length]), r, Buffer.from([0x02, sBytes.length]), sBytes]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]));
}
