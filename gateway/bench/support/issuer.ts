/**
 * Bench only: issues many certificates from a hospital's embedded CA without one enrolment (and its
 * scrypt) each. It opens the CA's sealed root key with the CA's passphrase from the hospital's data
 * directory and signs with the embedded CA's own issuing code, so every certificate is what
 * `EmbeddedCa.enroll` would have issued — the same attributes, chain and key type. Several
 * certificates for one enrollment id are what a re-enrolment gives (same identity, new key).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as x509 from '@peculiar/x509';
import { generateKeys, importPrivateKey, issueClient, privateKeyPem } from '../../src/adapters/identity/embedded/certificates.js';
import { unseal } from '../../src/pki/vault.js';
import { persistentSecret } from '../../src/system/secrets.js';
import type { Credentials } from '../../src/ports/identity.js';

export interface Issuer {
  issue(enrollmentId: string, role: string): Promise<Credentials>;
}

export async function caIssuer(hospital: { mspId: string; name: string; dataDir: string }): Promise<Issuer> {
  const db = new Database(join(hospital.dataDir, 'ca', 'ca.sqlite'), { readonly: true });
  const row = db.prepare('SELECT certificate, sealed_key FROM ca').get() as { certificate: string; sealed_key: string };
  db.close();
  const passphrase = persistentSecret(join(hospital.dataDir, 'ca.passphrase'));
  const rootKey = await importPrivateKey((await unseal(row.sealed_key, passphrase)).toString());
  const root = new x509.X509Certificate(row.certificate);
  return {
    async issue(enrollmentId, role) {
      const keys = await generateKeys();
      const attrs = { role, hospital: hospital.name, 'hf.EnrollmentID': enrollmentId, 'hf.Type': 'client', 'hf.Affiliation': '' };
      const cert = await issueClient(root, rootKey, enrollmentId, keys.publicKey, attrs);
      return { mspId: hospital.mspId, enrollmentId, certificate: cert.pem, privateKey: await privateKeyPem(keys.privateKey) };
    },
  };
}
