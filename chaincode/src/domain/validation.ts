import { isCategory, isField, type Category } from './categories';
import { invalid, MedrecError, type ErrorCode } from './errors';
import { isPurpose } from './purposes';
import { ROLES, type GrantItem, type GrantRequest, type Role } from './types';

export const LIMITS = {
  batchItems: 500,
  batchJsonBytes: 1_048_576,
  grantJsonBytes: 16_384,
  fieldsJsonBytes: 4_096,
  endpointChars: 256,
  enrollmentIdChars: 64,
  fieldsPerCategory: 64,
  /**
   * The consortium's longest grant, in days from the grant's transaction. Consortium-wide, so the
   * chaincode enforces it: changing it is a chaincode upgrade every hospital approves. A gateway may
   * be configured stricter (never looser).
   */
  grantMaxDays: 365,
  maxSeq: Number.MAX_SAFE_INTEGER,
} as const;

const HEX64 = /^[0-9a-f]{64}$/;
const ENROLLMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const SEQ = /^(0|[1-9]\d{0,15})$/;

export function requireString(value: unknown, name: string, maxChars = 1024): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(`${name} is required (a non-empty string)`);
  if (value.length > maxChars) throw invalid(`${name} is longer than ${maxChars} characters`);
  return value;
}

/** 64 lowercase hex: the only shape a hash or pseudonymous id may have, so plain identifiers cannot pass. */
export function requireHex64(value: unknown, name: string): string {
  const s = requireString(value, name, 64);
  if (!HEX64.test(s)) throw invalid(`${name} must be 64 lowercase hex characters`);
  return s;
}

export function requireEnrollmentId(value: unknown): string {
  const s = requireString(value, 'enrollmentId', LIMITS.enrollmentIdChars);
  if (!ENROLLMENT_ID.test(s)) throw invalid('enrollmentId may hold only letters, digits and . _ @ -');
  return s;
}

export function requireRole(value: unknown): Role {
  if (typeof value !== 'string' || !(ROLES as readonly string[]).includes(value)) {
    throw invalid(`role must be one of ${ROLES.join(', ')}`);
  }
  return value as Role;
}

export function requireEndpoint(value: unknown): string {
  const s = requireString(value, 'endpoint', LIMITS.endpointChars);
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw invalid('endpoint must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('endpoint must use http or https');
  if (url.username || url.password) throw invalid('endpoint must not carry credentials');
  if (url.search || url.hash) throw invalid('endpoint must not carry a query or fragment');
  return s;
}

export function requireCategory(value: unknown): Category {
  if (!isCategory(value)) throw invalid('category must be a known FHIR category');
  return value;
}

/** A strict ISO-8601 UTC instant, normalised to `toISOString()` form. */
export function requireIsoDate(value: unknown, name: string): string {
  const s = requireString(value, name, 30);
  const ms = ISO_UTC.test(s) ? Date.parse(s) : NaN;
  const normal = Number.isNaN(ms) ? '' : new Date(ms).toISOString();
  // Date.parse rolls 30 February over into March; a date that does not round-trip does not exist.
  if (normal.slice(0, 19) !== s.slice(0, 19)) throw invalid(`${name} must be an ISO-8601 UTC timestamp`);
  return normal;
}

export function requireSeq(value: unknown, name: string): number {
  const s = requireString(value, name, 16);
  if (!SEQ.test(s) || Number(s) > LIMITS.maxSeq) throw invalid(`${name} must be a non-negative integer`);
  return Number(s);
}

export function parseJson(text: unknown, name: string, maxBytes: number): unknown {
  const s = requireString(text, name, Number.MAX_SAFE_INTEGER);
  if (Buffer.byteLength(s, 'utf8') > maxBytes) throw invalid(`${name} is larger than ${maxBytes} bytes`);
  try {
    return JSON.parse(s);
  } catch {
    throw invalid(`${name} is not valid JSON`);
  }
}

export function requireObject(value: unknown, name: string, allowedKeys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${name} must be an object`);
  const extra = Object.keys(value).filter((k) => !allowedKeys.includes(k));
  // Unknown keys are refused rather than ignored: free text must not ride along to the ledger.
  if (extra.length > 0) throw invalid(`${name} has unknown properties: ${extra.join(', ')}`);
  return value as Record<string, unknown>;
}

export function requireArray(
  value: unknown,
  name: string,
  min: number,
  max: number,
  overflow: ErrorCode = 'INVALID_ARGUMENT',
): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${name} must be an array`);
  if (value.length < min) throw invalid(`${name} must hold at least ${min} item(s)`);
  if (value.length > max) throw new MedrecError(overflow, `${name} holds more than ${max} items`);
  return value;
}

/** Field names of one category: each allowlisted, no duplicates. */
export function requireFields(value: unknown, category: Category, name: string, min: number): string[] {
  const list = requireArray(value, name, min, LIMITS.fieldsPerCategory);
  const seen = new Set<string>();
  for (const f of list) {
    if (!isField(category, f)) throw invalid(`${name} holds a field that ${category} does not allow`);
    if (seen.has(f)) throw invalid(`${name} names a field twice`);
    seen.add(f);
  }
  return [...seen];
}

export function parseFieldsJson(text: unknown, category: Category): string[] {
  return requireFields(parseJson(text, 'fieldsJson', LIMITS.fieldsJsonBytes), category, 'fieldsJson', 0);
}

/** The latest validUntil a grant made at `now` (ISO) may carry. */
export function latestValidUntil(now: string): string {
  return new Date(Date.parse(now) + LIMITS.grantMaxDays * 86_400_000).toISOString();
}

export function parseGrantJson(text: unknown, now: string): GrantRequest {
  const obj = requireObject(parseJson(text, 'grantJson', LIMITS.grantJsonBytes), 'grantJson', ['items', 'validUntil', 'purpose']);
  const rawItems = requireArray(obj.items, 'grantJson.items', 1, 7);
  const seen = new Set<string>();
  const items: GrantItem[] = rawItems.map((raw) => {
    const item = requireObject(raw, 'grant item', ['category', 'fields']);
    const category = requireCategory(item.category);
    if (seen.has(category)) throw invalid('grantJson.items names a category twice');
    seen.add(category);
    return { category, fields: requireFields(item.fields, category, 'grant item fields', 1) };
  });
  const validUntil = requireIsoDate(obj.validUntil, 'validUntil');
  if (validUntil <= now) throw invalid('validUntil must be later than the transaction time');
  if (validUntil > latestValidUntil(now)) throw invalid(`validUntil may be at most ${LIMITS.grantMaxDays} days after the grant`);
  if (!isPurpose(obj.purpose)) throw invalid('purpose must be an HL7 v3 PurposeOfUse code');
  return { items, validUntil, purpose: obj.purpose };
}

export interface RegisterItem {
  externalIdHash: string;
  enrollmentId: string;
  role: Role;
}

export function requireRegisterItem(raw: unknown): RegisterItem {
  const item = requireObject(raw, 'item', ['externalIdHash', 'enrollmentId', 'role']);
  return {
    externalIdHash: requireHex64(item.externalIdHash, 'externalIdHash'),
    enrollmentId: requireEnrollmentId(item.enrollmentId),
    role: requireRole(item.role),
  };
}

export function parseRegisterBatch(text: unknown): RegisterItem[] {
  const list = requireArray(parseJson(text, 'itemsJson', LIMITS.batchJsonBytes), 'itemsJson', 1, LIMITS.batchItems, 'LIMIT_EXCEEDED');
  return list.map(requireRegisterItem);
}

/** One index entry's re-key: the entry under the home's old key and the same person's under its new one. */
export interface RekeyItem {
  oldHash: string;
  newHash: string;
}

export function parseRekeyBatch(text: unknown): RekeyItem[] {
  const list = requireArray(parseJson(text, 'itemsJson', LIMITS.batchJsonBytes), 'itemsJson', 1, LIMITS.batchItems, 'LIMIT_EXCEEDED');
  const seen = new Set<string>();
  return list.map((raw, index) => {
    const item = requireObject(raw, `item ${index}`, ['oldHash', 'newHash']);
    const parsed = { oldHash: requireHex64(item.oldHash, 'oldHash'), newHash: requireHex64(item.newHash, 'newHash') };
    for (const hash of [parsed.oldHash, parsed.newHash]) {
      if (seen.has(hash)) throw invalid(`item ${index}: an index entry appears twice`);
      seen.add(hash);
    }
    return parsed;
  });
}

export interface CreateItem {
  patientId: string;
  endpoint: string;
  pointers: { category: Category; hash: string }[];
}

export function requireCreateItem(raw: unknown): CreateItem {
  const item = requireObject(raw, 'item', ['patientId', 'endpoint', 'pointers']);
  const seen = new Set<string>();
  const pointers = (item.pointers === undefined ? [] : requireArray(item.pointers, 'pointers', 0, 7)).map((p) => {
    const ptr = requireObject(p, 'pointer', ['category', 'hash']);
    const category = requireCategory(ptr.category);
    if (seen.has(category)) throw invalid('pointers name a category twice');
    seen.add(category);
    return { category, hash: requireHex64(ptr.hash, 'hash') };
  });
  return { patientId: requireHex64(item.patientId, 'patientId'), endpoint: requireEndpoint(item.endpoint), pointers };
}

export function parseCreateBatch(text: unknown): CreateItem[] {
  const list = requireArray(parseJson(text, 'itemsJson', LIMITS.batchJsonBytes), 'itemsJson', 1, LIMITS.batchItems, 'LIMIT_EXCEEDED');
  const items = list.map(requireCreateItem);
  const patients = new Set<string>();
  items.forEach((item, index) => {
    // One relationship per patient and hospital: a batch cannot open two.
    if (patients.has(item.patientId)) throw invalid(`item ${index}: patientId appears twice`);
    patients.add(item.patientId);
  });
  return items;
}

/** Patient ids to look up together: 1 to LIMITS.batchItems of them. */
export function parsePatientIds(text: unknown): string[] {
  const list = requireArray(parseJson(text, 'patientIdsJson', LIMITS.batchJsonBytes), 'patientIdsJson', 1, LIMITS.batchItems, 'LIMIT_EXCEEDED');
  return list.map((id, index) => requireHex64(id, `patientIdsJson[${index}]`));
}

export interface PointerItem {
  relationshipId: string;
  category: Category;
  hash: string;
}

/** A batch of pointer updates: at most LIMITS.batchItems, each (relationship, category) once. */
export function parsePointerBatch(text: unknown): PointerItem[] {
  const list = requireArray(parseJson(text, 'itemsJson', LIMITS.batchJsonBytes), 'itemsJson', 1, LIMITS.batchItems, 'LIMIT_EXCEEDED');
  const seen = new Set<string>();
  return list.map((raw, index) => {
    const item = requireObject(raw, 'item', ['relationshipId', 'category', 'sha256']);
    const parsed = { relationshipId: requireHex64(item.relationshipId, 'relationshipId'), category: requireCategory(item.category), hash: requireHex64(item.sha256, 'sha256') };
    const key = `${parsed.relationshipId}/${parsed.category}`;
    if (seen.has(key)) throw invalid(`item ${index}: relationshipId and category appear twice`);
    seen.add(key);
    return parsed;
  });
}
