/**
 * The library in a real browser: the esbuild browser bundle loaded by headless Chromium (Debian's
 * package, driven by playwright-core). Derivation, CSR, IndexedDB storage, offline signing and sealed
 * answers run in the page, and their results are compared with Node's and checked by the gateway's code.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { X509Certificate, webcrypto } from 'node:crypto';
import t from 'tap';
import * as x509 from '@peculiar/x509';
import { CompactEncrypt, importX509 } from 'jose';
import { chromium, type Browser } from 'playwright-core';
import { SEALED_ANSWER_CTY, Wallet, hashResources, type FhirResource } from '../src/index.js';
import { bytesToHex } from '../src/bytes.js';
import { bundleForBrowser } from './support/bundle.js';
import { CHAINCODE, CHANNEL, offlineGateway } from './support/fabric.js';
import { LOW_COST, PASSPHRASE, PHRASE, enrolled, testCa } from './support/fixtures.js';
import { ReplayCache, RequestVerifier, TrustStore, verifyLowS } from './support/gateway.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  if (process.env['MEDREC_REQUIRE_CHROMIUM']) t.fail(`headless Chromium is required here but ${CHROMIUM} does not exist`);
  else t.plan(0, `browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium; CI installs it)`);
} else {
  await browserSuite();
}

async function browserSuite() {
  const bundle = await bundleForBrowser();
  const page = '<!doctype html><meta charset="utf-8"><title>medrec client</title><script type="module">import * as medrec from "/medrec-client.js"; window.medrec = medrec; document.title = "ready";</script>';
  const server = createServer((req, res) => {
    if (req.url === '/medrec-client.js') {
      res.setHeader('content-type', 'text/javascript');
      return res.end(bundle.code);
    }
    res.setHeader('content-type', 'text/html');
    res.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  t.teardown(async () => {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  });
  const tab = await browser.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (e) => errors.push(e.message));
  await tab.goto(origin);
  await tab.waitForFunction(() => document.title === 'ready', undefined, { timeout: 60_000 });

  // Node's side: the same phrase, a CA, a fabric-gateway proposal and a sealed answer for the page.
  const ca = await testCa('Hospital1MSP');
  const node = await enrolled(await Wallet.fromPhrase(PHRASE), ca, 'h1', 'alice');
  const certificate = node.enrolled().certificate;
  const fabric = offlineGateway('Hospital1MSP', certificate);
  t.teardown(() => fabric.close());
  const rel = 'ab'.repeat(32);
  const proposal = fabric.propose('Relationship', 'accept', [rel]);
  const resources: FhirResource[] = [{ resourceType: 'Observation', id: 'o1', status: 'final', valueQuantity: { value: 5.4, unit: 'mmol/L' } }];
  const answer = { relationshipId: rel, category: 'Observation', decision: 'ALLOWED_PATIENT', fields: [], projected: false, ledgerHash: hashResources(resources), sourceHash: hashResources(resources), hashMatches: true, version: 1, bundle: { resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) } };
  const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(answer)))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', cty: SEALED_ANSWER_CTY, jti: 'browser-request-0001' })
    .encrypt(await importX509(certificate, 'ECDH-ES'));

  const input = {
    phrase: PHRASE,
    passphrase: PASSPHRASE,
    cost: LOW_COST,
    certificate,
    proposal: Buffer.from(proposal.bytes).toString('base64'),
    digest: Buffer.from(proposal.digest).toString('base64'),
    intent: { channel: CHANNEL, chaincode: CHAINCODE, contract: 'Relationship', transaction: 'accept', args: [rel] },
    jwe,
    rel,
    aud: 'http://127.0.0.1:3002',
  };
  type Input = typeof input;
  const out = await tab.evaluate(async (input: Input) => {
    const m = (window as unknown as { medrec: typeof import('../src/index.js') }).medrec;
    const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    const toB64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    const wallet = await m.Wallet.fromPhrase(input.phrase);
    wallet.addIdentity('h1', { kind: 'identity', mspId: 'Hospital1MSP' });
    const identity = await wallet.setEnrollment('h1', { mspId: 'Hospital1MSP', enrollmentId: 'alice', certificate: input.certificate });
    const csr = await identity.csr('alice');
    const signer = new m.OfflineSigner({ mspId: 'Hospital1MSP', certificate: input.certificate, key: identity.key });
    const signed = await signer.signProposal(b64(input.proposal), input.intent, b64(input.digest));
    let refusal = '';
    try {
      await signer.signProposal(b64(input.proposal), { ...input.intent, transaction: 'remove' });
    } catch (e) {
      refusal = (e as { code: string }).code;
    }
    const opened = await m.openSealedAnswer(input.jwe, identity.key, { jti: 'browser-request-0001' });
    const check = m.checkRecords(opened, opened.ledgerHash);
    const request = await m.signRequest(identity.key, input.certificate, { rel: input.rel, cat: 'Observation', fields: ['code'], aud: input.aud });

    const store = new m.IndexedDbStore('medrec-test');
    await m.WalletVault.create(store, wallet, input.passphrase, { cost: input.cost, overwrite: true });
    let wrong = '';
    try {
      await m.WalletVault.unlock(new m.IndexedDbStore('medrec-test'), 'not the passphrase');
    } catch (e) {
      wrong = (e as { code: string }).code;
    }
    const reopened = await m.WalletVault.unlock(new m.IndexedDbStore('medrec-test'), input.passphrase);
    const stored = await new m.IndexedDbStore('medrec-test').read();
    return {
      publicKey: hex(identity.key.publicKey),
      path: identity.path,
      csr,
      signature: toB64(signed.signature),
      txId: signed.txId,
      refusal,
      opened,
      check,
      jws: request.jws,
      wrong,
      reopenedKey: hex(reopened.wallet.identity('h1').key.publicKey),
      reopenedCertificate: reopened.wallet.identity('h1').enrolled().certificate,
      storedReadable: (stored ?? '').includes('alice'),
      hasProcess: typeof (globalThis as { process?: unknown }).process !== 'undefined',
    };
  }, input);

  t.test('Chromium derives the same key as Node from the same phrase', async (t) => {
    t.equal(out.publicKey, bytesToHex(node.key.publicKey));
    t.equal(out.path, node.path);
    t.same(errors, [], 'no page error');
    t.notOk(out.hasProcess, 'the page ran without any Node global');
  });

  t.test("Chromium's CSR proves possession of that key", async (t) => {
    const csr = new x509.Pkcs10CertificateRequest(out.csr);
    t.ok(await csr.verify(webcrypto as never));
    t.equal(bytesToHex(new Uint8Array(csr.publicKey.rawData)), bytesToHex(new Uint8Array(new X509Certificate(certificate).publicKey.export({ format: 'der', type: 'spki' }))));
  });

  t.test("Chromium signs the proposal byte for byte as Node does (RFC 6979), and refuses another intent", async (t) => {
    const nodeSigned = await new (await import('../src/index.js')).OfflineSigner({ mspId: 'Hospital1MSP', certificate, key: node.key }).signProposal(proposal.bytes, input.intent, proposal.digest);
    t.equal(out.txId, proposal.txId);
    t.equal(out.signature, Buffer.from(nodeSigned.signature).toString('base64'), 'identical DER signature');
    const proposalBytes = (await import('../src/index.js')).decodeProposedTransaction(proposal.bytes).proposalBytes;
    t.ok(verifyLowS(proposalBytes, Buffer.from(out.signature, 'base64'), new X509Certificate(certificate).publicKey), "the embedded ledger's low-S check accepts it");
    t.equal(out.refusal, 'INTENT_MISMATCH');
  });

  t.test('Chromium opens the sealed answer and checks the hash as Node does', async (t) => {
    t.same(out.opened, answer);
    t.same(out.check, { ledgerHash: answer.ledgerHash, localHash: answer.ledgerHash, matches: true });
  });

  t.test("Chromium's signed request passes the gateway's verifier", async (t) => {
    const verifier = new RequestVerifier(await TrustStore.fromMembers([{ mspId: 'Hospital1MSP', caCertificates: [ca.certificate] }]), new ReplayCache(), () => input.aud);
    t.match(await verifier.verify(out.jws), { enrollmentId: 'alice', claims: { rel, cat: 'Observation', fields: ['code'] } });
  });

  t.test('IndexedDB keeps the wallet sealed; a wrong passphrase is refused', async (t) => {
    t.equal(out.wrong, 'WRONG_PASSPHRASE');
    t.equal(out.reopenedKey, out.publicKey);
    t.equal(out.reopenedCertificate, certificate);
    t.notOk(out.storedReadable, 'the stored record shows no identifier');
  });
}
