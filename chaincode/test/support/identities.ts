import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type KeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Fabric CA's certificate extension for attributes, holding `{"attrs":{...}}`. */
export const FABRIC_ATTRS_OID = '1.2.3.4.5.6.7.8.1';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface Ca {
  mspId: string;
  cert: x509.X509Certificate;
  keys: KeyPair;
}

export interface Creator {
  mspid: string;
  idBytes: Uint8Array;
}

let serial = 1;

export async function makeCa(mspId: string): Promise<Ca> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as KeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: (serial++).toString(16).padStart(2, '0'),
    name: `CN=ca.${mspId.toLowerCase()}, O=${mspId}`,
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2035-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { mspId, cert, keys };
}

/**
 * A certificate as Fabric CA issues it: CN = enrollment id, attributes in the 1.2.3.4.5.6.7.8.1
 * extension. `attrs` defaults to role + hf.EnrollmentID; pass your own to test odd certificates.
 */
export async function issue(ca: Ca, enrollmentId: string, attrs: Record<string, string>): Promise<Creator> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as KeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(2, '0'),
    subject: `CN=${enrollmentId}, OU=client`,
    issuer: ca.cert.subject,
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2035-01-01T00:00:00Z'),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALG,
    extensions: [new x509.Extension(FABRIC_ATTRS_OID, false, Buffer.from(JSON.stringify({ attrs })))],
  });
  return { mspid: ca.mspId, idBytes: Buffer.from(cert.toString('pem')) };
}
