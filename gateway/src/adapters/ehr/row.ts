import type { Row, SqlValue } from '../../ports/ehr.js';

/** Driver values (Date, boolean, bigint, Buffer) as the port's plain scalars, the same from every adapter. */
export function toRow(record: Record<string, unknown>): Row {
  const row: Row = {};
  for (const [name, value] of Object.entries(record)) row[name] = toSqlValue(value);
  return row;
}

function toSqlValue(value: unknown): SqlValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return String(value);
}

/** Patient keys longer than this cannot exist (the schema's key columns are NVARCHAR(64)). */
export const MAX_PATIENT_KEY = 64;

export function checkPatientKey(patientKey: unknown): asserts patientKey is string {
  if (typeof patientKey !== 'string') throw new TypeError('patientKey must be a string');
}
