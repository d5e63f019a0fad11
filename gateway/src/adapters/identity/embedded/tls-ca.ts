/**
 * A hospital's TLS CA in the embedded default, as Fabric CA's TLS CA is on a network: a root of its
 * own (not the identity CA: TLS keys are not MSP identities) whose certificate the channel carries
 * as the organisation's TLS root, and which issues the gateway's HTTPS server certificate. Its key is
 * kept in a 0600 file beside it, as Fabric CA keeps its keystore.
 */
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { createRoot, generateKeys, importPrivateKey, issueServer, privateKeyPem } from './certificates.js';

export interface ServerCredentials {
  /** PEM: the server certificate followed by its CA. */
  cert: string;
  /** PEM PKCS#8 */
  key: string;
}

export class EmbeddedTlsCa {
  private constructor(
    private readonly root: x509.X509Certificate,
    private readonly rootKey: webcrypto.CryptoKey,
  ) {}

  /** Opens the CA under `dir` (ca.pem, ca-key.pem), creating it on first start. */
  static async open(dir: string, hospital: string): Promise<EmbeddedTlsCa> {
    const certFile = join(dir, 'ca.pem');
    const keyFile = join(dir, 'ca-key.pem');
    if (existsSync(certFile) && existsSync(keyFile)) {
      return new EmbeddedTlsCa(new x509.X509Certificate(readFileSync(certFile, 'utf8')), await importPrivateKey(readFileSync(keyFile, 'utf8')));
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keys = await generateKeys();
    const root = await createRoot([{ O: [hospital] }, { CN: [`tlsca.${hospital}`] }], keys);
    writeFileSync(keyFile, await privateKeyPem(keys.privateKey), { mode: 0o600 });
    writeFileSync(certFile, root.toString('pem'), { mode: 0o600 });
    return new EmbeddedTlsCa(root, keys.privateKey);
  }

  /** The root the channel lists as this organisation's TLS root certificate. */
  get certificate(): string {
    return this.root.toString('pem');
  }

  /** A fresh server key and certificate for these host names (issued at each start; the key stays in memory). */
  async issueServer(hosts: readonly string[]): Promise<ServerCredentials> {
    const keys = await generateKeys();
    const cert = await issueServer(this.root, this.rootKey, hosts, keys.publicKey);
    return { cert: `${cert.toString('pem')}\n${this.certificate}`, key: await privateKeyPem(keys.privateKey) };
  }
}
