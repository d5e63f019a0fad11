/**
 * A client certificate in one pass of DER: the certificate issueClient's @peculiar/x509 generator makes
 * (same fields, same extensions, same order — test/client-certificate.test.ts compares the TBS byte for
 * byte), without the generator's ASN.1 object round trips (~7–17 ms a certificate, most of the time of
 * onboarding a panel of devices). The constant parts (issuer name, key usage, basic constraints,
 * authority key id) are encoded by @peculiar/x509 once per CA; only the per-person fields are written
 * here.
 */
import { createHash, KeyObject, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { newSerial } from './certificates.js';

const YEAR = 365 * 24 * 3600 * 1000;

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One DER element: tag, definite length, contents. */
const tlv = (tag: number, ...contents: Buffer[]) => {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const SEQUENCE = 0x30;
const SET = 0x31;
const hex = (h: string) => Buffer.from(h, 'hex');

const VERSION_3 = hex('a003020102');
const ECDSA_SHA256 = tlv(SEQUENCE, hex('06082a8648ce3d040302'));
const OID_OU = hex('060355040b');
const OID_CN = hex('0603550403');
const OID_SUBJECT_KEY_ID = hex('0603551d0e');

/** X.520 as @peculiar/x509 writes a name's value: PrintableString when it can be one, else UTF8String. */
function directoryString(value: string): Buffer {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? tlv(0x13, Buffer.from(value, 'latin1')) : tlv(0x0c, Buffer.from(value, 'utf8'));
}

const attribute = (oid: Buffer, value: string) => tlv(SET, tlv(SEQUENCE, oid, directoryString(value)));

/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 4.1.2.5), to the second. */
function time(at: Date): Buffer {
  const iso = at.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
  return at.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'latin1')) : tlv(0x18, Buffer.from(iso, 'latin1'));
}

/** What stays the same for every certificate of one CA: encoded once. */
interface Issuer {
  name: Buffer;
  key: KeyObject;
  /** basic constraints (not a CA), key usage (digital signature), authority key id: whole extensions */
  fixedExtensions: Buffer[];
}

const issuers = new WeakMap<x509.X509Certificate, Promise<Issuer>>();

function issuerOf(root: x509.X509Certificate, rootKey: webcrypto.CryptoKey): Promise<Issuer> {
  let issuer = issuers.get(root);
  if (!issuer) {
    issuer = (async () => ({
      name: Buffer.from(root.subjectName.toArrayBuffer()),
      key: KeyObject.from(rootKey),
      fixedExtensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.AuthorityKeyIdentifierExtension.create(root, false),
      ].map((e) => Buffer.from(e.rawData)),
    }))();
    issuers.set(root, issuer);
  }
  return issuer;
}

export interface IssuedClient {
  pem: string;
  /** hex, as the serial was drawn */
  serialNumber: string;
  notAfter: Date;
}

export interface ClientFields {
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

/** The to-be-signed part; exported for the test that compares it with @peculiar/x509's. */
export function clientTbs(issuer: Pick<Issuer, 'name' | 'fixedExtensions'>, fields: ClientFields, enrollmentId: string, spki: Buffer, extensions: x509.Extension[]): Buffer {
  // RFC 5280's key identifier: SHA-1 of the subject public key's bits (an uncompressed P-256 point: the SPKI's last 65 bytes).
  const keyId = createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
  return tlv(
    SEQUENCE,
    VERSION_3,
    tlv(0x02, hex(fields.serialNumber)),
    ECDSA_SHA256,
    issuer.name,
    tlv(SEQUENCE, time(fields.notBefore), time(fields.notAfter)),
    tlv(SEQUENCE, attribute(OID_OU, 'client'), attribute(OID_CN, enrollmentId)),
    spki,
    tlv(
      0xa3,
      tlv(
        SEQUENCE,
        issuer.fixedExtensions[0]!,
        issuer.fixedExtensions[1]!,
        tlv(SEQUENCE, OID_SUBJECT_KEY_ID, tlv(0x04, tlv(0x04, keyId))),
        issuer.fixedExtensions[2]!,
        ...extensions.map((e) => Buffer.from(e.rawData)),
      ),
    ),
  );
}

export async function clientIssuer(root: x509.X509Certificate, rootKey: webcrypto.CryptoKey): Promise<Pick<Issuer, 'name' | 'fixedExtensions'>> {
  const { name, fixedExtensions } = await issuerOf(root, rootKey);
  return { name, fixedExtensions };
}

/** An end-entity certificate of `root` for `publicKey`: one year, OU=client, CN=enrollment id, plus `extensions`. */
export async function issueClientDer(
  root: x509.X509Certificate,
  rootKey: webcrypto.CryptoKey,
  enrollmentId: string,
  publicKey: webcrypto.CryptoKey,
  extensions: x509.Extension[],
): Promise<IssuedClient> {
  const issuer = await issuerOf(root, rootKey);
  const now = Date.now();
  const fields = { serialNumber: newSerial(), notBefore: new Date(now - 60_000), notAfter: new Date(now + YEAR) };
  const tbs = clientTbs(issuer, fields, enrollmentId, KeyObject.from(publicKey).export({ type: 'spki', format: 'der' }), extensions);
  const signature = sign('sha256', tbs, { key: issuer.key, dsaEncoding: 'der' });
  const der = tlv(SEQUENCE, tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), signature));
  return { pem: x509.PemConverter.encode(der, 'CERTIFICATE'), serialNumber: fields.serialNumber, notAfter: new Date(Math.floor(fields.notAfter.getTime() / 1000) * 1000) };
}
