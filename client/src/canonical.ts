/**
 * Canonical JSON: object keys sorted recursively, no whitespace — one text per value, whoever
 * serialises it. The same rules as the gateway's gateway/src/ehr/canonical.ts (the FHIR hash written
 * in ledger pointers depends on it; a test compares both on seeded records).
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
