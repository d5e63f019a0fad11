/**
 * The wallet at rest: JSON sealed under the device passphrase. scrypt (memory-hard, @noble/hashes)
 * turns the passphrase into an AES-256-GCM key (WebCrypto); the clear header — format, version, KDF
 * parameters, IV — is the GCM additional data, so altering any of it fails like a wrong passphrase.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { base64url, randomBytes, utf8, utf8ToBytes } from '../bytes.js';
import { canonicalJson } from '../canonical.js';
import { WalletError } from '../errors.js';

export const FORMAT = 'medrec-wallet';
export const VERSION = 1;

export interface ScryptCost {
  /** log2 of scrypt's N */
  logN: number;
  r: number;
  p: number;
}

/** OWASP's scrypt recommendation (N = 2^17, r = 8, p = 1: 128 MiB); 1-1.5 s in JavaScript here (docs/device-keys.md). */
export const DEFAULT_COST: ScryptCost = { logN: 17, r: 8, p: 1 };
/** What a stored header may ask for: enough to refuse a file that would hang or exhaust the device. */
const BOUNDS = { logN: [10, 20], r: [1, 16], p: [1, 4] } as const;

export interface SealedHeader {
  format: typeof FORMAT;
  version: typeof VERSION;
  kdf: { name: 'scrypt'; logN: number; r: number; p: number; salt: string };
  cipher: { name: 'A256GCM'; iv: string };
}

export interface SealedFile extends SealedHeader {
  ciphertext: string;
}

/** An opened (or newly sealed) box: the derived key is kept so the wallet can be saved again. */
export interface OpenBox {
  key: CryptoKey;
  kdf: SealedHeader['kdf'];
}

function checkCost(cost: ScryptCost): void {
  for (const name of ['logN', 'r', 'p'] as const) {
    const [min, max] = BOUNDS[name];
    const value = cost[name];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new WalletError('CORRUPT_WALLET', `scrypt ${name} must be an integer in [${min}, ${max}]`);
    }
  }
}

async function deriveKey(passphrase: string, kdf: SealedHeader['kdf']): Promise<CryptoKey> {
  const raw = await scryptAsync(utf8ToBytes(passphrase.normalize('NFKC')), base64url.decode(kdf.salt), {
    N: 2 ** kdf.logN,
    r: kdf.r,
    p: kdf.p,
    dkLen: 32,
    maxmem: 2 ** kdf.logN * kdf.r * 128 * 2 + 1024,
  });
  try {
    return await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  } finally {
    raw.fill(0);
  }
}

/** Derives a fresh key under a new random salt. */
export async function newBox(passphrase: string, cost: ScryptCost = DEFAULT_COST): Promise<OpenBox> {
  if (passphrase.length < 8) throw new WalletError('INVALID_ARGUMENT', 'a device passphrase has at least 8 characters');
  checkCost(cost);
  const kdf = { name: 'scrypt' as const, ...cost, salt: base64url.encode(randomBytes(16)) };
  return { key: await deriveKey(passphrase, kdf), kdf };
}

export async function seal(box: OpenBox, value: unknown): Promise<string> {
  const header: SealedHeader = {
    format: FORMAT,
    version: VERSION,
    kdf: box.kdf,
    cipher: { name: 'A256GCM', iv: base64url.encode(randomBytes(12)) },
  };
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: base64url.decode(header.cipher.iv), additionalData: utf8ToBytes(canonicalJson(header)) },
    box.key,
    utf8ToBytes(JSON.stringify(value)),
  );
  const file: SealedFile = { ...header, ciphertext: base64url.encode(new Uint8Array(ciphertext)) };
  return JSON.stringify(file, null, 2) + '\n';
}

/** Opens a sealed text; a wrong passphrase or any altered byte is WRONG_PASSPHRASE, nothing partial. */
export async function open(text: string, passphrase: string): Promise<{ box: OpenBox; value: unknown }> {
  const file = parseFile(text);
  const { ciphertext, ...header } = file;
  const key = await deriveKey(passphrase, header.kdf);
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: base64url.decode(header.cipher.iv), additionalData: utf8ToBytes(canonicalJson(header)) },
      key,
      base64url.decode(ciphertext),
    );
  } catch (cause) {
    throw new WalletError('WRONG_PASSPHRASE', 'the passphrase does not open this wallet (or the wallet file was altered)', { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8(new Uint8Array(plain)));
  } catch (cause) {
    throw new WalletError('CORRUPT_WALLET', 'the wallet opened but does not hold JSON', { cause });
  }
  return { box: { key, kdf: header.kdf }, value };
}

function parseFile(text: string): SealedFile {
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (cause) {
    throw new WalletError('CORRUPT_WALLET', 'the wallet file is not JSON', { cause });
  }
  const f = file as Partial<SealedFile> | null;
  if (f?.format !== FORMAT) throw new WalletError('CORRUPT_WALLET', 'not a MedRec wallet');
  if (f.version !== VERSION) throw new WalletError('CORRUPT_WALLET', `wallet version ${String(f.version)} is not supported`);
  const kdf = f.kdf;
  const cipher = f.cipher;
  if (kdf?.name !== 'scrypt' || cipher?.name !== 'A256GCM' || typeof f.ciphertext !== 'string') {
    throw new WalletError('CORRUPT_WALLET', 'the wallet names an unknown KDF or cipher');
  }
  checkCost(kdf);
  if (typeof kdf.salt !== 'string' || typeof cipher.iv !== 'string') throw new WalletError('CORRUPT_WALLET', 'salt and iv are required');
  let salt: Uint8Array, iv: Uint8Array;
  try {
    salt = base64url.decode(kdf.salt);
    iv = base64url.decode(cipher.iv);
    base64url.decode(f.ciphertext);
  } catch (cause) {
    throw new WalletError('CORRUPT_WALLET', 'the wallet holds bad base64url', { cause });
  }
  if (salt.length < 16 || iv.length !== 12) throw new WalletError('CORRUPT_WALLET', 'salt or iv has the wrong length');
  // Only the known fields, in a fixed shape, go into the additional data.
  return {
    format: FORMAT,
    version: VERSION,
    kdf: { name: 'scrypt', logN: kdf.logN, r: kdf.r, p: kdf.p, salt: kdf.salt },
    cipher: { name: 'A256GCM', iv: cipher.iv },
    ciphertext: f.ciphertext,
  };
}
