/**
 * Canonical JSON: object keys sorted recursively (by UTF-16 code unit), no whitespace — one text per
 * value, whoever serialises it. The ledger pointer's hash (fhir/hash.ts) and the sealed wallet's
 * authenticated header depend on it; the gateway imports this very function (@medrec/client/protocol).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number in canonical JSON');
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`${typeof value} has no canonical JSON form`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}
