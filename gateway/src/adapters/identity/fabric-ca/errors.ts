import type { IdentityError } from '../../../ports/identity.js';

// Fabric CA's error codes (fabric-ca lib/caerrors): what the port's callers can act on.
const CONFLICT = new Set([74 /* already registered */]);
const NOT_FOUND = new Set([63 /* identity not found */, 56 /* no such identity */]);
const FORBIDDEN = new Set([20 /* authentication failure */, 71 /* authorization failure */]);

/** Classifies a fabric-ca-client error message ("... errors [[{"code":74,"message":"..."}]]"). */
export function caErrorCode(message: string): IdentityError['code'] {
  if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|socket hang up|Calling .* endpoint failed/i.test(message)) {
    return 'UNAVAILABLE';
  }
  const codes = [...message.matchAll(/code['"]?\s*:\s*(\d+)/g)].map((m) => Number(m[1]));
  if (codes.some((c) => CONFLICT.has(c))) return 'CONFLICT';
  if (codes.some((c) => NOT_FOUND.has(c))) return 'NOT_FOUND';
  if (codes.some((c) => FORBIDDEN.has(c))) return 'FORBIDDEN';
  if (/already registered/i.test(message)) return 'CONFLICT';
  if (/not authorized|authorization failure|authentication failure/i.test(message)) return 'FORBIDDEN';
  return 'INVALID_ARGUMENT';
}
