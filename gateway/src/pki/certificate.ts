import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** Fabric CA's attribute extension: the value is JSON `{"attrs": {...}}`. */
export const FABRIC_ATTRS_OID = '1.2.3.4.5.6.7.8.1';

export interface CertificateSubject {
  /** `hf.EnrollmentID`, else the subject CN (Fabric CA sets CN = enrollment id). */
  enrollmentId: string;
  role: string | null;
}

/** Reads who a certificate names. Throws when it names no one. */
export function certificateSubject(cert: X509Certificate): CertificateSubject {
  const attrs = fabricAttributes(cert.raw);
  const enrollmentId = attrs['hf.EnrollmentID'] ?? commonName(cert.subject);
  if (!enrollmentId) throw new Error('certificate names no enrollment id');
  return { enrollmentId, role: attrs['role'] ?? null };
}

function fabricAttributes(der: Buffer): Record<string, string> {
  const ext = new x509.X509Certificate(der).getExtension(FABRIC_ATTRS_OID);
  if (!ext) return {};
  try {
    const parsed = JSON.parse(Buffer.from(ext.value).toString('utf8')) as { attrs?: unknown };
    const attrs = parsed.attrs;
    if (typeof attrs !== 'object' || attrs === null) return {};
    return Object.fromEntries(Object.entries(attrs).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

function commonName(subject: string): string | undefined {
  for (const line of subject.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3);
  }
  return undefined;
}
