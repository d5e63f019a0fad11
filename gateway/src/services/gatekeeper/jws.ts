/**
 * A compact ES256 JWS (RFC 7515) checked as jose's compactVerify checked it, with the signature
 * verified on libuv's thread pool (crypto.verify with a callback) instead of on the event loop.
 * What jose checked, and so do these functions:
 * - compact form: exactly three dot-separated parts, each ASCII;
 * - the protected header: base64url, UTF-8 (fatal), JSON, a plain object;
 * - `crit`: absent, or a non-empty array of distinct non-empty names, each understood (jose knows
 *   only `b64`, RFC 7797) and present; `b64`, when critical, a boolean (false: the payload part is
 *   the payload itself, unencoded);
 * - `alg` a string, and one allowed: ES256 only (checked before, in signed-request.ts);
 * - the key: an EC public key on P-256, as ES256 requires;
 * - the signature: base64url, verified over `header.payload` (SHA-256, IEEE P1363 r‖s); a
 *   verification that throws counts as a failed one;
 * - the payload: base64url, decoded only after the signature holds.
 * Base64url is strict: only the URL-safe alphabet, no padding, no whitespace (jose also let atob's
 * padding and whitespace through; the gatekeeper route's body pattern already refused them).
 */
import { verify, type KeyObject } from 'node:crypto';
import { badRequest } from '../problem.js';

export interface CompactParts {
  /** the three parts as received */
  protectedB64: string;
  payloadB64: string;
  signatureB64: string;
  /** the header as read leniently (for the early alg/typ/x5c decisions, as before) */
  header: Record<string, unknown>;
  /** the header as jose reads it, or undefined when it would refuse it */
  strictHeader: Record<string, unknown> | undefined;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const NON_ASCII = /\P{ASCII}/u;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict base64url; undefined when the text is not. */
export function base64url(text: string): Buffer | undefined {
  if (text.length % 4 === 1 || !BASE64URL.test(text)) return undefined;
  return Buffer.from(text, 'base64url');
}

/** jose's isObject: a plain object (not an array, not a class instance). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Object.prototype.toString.call(value) !== '[object Object]') return false;
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

function parseHeader(bytes: Buffer | undefined, strict: boolean): Record<string, unknown> | undefined {
  if (!bytes) return undefined;
  try {
    const header = JSON.parse(strict ? utf8.decode(bytes) : bytes.toString('utf8')) as unknown;
    if (strict ? isPlainObject(header) : typeof header === 'object' && header !== null && !Array.isArray(header)) {
      return header as Record<string, unknown>;
    }
  } catch {
    // reported by the caller
  }
  return undefined;
}

/** Splits a compact JWS and reads its header; MALFORMED_REQUEST when it is not three parts with a JSON object header. */
export function compactParts(jws: string): CompactParts {
  const parts = jws.split('.');
  if (parts.length !== 3) throw badRequest('MALFORMED_REQUEST', 'the body is not a compact JWS');
  const [protectedB64, payloadB64, signatureB64] = parts as [string, string, string];
  const strictHeader = parseHeader(base64url(protectedB64), true);
  const header = strictHeader ?? parseHeader(Buffer.from(protectedB64, 'base64url'), false);
  if (!header) throw badRequest('MALFORMED_REQUEST', 'the JWS header is not a JSON object');
  return { protectedB64, payloadB64, signatureB64, header, strictHeader };
}

/** jose's validateCrit and validateB64: whether the payload part is base64url (true) or the payload itself; undefined: refused. */
function payloadEncoded(header: Record<string, unknown>): boolean | undefined {
  const crit = header['crit'];
  if (crit === undefined) return true;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== 'string' || name.length === 0)) return undefined;
  if (new Set(crit).size !== crit.length) return undefined;
  for (const name of crit as string[]) {
    if (name !== 'b64') return undefined;
    if (!Object.hasOwn(header, name) || header[name] === undefined) return undefined;
  }
  const b64 = header['b64'];
  return typeof b64 === 'boolean' ? b64 : undefined;
}

function verifyOnPool(input: Buffer, key: KeyObject, signature: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature, (error, ok) => resolve(!error && ok));
    } catch {
      resolve(false);
    }
  });
}

/** The signature's verdict, or the payload bytes once it holds. */
export async function verifyCompact(parts: CompactParts, key: KeyObject): Promise<Uint8Array | 'malformed' | 'bad-signature'> {
  const header = parts.strictHeader;
  if (!header || typeof header['alg'] !== 'string') return 'malformed';
  const encoded = payloadEncoded(header);
  if (encoded === undefined) return 'malformed';
  if (NON_ASCII.test(parts.protectedB64) || NON_ASCII.test(parts.payloadB64)) return 'malformed';
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return 'malformed';
  const signature = base64url(parts.signatureB64);
  if (!signature) return 'malformed';
  const input = Buffer.from(`${parts.protectedB64}.${parts.payloadB64}`, 'latin1');
  if (!(await verifyOnPool(input, key, signature))) return 'bad-signature';
  if (!encoded) return Buffer.from(parts.payloadB64, 'latin1');
  return base64url(parts.payloadB64) ?? 'malformed';
}
