/**
 * Fabric CA's attribute extension read straight from the DER (pki/certificate.ts) gives what a full
 * @peculiar/x509 parse gives, on certificates of the embedded CA, of the unit-test CA (other
 * encodings: attributes as given, P-384 keys), CA certificates without the extension, and on mutated
 * certificates (never a different value: the same value, none, or an error).
 */
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import t from 'tap';
import { certificateClaims, fabricAttributes, FABRIC_ATTRS_OID } from '../../src/pki/certificate.js';
import { testCa } from '../support/test-ca.js';
import { openOrg, tempDir } from '../ledger/support.js';

function byPeculiar(pem: string | Buffer): Record<string, string> | 'error' {
  try {
    const ext = new x509.X509Certificate(pem).getExtension(FABRIC_ATTRS_OID);
    if (!ext) return {};
    const attrs = (JSON.parse(Buffer.from(ext.value).toString('utf8')) as { attrs?: unknown }).attrs;
    if (typeof attrs !== 'object' || attrs === null) return {};
    return Object.fromEntries(Object.entries(attrs).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return 'error';
  }
}

t.test('the DER read agrees with a full parse', async (t) => {
  const org = await openOrg(tempDir(t), 'Hospital1MSP', 'Hospital 1');
  const ca = await testCa('Hospital2MSP');
  const certs = [
    (await org.enroll('alice', 'patient')).certificate,
    (await org.enroll('dr.who', 'provider')).certificate,
    org.admin.certificate,
    (await ca.issue('bob', 'viewer')).certificate,
    (await ca.issue('p384', 'patient', { namedCurve: 'P-384' })).certificate,
    ca.certificate,
    ...(await org.ca.trustAnchors()),
  ];
  for (const pem of certs) {
    t.same(fabricAttributes(pem), byPeculiar(pem), new X509Certificate(pem).subject.replace(/\n/g, ', '));
  }
  t.match(certificateClaims(certs[0]!), { enrollmentId: 'alice', role: 'patient' });
  t.same(certificateClaims(ca.certificate), { enrollmentId: 'ca.Hospital2MSP', role: null }, 'no attributes: the CN');

  // Mutated certificates that node:crypto still parses: the DER read never returns another value.
  const raw = new X509Certificate(certs[0]!).raw;
  let parsed = 0;
  for (let i = 0; i < raw.length; i++) {
    for (const delta of [1, 0x80]) {
      const bytes = Buffer.from(raw);
      bytes[i] = (bytes[i]! + delta) & 0xff;
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(bytes);
      } catch {
        continue;
      }
      parsed++;
      let ours: Record<string, string> | 'error';
      try {
        ours = fabricAttributes(cert);
      } catch {
        ours = 'error';
      }
      const theirs = byPeculiar(bytes);
      if (ours !== 'error' && theirs !== 'error') t.same(ours, theirs, `byte ${i} + ${delta}`);
    }
  }
  t.ok(parsed > 100, `${parsed} mutated certificates compared`);
});
