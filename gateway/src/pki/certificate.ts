/**
 * Reading X.509 certificates the way Fabric does: node:crypto's X509Certificate for parsing, chains
 * and keys, and a small DER read for the one extension node:crypto does not expose (Fabric CA's
 * attributes). Every part of the gateway (gatekeeper, embedded ledger, both CA adapters) reads
 * certificates through this module; @peculiar/x509 (set up here) makes certificates and CRLs.
 */
import { X509Certificate, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Fabric CA puts certificate attributes, as JSON `{"attrs": {...}}`, in this extension. */
export const FABRIC_ATTRS_OID = '1.2.3.4.5.6.7.8.1';
/** Its DER encoding: OBJECT IDENTIFIER, length 8: 1.2 = 0x2a, then 3 4 5 6 7 8 1. */
const FABRIC_ATTRS_OID_DER = Buffer.from([0x06, 0x08, 0x2a, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x01]);

interface Der {
  tag: number;
  start: number;
  end: number;
}

/** One DER element (tag, definite length) inside [at, limit). */
function derAt(der: Buffer, at: number, limit: number): Der {
  if (at + 2 > limit) throw new Error('truncated DER');
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  if (start + length > limit) throw new Error('truncated DER');
  return { tag, start, end: start + length };
}

function* children(der: Buffer, parent: Der): Generator<Der> {
  for (let at = parent.start; at < parent.end; ) {
    const child = derAt(der, at, parent.end);
    yield child;
    at = child.end;
  }
}

/**
 * The value (the OCTET STRING's content) of Fabric CA's attribute extension, read straight from the
 * certificate's DER: Certificate → tbsCertificate → [3] extensions → Extension{extnID, critical?,
 * extnValue}. A full parse of the certificate for this one value cost milliseconds per new certificate.
 */
function fabricAttributesExtension(raw: Buffer): Buffer | undefined {
  const certificate = derAt(raw, 0, raw.length);
  const [tbs] = children(raw, certificate);
  if (!tbs || tbs.tag !== 0x30) throw new Error('not a certificate');
  for (const field of children(raw, tbs)) {
    if (field.tag !== 0xa3) continue;
    const [extensions] = children(raw, field);
    if (!extensions || extensions.tag !== 0x30) throw new Error('malformed extensions');
    for (const extension of children(raw, extensions)) {
      const [id, ...rest] = children(raw, extension);
      if (!id || !raw.subarray(id.start - 2, id.end).equals(FABRIC_ATTRS_OID_DER)) continue;
      const value = rest.find((part) => part.tag === 0x04);
      if (!value) throw new Error('malformed extension');
      return raw.subarray(value.start, value.end);
    }
  }
  return undefined;
}

/** A PEM or DER certificate, or one already parsed. */
export type CertificateInput = X509Certificate | string | Buffer;

export function parseCertificate(input: CertificateInput): X509Certificate {
  return input instanceof X509Certificate ? input : new X509Certificate(input);
}

/** The attributes Fabric CA (or the embedded CA) wrote into a certificate; {} when there are none. */
export function fabricAttributes(input: CertificateInput): Record<string, string> {
  const ext = fabricAttributesExtension(parseCertificate(input).raw);
  if (!ext) return {};
  try {
    const attrs = (JSON.parse(ext.toString('utf8')) as { attrs?: unknown }).attrs;
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

/** Who a certificate names, as the chaincode's `ctx.clientIdentity` reads it: enrollment id and role, each possibly absent. */
export function certificateClaims(input: CertificateInput): { enrollmentId: string | undefined; role: string | null } {
  const cert = parseCertificate(input);
  const attrs = fabricAttributes(cert);
  return { enrollmentId: attrs['hf.EnrollmentID'] ?? commonName(cert.subject), role: attrs['role'] ?? null };
}

/** Reads who a certificate names. Throws when it names no one. */
export function certificateSubject(input: CertificateInput): CertificateSubject {
  const { enrollmentId, role } = certificateClaims(input);
  if (!enrollmentId) throw new Error('certificate names no enrollment id');
  return { enrollmentId, role };
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
