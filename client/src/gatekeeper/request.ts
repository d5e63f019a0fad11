/**
 * Signed gatekeeper requests, made on the device: a compact ES256 JWS whose header carries the
 * requester's certificate (x5c) and whose claims are exactly those gateway/src/services/gatekeeper/claims.ts
 * accepts ({rel, cat, fields, aud, iat, exp, jti}, lifetime ≤ 120 s).
 */
import { CompactSign } from 'jose';
import { base64url, pemToDer, randomBytes, toBase64, utf8ToBytes } from '../bytes.js';
import { WalletError } from '../errors.js';
import type { DeviceKey } from '../keys/device-key.js';

import { DEFAULT_LIFETIME_SECONDS, MAX_LIFETIME_SECONDS, REQUEST_TYP } from './wire.js';

export { DEFAULT_LIFETIME_SECONDS, JOSE_MEDIA_TYPE, MAX_LIFETIME_SECONDS, REQUEST_TYP } from './wire.js';

export interface RequestSpec {
  /** relationship id (64 lowercase hex) */
  rel: string;
  /** FHIR category, e.g. Observation */
  cat: string;
  /** top-level elements wanted; empty = all the requester may see */
  fields: string[];
  /** origin of the gatekeeper that will answer (the relationship's endpoint) */
  aud: string;
}

export interface RequestClaims extends RequestSpec {
  iat: number;
  exp: number;
  jti: string;
}

export interface SignedRequest {
  jws: string;
  claims: RequestClaims;
}

export interface SignOptions {
  nowSeconds?: number;
  lifetimeSeconds?: number;
  jti?: string;
}

/** Signs a compact JWS with the device key, header `{alg: ES256, typ, x5c: [certificate]}`. */
export async function signJws(
  key: DeviceKey,
  certificatePem: string,
  typ: string,
  claims: Record<string, unknown>,
): Promise<string> {
  return new CompactSign(utf8ToBytes(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', typ, x5c: [toBase64(pemToDer(certificatePem))] })
    .sign(await key.signingKey());
}

/** Timestamps and a fresh jti for a short-lived signed token. */
export function freshClaims(options: SignOptions = {}): { iat: number; exp: number; jti: string } {
  const lifetime = options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_LIFETIME_SECONDS) {
    throw new WalletError('INVALID_ARGUMENT', `a signed request lives 1-${MAX_LIFETIME_SECONDS} seconds`);
  }
  const iat = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  return { iat, exp: iat + lifetime, jti: options.jti ?? base64url.encode(randomBytes(18)) };
}

export async function signRequest(
  key: DeviceKey,
  certificatePem: string,
  spec: RequestSpec,
  options: SignOptions = {},
): Promise<SignedRequest> {
  const claims: RequestClaims = { rel: spec.rel, cat: spec.cat, fields: [...spec.fields], aud: spec.aud, ...freshClaims(options) };
  return { jws: await signJws(key, certificatePem, REQUEST_TYP, { ...claims }), claims };
}
