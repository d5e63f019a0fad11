import { KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Signer } from '../../src/ports/ledger.js';

/* A throwaway CA for unit tests only: issues Fabric-CA-shaped certificates (CN = enrollment id,
   attributes in 1.2.3.4.5.6.7.8.1). Integration tests use the embedded CA instead. */

type WebKeyPair = Awaited<ReturnType<typeof webcrypto.subtle.generateKey>> & {
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
};

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

const keyPair = async () =>
  (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as WebKeyPair;

const pem = (key: webcrypto.CryptoKey) => KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();

export interface TestCa {
  mspId: string;
  certificate: string;
  issue(enrollmentId: string, role: string, validity?: { notBefore?: Date; notAfter?: Date }): Promise<Signer>;
  /** A CRL of this CA naming the given certificates. */
  crl(revoked: Signer[]): Promise<string>;
}

let serial = 1;

export async function testCa(mspId: string, name = mspId): Promise<TestCa> {
  const keys = await keyPair();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: (serial++).toString(16).padStart(2, '0'),
    name: `CN=ca.${name}`,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 365 * 86400_000),
    keys: keys as never,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return {
    mspId,
    certificate: caCert.toString('pem'),
    async issue(enrollmentId, role, validity = {}) {
      const leafKeys = await keyPair();
      const attrs = JSON.stringify({ attrs: { 'hf.EnrollmentID': enrollmentId, role, hospital: name } });
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: (serial++).toString(16).padStart(2, '0'),
        subject: `CN=${enrollmentId}, OU=client`,
        issuer: caCert.subject,
        notBefore: validity.notBefore ?? new Date(Date.now() - 60_000),
        notAfter: validity.notAfter ?? new Date(Date.now() + 86400_000),
        signingKey: keys.privateKey as never,
        publicKey: leafKeys.publicKey as never,
        signingAlgorithm: alg,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.Extension('1.2.3.4.5.6.7.8.1', false, new TextEncoder().encode(attrs)),
        ],
      });
      return { mspId, certificate: cert.toString('pem'), privateKey: pem(leafKeys.privateKey) };
    },
    async crl(revoked) {
      const crl = await x509.X509CrlGenerator.create({
        issuer: caCert.subject,
        thisUpdate: new Date(),
        // Without nextUpdate @peculiar/x509 cannot read the entries back.
        nextUpdate: new Date(Date.now() + 86400_000),
        entries: revoked.map((s) => ({
          serialNumber: new x509.X509Certificate(s.certificate).serialNumber,
          revocationDate: new Date(),
        })),
        signingAlgorithm: alg,
        signingKey: keys.privateKey as never,
      });
      return crl.toString('pem');
    },
  };
}
