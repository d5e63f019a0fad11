/**
 * The client certificate written in one pass of DER is the certificate @peculiar/x509's generator
 * makes for the same fields: its to-be-signed bytes are compared byte for byte, for printable and
 * non-printable enrollment ids, and the whole certificate verifies under its root.
 */
import { createHash, generateKeyPairSync, KeyObject, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import t from 'tap';
import { createRoot, fabricAttributesExtension, generateKeys, issueClient } from '../../src/adapters/identity/embedded/certificates.js';
import { clientIssuer, clientTbs } from '../../src/adapters/identity/embedded/client-certificate.js';
import { certificateClaims } from '../../src/pki/certificate.js';

type X509Key = Parameters<typeof x509.X509CrlGenerator.create>[0]['signingKey'];

/** The first element of a DER SEQUENCE (a certificate's TBSCertificate). */
function firstElement(der: Buffer): Buffer {
  const headerOf = (at: number) => {
    const first = der[at + 1]!;
    if (first < 0x80) return { header: 2, length: first };
    const n = first & 0x7f;
    return { header: 2 + n, length: der.subarray(at + 2, at + 2 + n).reduce((v, b) => v * 256 + b, 0) };
  };
  const outer = headerOf(0);
  const inner = headerOf(outer.header);
  return der.subarray(outer.header, outer.header + inner.header + inner.length);
}

t.test('the DER client certificate is byte for byte the one @peculiar/x509 generates', async (t) => {
  const rootKeys = await generateKeys();
  const root = await createRoot([{ CN: ['ca.hospital1msp'] }, { O: ['Hospital 1'] }], rootKeys);
  const issuer = await clientIssuer(root, rootKeys.privateKey);
  for (const enrollmentId of ['dr.who', 'pop-mrn-000123', 'panel_h1@x-7', 'a'.repeat(64)]) {
    const keys = await generateKeys();
    const attrs = { role: 'patient', hospital: 'Hospital 1', 'hf.EnrollmentID': enrollmentId, 'hf.Type': 'client', 'hf.Affiliation': '' };
    const fields = { serialNumber: '3a' + createHash('sha256').update(enrollmentId).digest('hex').slice(0, 30), notBefore: new Date('2026-11-30T01:02:03Z'), notAfter: new Date('2051-06-01T00:00:00Z') };
    const raw = Buffer.from(await crypto.subtle.exportKey('raw', keys.publicKey));
    const reference = await x509.X509CertificateGenerator.create({
      ...fields,
      subject: [{ OU: ['client'] }, { CN: [enrollmentId] }],
      issuer: root.subject,
      publicKey: keys.publicKey as unknown as X509Key,
      signingKey: rootKeys.privateKey as unknown as X509Key,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.SubjectKeyIdentifierExtension(createHash('sha1').update(raw).digest('hex')),
        await x509.AuthorityKeyIdentifierExtension.create(root, false),
        fabricAttributesExtension(attrs),
      ],
    });
    const spki = KeyObject.from(keys.publicKey).export({ type: 'spki', format: 'der' });
    const ours = clientTbs(issuer, fields, enrollmentId, spki, [fabricAttributesExtension(attrs)]);
    t.equal(ours.toString('hex'), firstElement(Buffer.from(reference.rawData)).toString('hex'), `${enrollmentId}: same TBSCertificate`);
  }
});

t.test('an issued client certificate verifies under its root and names its person', async (t) => {
  const rootKeys = await generateKeys();
  const root = await createRoot([{ CN: ['ca.hospital2msp'] }, { O: ['Hospital 2'] }], rootKeys);
  const keys = await generateKeys();
  const issued = await issueClient(root, rootKeys.privateKey, 'pat.ada', keys.publicKey, { role: 'patient', 'hf.EnrollmentID': 'pat.ada' });
  const cert = new X509Certificate(issued.pem);
  const anchor = new X509Certificate(root.toString('pem'));
  t.ok(cert.checkIssued(anchor) && cert.verify(anchor.publicKey), 'signed by the root');
  t.notOk(cert.verify(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), 'not by another key');
  t.ok(cert.publicKey.equals(KeyObject.from(keys.publicKey)), 'certifies the person’s key');
  // As numbers: OpenSSL prints whole bytes (a leading 0 nibble stays), the issuer's hex may carry more zeros.
  t.equal(BigInt(`0x${cert.serialNumber}`), BigInt(`0x${issued.serialNumber}`), 'the serial number it says');
  t.equal(new Date(cert.validTo).getTime(), issued.notAfter.getTime(), 'valid to the second it says');
  t.same(certificateClaims(issued.pem), { enrollmentId: 'pat.ada', role: 'patient' });
  t.equal(cert.ca, false);
});
