/**
 * PKCS#10 certificate signing request for enrolment by CSR: the CA (embedded or Fabric CA) checks the
 * proof of possession and writes its own subject and attributes; only the public key travels.
 */
import type { DeviceKey } from './device-key.js';

const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface CsrOptions {
  /** The enrollment id the CA will certify. Fabric CA refuses a CSR whose CN is not the enrollment id. */
  commonName: string;
}

export async function createCsr(key: DeviceKey, options: CsrOptions): Promise<string> {
  // Loaded on first use: the full X.509 stack is the heaviest module of the library.
  const x509 = await import('@peculiar/x509');
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [options.commonName] }],
    keys: { privateKey: await key.signingKey(), publicKey: await key.verifyingKey() },
    signingAlgorithm: SIGNING,
  });
  return csr.toString('pem');
}
