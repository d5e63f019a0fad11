/** ECDSA P-256 signatures as Fabric makes and checks them: SHA-256, DER, low-S only. */
import { createPrivateKey, sign, verify, type KeyObject } from 'node:crypto';

const ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_ORDER = ORDER >> 1n;

const keyCache = new Map<string, KeyObject>();

function privateKeyOf(pem: string): KeyObject {
  let key = keyCache.get(pem);
  if (!key) {
    key = createPrivateKey(pem);
    rememberPrivateKey(pem, key);
  }
  return key;
}

/**
 * Hands the signer a key it already holds as an object (one just generated), so that its first
 * signature does not parse the PEM again: OpenSSL 3 spends ~1.5 ms decoding a PKCS#8 PEM, more than
 * the signature itself, and a device signs with the key it has just made.
 */
export function rememberPrivateKey(pem: string, key: KeyObject): void {
  if (keyCache.has(pem)) return;
  if (keyCache.size >= 1024) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(pem, key);
}

export function signLowS(data: Uint8Array, privateKeyPem: string): Buffer {
  const raw = sign('sha256', data, { key: privateKeyOf(privateKeyPem), dsaEncoding: 'ieee-p1363' });
  const r = BigInt('0x' + raw.subarray(0, 32).toString('hex'));
  let s = BigInt('0x' + raw.subarray(32).toString('hex'));
  // Fabric's MSP refuses high-S signatures (malleability); its SDKs normalise, so do we.
  if (s > HALF_ORDER) s = ORDER - s;
  return derSignature(r, s);
}

/** True only for a valid low-S DER signature by the holder of the certificate's key. */
export function verifyLowS(data: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  return checkSignature(data, signature, publicKey) === 'valid';
}

/** What is wrong with a signature, as Fabric's MSP would see it: not DER, high S, or not by this key over these bytes. */
export type SignatureCheck = 'valid' | 'malformed' | 'high-s' | 'invalid';

export function checkSignature(data: Uint8Array, signature: Uint8Array, publicKey: KeyObject): SignatureCheck {
  const s = sOfDer(Buffer.from(signature));
  if (s === undefined) return 'malformed';
  if (s > HALF_ORDER) return 'high-s';
  try {
    return verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature) ? 'valid' : 'invalid';
  } catch {
    return 'malformed';
  }
}

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

function derSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** S of a DER ECDSA signature, or undefined when the bytes are not one (strict lengths, nothing trailing). */
function sOfDer(der: Buffer): bigint | undefined {
  if (der.length < 8 || der.length > 72 || der[0] !== 0x30 || der[1] !== der.length - 2 || der[2] !== 0x02) return undefined;
  const rLength = der[3]!;
  const sAt = 4 + rLength;
  if (der[sAt] !== 0x02) return undefined;
  const sLength = der[sAt + 1]!;
  const s = der.subarray(sAt + 2, sAt + 2 + sLength);
  if (s.length !== sLength || s.length === 0 || sAt + 2 + sLength !== der.length) return undefined;
  return BigInt('0x' + s.toString('hex'));
}
