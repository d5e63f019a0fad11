/**
 * Canonical JSON: object keys sorted recursively (by UTF-16 code unit), no whitespace — one text per
 * value, whoever serialises it. The ledger pointer's hash (fhir/hash.ts) and the sealed wallet's
 * authenticated header depend on it; the gateway imports this very function (@medrec/client/protocol).
 * Built as one string in a single pass (the gatekeeper hashes every answer with it); keys, which
 * repeat across records, are quoted once each.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return primitive(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // A hole is left empty, as Array.prototype.map and join leave it.
      if (i in value) out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    if (out.length > 1) out += ',';
    out += quoted(key) + canonicalJson(member);
  }
  return `${out}}`;
}

function primitive(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number in canonical JSON');
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`${typeof value} has no canonical JSON form`);
  return text;
}

const QUOTED_KEYS = new Map<string, string>();
const MAX_QUOTED_KEYS = 4_096;

/** `"key":`, remembered for the few hundred element names records use. */
function quoted(key: string): string {
  let text = QUOTED_KEYS.get(key);
  if (text === undefined) {
    text = `${JSON.stringify(key)}:`;
    if (QUOTED_KEYS.size < MAX_QUOTED_KEYS) QUOTED_KEYS.set(key, text);
  }
  return text;
}
