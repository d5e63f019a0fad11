/**
 * SLIP-0010 hierarchical derivation for NIST P-256 ("Nist256p1 seed"): BIP-32's algorithm with the
 * P-256 group order and SLIP-0010's retry rule instead of BIP-32's "skip this index".
 * https://github.com/satoshilabs/slips/blob/master/slip-0010.md — tested against its published vectors.
 */
import { p256 } from '@noble/curves/nist.js';
import { bytesToNumberBE, concatBytes, numberToBytesBE } from '@noble/curves/utils.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { WalletError } from '../errors.js';

export const HARDENED = 0x8000_0000;
const CURVE_KEY = utf8ToBytes('Nist256p1 seed');
const ORDER = p256.Point.Fn.ORDER;

export interface Slip10Node {
  /** 32-byte private scalar, big-endian */
  readonly privateKey: Uint8Array;
  readonly chainCode: Uint8Array;
  readonly depth: number;
  readonly index: number;
  /** first 4 bytes of HASH160 of the parent's compressed public key; 0 for the master */
  readonly parentFingerprint: number;
}

/** The master node of a BIP-39 seed (16 to 64 bytes). */
export function masterNode(seed: Uint8Array): Slip10Node {
  if (seed.length < 16 || seed.length > 64) throw new WalletError('INVALID_ARGUMENT', 'a seed has 16 to 64 bytes');
  let i = hmac(sha512, CURVE_KEY, seed);
  // "In case IL is 0 or ≥ n, the master key would be invalid; the procedure is repeated with S := I."
  for (;;) {
    const key = bytesToNumberBE(i.subarray(0, 32));
    if (key !== 0n && key < ORDER) {
      return { privateKey: i.slice(0, 32), chainCode: i.slice(32), depth: 0, index: 0, parentFingerprint: 0 };
    }
    i = hmac(sha512, CURVE_KEY, i);
  }
}

/** CKDpriv: the child at `index` (hardened when index ≥ 2^31). */
export function childNode(parent: Slip10Node, index: number): Slip10Node {
  if (!Number.isInteger(index) || index < 0 || index > 0xffff_ffff) {
    throw new WalletError('INVALID_ARGUMENT', 'a child index is a 32-bit unsigned integer');
  }
  const ser32 = numberToBytesBE(index, 4);
  const data =
    index >= HARDENED
      ? concatBytes(Uint8Array.of(0), parent.privateKey, ser32)
      : concatBytes(publicKeyOf(parent), ser32);
  let i = hmac(sha512, parent.chainCode, data);
  const parentKey = bytesToNumberBE(parent.privateKey);
  for (;;) {
    const il = bytesToNumberBE(i.subarray(0, 32));
    const key = (il + parentKey) % ORDER;
    if (il < ORDER && key !== 0n) {
      return {
        privateKey: numberToBytesBE(key, 32),
        chainCode: i.slice(32),
        depth: parent.depth + 1,
        index,
        parentFingerprint: fingerprintOf(parent),
      };
    }
    // SLIP-0010's retry: I = HMAC-SHA512(c_par, 0x01 || IR || ser32(i)).
    i = hmac(sha512, parent.chainCode, concatBytes(Uint8Array.of(1), i.subarray(32), ser32));
  }
}

export function derivePath(seed: Uint8Array, path: readonly number[]): Slip10Node {
  return path.reduce(childNode, masterNode(seed));
}

/** `m/13'/1/2H` → [13 + 2^31, 1, 2 + 2^31]. */
export function parsePath(text: string): number[] {
  const parts = text.split('/');
  if (parts[0] !== 'm') throw new WalletError('INVALID_ARGUMENT', 'a derivation path starts with m');
  return parts.slice(1).map((part) => {
    const match = /^(\d{1,10})(['hH]?)$/.exec(part);
    const value = match ? Number(match[1]) : NaN;
    if (!match || value >= HARDENED) throw new WalletError('INVALID_ARGUMENT', `bad path element ${part}`);
    return match[2] ? value + HARDENED : value;
  });
}

export function formatPath(path: readonly number[]): string {
  return ['m', ...path.map((i) => (i >= HARDENED ? `${i - HARDENED}'` : String(i)))].join('/');
}

/** The node's public key, SEC1 compressed (33 bytes), as SLIP-0010's vectors print it. */
export function publicKeyOf(node: Slip10Node): Uint8Array {
  return p256.getPublicKey(node.privateKey, true);
}

export function fingerprintOf(node: Slip10Node): number {
  const id = ripemd160(sha256(publicKeyOf(node)));
  return new DataView(id.buffer, id.byteOffset, 4).getUint32(0, false);
}
