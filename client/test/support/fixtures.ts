/** Shared test fixtures: phrases, a cheap KDF cost, a hospital CA that issues from CSRs. */
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { Wallet, type ScryptCost, type WalletIdentity } from '../../src/index.js';
import { createRoot, generateKeys, issueClient } from './gateway.js';

export const PHRASE = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
export const OTHER_PHRASE = 'letter advice cage absurd amount doctor acoustic avoid letter advice cage above';
/** Tests seal wallets cheaply; the default cost (2^17) is checked on its own. */
export const LOW_COST: ScryptCost = { logN: 10, r: 8, p: 1 };
export const PASSPHRASE = 'correct horse battery staple';

type X509Key = Parameters<typeof issueClient>[3];

export interface TestCa {
  mspId: string;
  certificate: string;
  /** Issues a Fabric-CA-style certificate for the key of a CSR, after checking its proof of possession. */
  issueFromCsr(csrPem: string, enrollmentId: string, role?: string): Promise<string>;
}

export async function testCa(mspId: string, hospital = mspId.replace(/MSP$/, '')): Promise<TestCa> {
  const keys = await generateKeys();
  const root = await createRoot([{ CN: [`ca.${mspId.toLowerCase()}`] }, { O: [hospital] }], keys);
  return {
    mspId,
    certificate: root.toString('pem'),
    async issueFromCsr(csrPem, enrollmentId, role = 'patient') {
      const csr = new x509.Pkcs10CertificateRequest(csrPem);
      if (!(await csr.verify(webcrypto as never))) throw new Error('the CSR signature does not verify');
      const publicKey = (await csr.publicKey.export(webcrypto as never)) as unknown as X509Key;
      const cert = await issueClient(root, keys.privateKey, enrollmentId, publicKey, {
        role,
        hospital,
        'hf.EnrollmentID': enrollmentId,
        'hf.Type': 'client',
        'hf.Affiliation': '',
      });
      return cert.pem;
    },
  };
}

/** A wallet identity enrolled at `ca` by CSR, as the activation route will do it. */
export async function enrolled(wallet: Wallet, ca: TestCa, name: string, enrollmentId: string, role = 'patient'): Promise<WalletIdentity> {
  wallet.addIdentity(name, { kind: 'identity', mspId: ca.mspId });
  const csr = await wallet.identity(name).csr(enrollmentId);
  const certificate = await ca.issueFromCsr(csr, enrollmentId, role);
  return wallet.setEnrollment(name, { mspId: ca.mspId, enrollmentId, certificate, caCertificates: [ca.certificate], role });
}

export async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<{ code?: string; message: string }> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a refusal, got success');
}
