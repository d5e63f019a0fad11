/**
 * The password-protected key vault: a secret (a user's private key, the CA's root key) sealed with
 * AES-256-GCM under a key derived from a password with scrypt. The sealed form is self-describing
 * text; its parameters are authenticated, so neither they nor the ciphertext can be altered unseen.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';

export interface ScryptCost {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** OWASP's minimum for scrypt (2^17 would be better; this keeps logins under ~100 ms on a small box). */
export const DEFAULT_COST: ScryptCost = { N: 2 ** 15, r: 8, p: 1 };

interface Sealed {
  v: 1;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
  tag: string;
  ct: string;
}

/** Wrong password, or sealed text that was altered: AES-GCM cannot tell these apart, and neither do we. */
export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultError';
  }
}

function deriveKey(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, 32, { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

const header = (s: Pick<Sealed, 'v' | 'kdf' | 'N' | 'r' | 'p' | 'salt'>) =>
  Buffer.from(JSON.stringify([s.v, s.kdf, s.N, s.r, s.p, s.salt]));

export async function seal(secret: Uint8Array | string, password: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  if (password.length === 0) throw new VaultError('a vault password must not be empty');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(password, salt, cost);
  const base = { v: 1 as const, kdf: 'scrypt' as const, ...cost, salt: salt.toString('base64') };
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(header(base));
  const ct = Buffer.concat([cipher.update(typeof secret === 'string' ? Buffer.from(secret) : secret), cipher.final()]);
  const sealed: Sealed = { ...base, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
  return JSON.stringify(sealed);
}

function parse(text: string): Sealed {
  let s: Sealed;
  try {
    s = JSON.parse(text) as Sealed;
  } catch {
    throw new VaultError('not a sealed vault entry');
  }
  const ok =
    s && s.v === 1 && s.kdf === 'scrypt' &&
    [s.N, s.r, s.p].every((n) => Number.isInteger(n) && n > 0) &&
    (s.N & (s.N - 1)) === 0 && s.N <= 2 ** 20 && s.r <= 32 && s.p <= 16 &&
    [s.salt, s.iv, s.tag, s.ct].every((f) => typeof f === 'string');
  if (!ok) throw new VaultError('not a sealed vault entry');
  return s;
}

export async function unseal(sealed: string, password: string): Promise<Buffer> {
  const s = parse(sealed);
  const key = await deriveKey(password, Buffer.from(s.salt, 'base64'), s);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(s.iv, 'base64'), { authTagLength: 16 });
    decipher.setAAD(header(s));
    decipher.setAuthTag(Buffer.from(s.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(s.ct, 'base64')), decipher.final()]);
  } catch {
    throw new VaultError('wrong password or altered vault entry');
  }
}

/** Re-seals under a new password (password change) without the secret leaving this function. */
export async function reseal(sealed: string, oldPassword: string, newPassword: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  const secret = await unseal(sealed, oldPassword);
  try {
    return await seal(secret, newPassword, cost);
  } finally {
    secret.fill(0);
  }
}
