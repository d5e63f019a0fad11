/**
 * Certificate signing requests made on a person's device (docs/device-keys.md §3): the CSR carries
 * only the public key, so the CA certifies a key the gateway never sees. Both CA adapters and the
 * activation service read CSRs here, with the same rules Fabric CA applies and the protocol adds.
 */
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { IdentityError } from '../ports/identity.js';
import './certificate.js';

/** A CSR the protocol accepts: proven by its key, P-256, naming the enrollment id it is for. */
export interface CheckedCsr {
  /** The requested public key, ready for a certificate generator. */
  publicKey: webcrypto.CryptoKey;
  /** The key as SubjectPublicKeyInfo DER. */
  spki: Buffer;
  pem: string;
}

/** A refused CSR: INVALID_ARGUMENT, which the activation routes answer as 400 BAD_CSR. */
const refused = (reason: string) => new IdentityError('INVALID_ARGUMENT', reason);

const MAX_CSR_CHARS = 8_192;
const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** Parses and checks a PEM PKCS#10 request for `enrollmentId`; throws IdentityError INVALID_ARGUMENT with the reason. */
export async function checkCsr(pem: string, enrollmentId: string): Promise<CheckedCsr> {
  if (pem.length > MAX_CSR_CHARS) throw refused('the CSR is too long');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch {
    throw refused('not a PEM PKCS#10 certificate signing request');
  }
  const algorithm = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') {
    throw refused('the CSR key must be ECDSA P-256');
  }
  let verified = false;
  try {
    verified = await csr.verify();
  } catch {
    verified = false;
  }
  if (!verified) throw refused('the CSR signature does not verify with its own key');
  const names = csr.subjectName.getField('CN');
  if (names.length !== 1 || names[0] !== enrollmentId) {
    throw refused(`the CSR subject CN must be the enrollment id ${enrollmentId}`);
  }
  const spki = Buffer.from(csr.publicKey.rawData);
  const publicKey = await webcrypto.subtle.importKey('spki', spki, P256, true, ['verify']);
  return { publicKey, spki, pem: csr.toString('pem') };
}
