import { isCategory, isField, type Category } from '@medrec/chaincode/domain';
import { MAX_LIFETIME_SECONDS } from '@medrec/client/protocol';
import { badRequest, unauthorized } from '../problem.js';

/** What a signed gatekeeper request asks for (docs/DESIGN.md, "Gateway internals"). */
export interface RequestClaims {
  /** relationship id */
  rel: string;
  cat: Category;
  /** top-level elements wanted; empty = every element the requester may see */
  fields: string[];
  /** the gatekeeper's origin: a request made for one gatekeeper is refused by every other */
  aud: string;
  iat: number;
  exp: number;
  jti: string;
}

/** Tolerated clock drift between hospitals, for `iat` only; `exp` is never extended. */
export const CLOCK_SKEW_SECONDS = 5;
const MAX_FIELDS = 64;
const CLAIM_NAMES = ['rel', 'cat', 'fields', 'aud', 'iat', 'exp', 'jti'];
const HEX64 = /^[0-9a-f]{64}$/;
const JTI = /^[A-Za-z0-9_-]{16,64}$/;

const invalid = (detail: string) => badRequest('INVALID_CLAIMS', detail);

/**
 * Checks a verified payload: exact shape first (no extra claims, right types), then the names against
 * the chaincode's allowlists, then audience and time. Pure; throws a Problem naming the first fault.
 */
export function parseClaims(payload: unknown, audience: string, nowSeconds: number): RequestClaims {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw invalid('the request payload must be a JSON object');
  }
  const p = payload as Record<string, unknown>;
  const extra = Object.keys(p).filter((k) => !CLAIM_NAMES.includes(k));
  if (extra.length > 0) throw invalid('the request carries claims that are not part of the format');
  const { rel, cat, fields, aud, iat, exp, jti } = p;
  if (typeof rel !== 'string' || typeof cat !== 'string' || typeof aud !== 'string' || typeof jti !== 'string') {
    throw invalid('rel, cat, aud and jti must be strings');
  }
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) throw invalid('iat and exp must be integer seconds');
  if (!Array.isArray(fields) || fields.length > MAX_FIELDS) throw invalid(`fields must be an array of at most ${MAX_FIELDS}`);
  if (!HEX64.test(rel)) throw badRequest('INVALID_RELATIONSHIP_ID', 'rel must be a relationship id (64 lowercase hex)');
  if (!isCategory(cat)) throw badRequest('UNKNOWN_CATEGORY', 'cat must be one of the FHIR record categories');
  if (!fields.every((f) => isField(cat, f))) throw badRequest('UNKNOWN_FIELD', `fields must be ${cat} elements`);
  if (new Set(fields).size !== fields.length) throw invalid('fields names an element twice');
  return { rel, cat, fields: fields as string[], ...checkEnvelope({ aud, iat: iat as number, exp: exp as number, jti }, audience, nowSeconds) };
}

/** What every signed gatekeeper token carries besides its own claims. */
export interface Envelope {
  aud: string;
  iat: number;
  exp: number;
  jti: string;
}

/**
 * The checks every kind of signed gatekeeper token shares, made after its own claims' shape and names
 * (types already checked): the jti's form, the audience, the lifetime and the time.
 */
export function checkEnvelope({ aud, iat, exp, jti }: Envelope, audience: string, nowSeconds: number): Envelope {
  if (!JTI.test(jti)) throw invalid('jti must be 16-64 URL-safe characters');
  if (aud !== audience) throw unauthorized('AUDIENCE_MISMATCH', 'the request was made for another gatekeeper');
  if (exp <= iat || exp - iat > MAX_LIFETIME_SECONDS) {
    throw badRequest('LIFETIME_TOO_LONG', `a request may live at most ${MAX_LIFETIME_SECONDS} seconds`);
  }
  if (iat > nowSeconds + CLOCK_SKEW_SECONDS) throw unauthorized('REQUEST_NOT_YET_VALID', 'iat is in the future');
  if (exp <= nowSeconds) throw unauthorized('REQUEST_EXPIRED', 'the signed request has expired');
  return { aud, iat, exp, jti };
}

/** The envelope as the research requests' claims extend it. */
export type EnvelopeClaims = Envelope;

/** A JSON object holding exactly the claims `names` (no extra ones: nothing rides along unchecked). */
export function claimObject(payload: unknown, names: readonly string[]): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw invalid('the request payload must be a JSON object');
  }
  const p = payload as Record<string, unknown>;
  const extra = Object.keys(p).filter((k) => !names.includes(k));
  if (extra.length > 0) throw invalid('the request carries claims that are not part of the format');
  return p;
}

/** The envelope's types (aud and jti strings, iat and exp integer seconds), then checkEnvelope. */
export function envelope(p: Record<string, unknown>, audience: string, nowSeconds: number): Envelope {
  if (typeof p['aud'] !== 'string' || typeof p['jti'] !== 'string') throw invalid('aud and jti must be strings');
  if (!Number.isSafeInteger(p['iat']) || !Number.isSafeInteger(p['exp'])) throw invalid('iat and exp must be integer seconds');
  const { aud, iat, exp, jti } = p as { aud: string; iat: number; exp: number; jti: string };
  return checkEnvelope({ aud, iat, exp, jti }, audience, nowSeconds);
}

/** A device's proof of its key (login, certificate lookup): exactly `{aud, iat, exp, jti}`. */
export type ProofClaims = Envelope;

/** parseClaims' rules for the claims a device login or certificate lookup carries. */
export function parseProofClaims(payload: unknown, audience: string, nowSeconds: number): ProofClaims {
  return envelope(claimObject(payload, ['aud', 'iat', 'exp', 'jti']), audience, nowSeconds);
}
