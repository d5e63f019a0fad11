import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { webcrypto } from 'node:crypto';
import t from 'tap';
import * as x509 from '@peculiar/x509';
import { Wallet } from '../src/index.js';
import { PHRASE, testCa } from './support/fixtures.js';

const run = promisify(execFile);

t.test('the CSR is signed by the derived key, names the enrollment id, and carries only the public key', async (t) => {
  const wallet = await Wallet.fromPhrase(PHRASE);
  const identity = wallet.addIdentity('h1', { kind: 'identity', mspId: 'Hospital1MSP' });
  const pem = await identity.csr('a1b2c3d4e5');
  const csr = new x509.Pkcs10CertificateRequest(pem);
  t.ok(await csr.verify(webcrypto as never), 'proof of possession verifies (@peculiar/x509)');
  t.equal(csr.subject, 'CN=a1b2c3d4e5');
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', await identity.key.verifyingKey()));
  t.same(new Uint8Array(csr.publicKey.rawData), spki, "the CSR's key is the identity's key");
  t.notMatch(pem, /PRIVATE/);

  const dir = await mkdtemp(join(tmpdir(), 'medrec-csr-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'req.pem'), pem);
  const { stdout, stderr } = await run('openssl', ['req', '-in', join(dir, 'req.pem'), '-noout', '-verify', '-subject']);
  t.match(stdout + stderr, /verify OK|Certificate request self-signature verify OK/, 'OpenSSL verifies it too');
  t.match(stdout, /CN\s*=\s*a1b2c3d4e5/);
});

t.test('a CA issues from the CSR, and the certificate is recorded for that identity', async (t) => {
  const ca = await testCa('Hospital1MSP');
  const wallet = await Wallet.fromPhrase(PHRASE);
  const identity = wallet.addIdentity('h1', { kind: 'identity', mspId: 'Hospital1MSP' });
  const certificate = await ca.issueFromCsr(await identity.csr('alice'), 'alice');
  const recorded = await wallet.setEnrollment('h1', { mspId: 'Hospital1MSP', enrollmentId: 'alice', certificate });
  t.equal(recorded.enrolled().enrollmentId, 'alice');
  const cert = new x509.X509Certificate(certificate);
  t.equal(cert.subject, 'OU=client, CN=alice', 'the CA wrote its own subject');
});
