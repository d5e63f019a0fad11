/**
 * Reading X.509 certificates the way Fabric does: node:crypto's X509Certificate for parsing, chains
 * and keys; @peculiar/x509 for the extensions node:crypto does not expose. Every part of the gateway
 * (gatekeeper, embedded ledger, both CA adapters) reads certificates through this module.
 */
import { X509Certificate, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Fabric CA puts certificate attributes, as JSON `{"attrs": {...}}`, in this extension. */
export const FABRIC_ATTRS_OID = '1.2.3.4.5.6.7.8.1';

/** A PEM or DER certificate, or one already parsed. */
export type CertificateInput = X509Certificate | string | Buffer;

export function parseCertificate(input: CertificateInput): X509Certificate {
  return input instanceof X509Certificate ? input : new X509Certificate(input);
}

/** The attributes Fabric CA (or the embedded CA) wrote into a certificate; {} when there are none. */
export function fabricAttributes(input: CertificateInput): Record<string, string> {
  const ext = new x509.X509Certificate(parseCertificate(input).raw).getExtension(FABRIC_ATTRS_OID);
  if (!ext) return {};
  try {
    const attrs = (JSON.parse(Buffer.from(ext.value).toString('utf8')) as { attrs?: unknown }).attrs;
    if (typeof attrs !== 'object' || attrs === null) return {};
    return Object.fromEntries(Object.entries(attrs).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

export interface CertificateSubject {
  /** `hf.EnrollmentID`, else the subject CN (Fabric CA sets CN = enrollment id). */
  enrollmentId: string;
  role: string | null;
}

/** Reads who a certificate names. Throws when it names no one. */
export function certificateSubject(input: CertificateInput): CertificateSubject {
  const cert = parseCertificate(input);
  const attrs = fabricAttributes(cert);
  const enrollmentId = attrs['hf.EnrollmentID'] ?? commonName(cert.subject);
  if (!enrollmentId) throw new Error('certificate names no enrollment id');
  return { enrollmentId, role: attrs['role'] ?? null };
}

function commonName(subject: string): string | undefined {
  for (const line of subject.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3);
  }
  return undefined;
}

/** A serial number as CRLs and certificates are compared: upper-case hex without leading zeros. */
export const normalSerial = (hex: string): string => hex.toUpperCase().replace(/^0+(?=.)/, '');

/** The PEM certificates in a text (e.g. a CA chain file), each ending with a newline. */
export function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((pem) => `${pem}\n`) ?? [];
}
