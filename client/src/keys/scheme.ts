/**
 * MedRec's derivation scheme: SLIP-0013 ("Authentication using deterministic hierarchy") over
 * SLIP-0010 NIST P-256. A key is named by a service identity — a URI and a 32-bit index — and lives
 * at m/13'/A'/B'/C'/D', where A..D are the first 16 bytes of SHA-256(LE32(index) ‖ URI), each read
 * little-endian and hardened. Every level is hardened, so no key, public or private, reveals another.
 *
 *   medrec://identity/<mspId>            the person's identity certified by <mspId>'s CA
 *   medrec://delegate/<mspId>/<label>    a delegate identity (one per relationship, issue 14)
 *
 * The index counts key generations of one URI (0 first; a re-issued certificate after a suspected
 * compromise takes index + 1). See docs/device-keys.md.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { WalletError } from '../errors.js';
import { HARDENED } from './slip10.js';

export type KeyScope =
  | { kind: 'identity'; mspId: string; index?: number }
  | { kind: 'delegate'; mspId: string; label: string; index?: number };

const MSP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const LABEL = /^[A-Za-z0-9._-]{1,64}$/;

export function scopeUri(scope: KeyScope): string {
  if (!MSP_ID.test(scope.mspId)) throw new WalletError('INVALID_ARGUMENT', 'an MSP id is 1-64 letters, digits, ".", "_" or "-"');
  if (scope.kind === 'identity') return `medrec://identity/${scope.mspId}`;
  if (scope.kind === 'delegate') {
    if (!LABEL.test(scope.label)) throw new WalletError('INVALID_ARGUMENT', 'a delegate label is 1-64 letters, digits, ".", "_" or "-"');
    return `medrec://delegate/${scope.mspId}/${scope.label}`;
  }
  throw new WalletError('INVALID_ARGUMENT', 'a key scope is an identity or a delegate');
}

/** SLIP-0013's HD structure for a service identity. */
export function slip13Path(uri: string, index = 0): number[] {
  if (!Number.isInteger(index) || index < 0 || index > 0xffff_ffff) {
    throw new WalletError('INVALID_ARGUMENT', 'a key index is a 32-bit unsigned integer');
  }
  const le32 = new Uint8Array(4);
  new DataView(le32.buffer).setUint32(0, index, true);
  const hash = sha256(concatBytes(le32, utf8ToBytes(uri)));
  const view = new DataView(hash.buffer, hash.byteOffset, 16);
  const parts = [0, 4, 8, 12].map((at) => (view.getUint32(at, true) | HARDENED) >>> 0);
  return [13 + HARDENED, ...parts];
}

export function scopePath(scope: KeyScope): number[] {
  return slip13Path(scopeUri(scope), scope.index ?? 0);
}
