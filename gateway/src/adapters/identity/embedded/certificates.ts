/** X.509 issuance as Fabric CA does it: ECDSA P-256, Fabric's attribute extension, OU=client. */
import { createHash, KeyObject, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
// Also sets @peculiar/x509's crypto provider to node's WebCrypto.
import { FABRIC_ATTRS_OID } from '../../../pki/certificate.js';
import { rememberPrivateKey } from '../../../pki/ecdsa.js';
import { issueClientDer, type IssuedClient } from './client-certificate.js';
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const YEAR = 365 * 24 * 3600 * 1000;

/** @peculiar/x509's own name for a WebCrypto key (this project compiles without the DOM lib). */
type X509Key = Parameters<typeof x509.X509CrlGenerator.create>[0]['signingKey'];
type X509KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

export interface KeyPair {
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
}

export const generateKeys = () =>
  webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<KeyPair>;

/** The key as its holder keeps it (PKCS#8 PEM); the signer is handed the key object too (pki/ecdsa.ts). */
export async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const pem = x509.PemConverter.encode(der, 'PRIVATE KEY');
  rememberPrivateKey(pem, KeyObject.from(key));
  return pem;
}

export const importPrivateKey = (pem: string) =>
  webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), EC, true, ['sign']);

/** A positive 128-bit serial, hex. */
export function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  bytes[0]! |= 0x01;
  return bytes.toString('hex');
}

export async function createRoot(name: x509.JsonName, keys: KeyPair): Promise<x509.X509Certificate> {
  const now = Date.now();
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerial(),
    name,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 15 * YEAR),
    keys: keys as unknown as X509KeyPair,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as X509Key),
    ],
  });
}

/**
 * RFC 5280's key identifier (SHA-1 of the subject public key's bits), as @peculiar/x509 computes it
 * but without its ASN.1 round trip: issuing a panel of certificates spends its time here otherwise.
 */
async function keyIdentifier(publicKey: webcrypto.CryptoKey): Promise<x509.SubjectKeyIdentifierExtension> {
  const raw = Buffer.from(await webcrypto.subtle.exportKey('raw', publicKey));
  return new x509.SubjectKeyIdentifierExtension(createHash('sha1').update(raw).digest('hex'));
}

/** The root's authority key identifier, computed once per root. */
const authorityKeyIds = new WeakMap<x509.X509Certificate, Promise<x509.AuthorityKeyIdentifierExtension>>();

/** An end-entity certificate of `root`: one year, digital signatures, key identifiers, plus `extensions`. */
async function issueLeaf(
  root: x509.X509Certificate,
  rootKey: webcrypto.CryptoKey,
  subject: x509.JsonName,
  publicKey: webcrypto.CryptoKey,
  extensions: x509.Extension[],
): Promise<x509.X509Certificate> {
  const now = Date.now();
  return x509.X509CertificateGenerator.create({
    serialNumber: newSerial(),
    subject,
    issuer: root.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + YEAR),
    publicKey: publicKey as unknown as X509Key,
    signingKey: rootKey as unknown as X509Key,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await keyIdentifier(publicKey),
      await authorityKeyId(root),
      ...extensions,
    ],
  });
}

/** A person's certificate (OU=client, CN=enrollment id) with Fabric's attribute extension: ./client-certificate.ts. */
export function issueClient(
  root: x509.X509Certificate,
  rootKey: webcrypto.CryptoKey,
  enrollmentId: string,
  publicKey: webcrypto.CryptoKey,
  attrs: Record<string, string>,
): Promise<IssuedClient> {
  return issueClientDer(root, rootKey, enrollmentId, publicKey, [fabricAttributesExtension(attrs)]);
}

export const fabricAttributesExtension = (attrs: Record<string, string>) =>
  new x509.Extension(FABRIC_ATTRS_OID, false, Buffer.from(JSON.stringify({ attrs })));

function authorityKeyId(root: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  let id = authorityKeyIds.get(root);
  if (!id) authorityKeyIds.set(root, (id = x509.AuthorityKeyIdentifierExtension.create(root, false)));
  return id;
}

export async function createCrl(
  root: x509.X509Certificate,
  rootKey: webcrypto.CryptoKey,
  revoked: { serial: string; at: Date }[],
): Promise<string> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: root.subject,
    thisUpdate: new Date(),
    nextUpdate: new Date(Date.now() + 7 * 24 * 3600 * 1000),
    entries: revoked.map((r) => ({ serialNumber: r.serial, revocationDate: r.at })),
    signingAlgorithm: SIGNING,
    signingKey: rootKey as unknown as X509Key,
  });
  return crl.toString('pem');
}

/** A TLS server certificate for these host names and IP addresses (serverAuth), as Fabric CA's `tls` profile issues. */
export function issueServer(
  root: x509.X509Certificate,
  rootKey: webcrypto.CryptoKey,
  hosts: readonly string[],
  publicKey: webcrypto.CryptoKey,
): Promise<x509.X509Certificate> {
  const isIp = (h: string) => /^[0-9.]+$/.test(h) || h.includes(':');
  return issueLeaf(root, rootKey, [{ CN: [hosts[0]!] }], publicKey, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(hosts.map((h) => (isIp(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }))),
  ]);
}
