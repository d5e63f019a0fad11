import type { SqlValue } from '../../ports/ehr.js';
import type { FhirValueType } from './mapping.js';

export type FhirScalar = string | number | boolean;

/** A row that the mapping cannot turn into valid FHIR: a configuration bug, never the caller's fault. */
export class EhrMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EhrMappingError';
  }
}

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * One column value as a FHIR primitive. Databases disagree on how dates come back (SQLite: text with
 * or without zone; SQL Server: a UTC instant), so both are normalised to one form: the same record
 * hashes the same whichever adapter served it.
 */
export function toFhirValue(value: SqlValue, type: FhirValueType, where: string): FhirScalar | undefined {
  if (value === null) return undefined;
  switch (type) {
    case 'string':
    case 'code':
    case 'uri': {
      const text = String(value).trim();
      return text === '' ? undefined : text;
    }
    case 'integer': {
      const n = Number(value);
      if (!Number.isSafeInteger(n)) throw new EhrMappingError(`${where}: not an integer`);
      return n;
    }
    case 'decimal': {
      const n = Number(value);
      if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) {
        throw new EhrMappingError(`${where}: not a decimal`);
      }
      return n;
    }
    case 'boolean':
      if (value === 1 || value === '1' || value === 'true' || value === 'Y') return true;
      if (value === 0 || value === '0' || value === 'false' || value === 'N') return false;
      throw new EhrMappingError(`${where}: not a boolean`);
    case 'date': {
      const m = /^(\d{4}-\d{2}-\d{2})/.exec(String(value));
      if (!m) throw new EhrMappingError(`${where}: not a date`);
      return m[1]!;
    }
    case 'dateTime':
      return toDateTime(String(value), where);
  }
}

/** A timestamp as a FHIR instant (meta.lastUpdated): like dateTime, but a bare date is not precise enough. */
export function toInstant(value: SqlValue, where: string): string | undefined {
  if (value === null) return undefined;
  const text = String(value).trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new EhrMappingError(`${where}: not an instant`);
  return toDateTime(text, where);
}

function toDateTime(text: string, where: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
  const m = DATE_TIME.exec(text.trim());
  if (!m) throw new EhrMappingError(`${where}: not a date-time`);
  // A zone-less timestamp is taken as UTC: hospitals store UTC, and local time would make output host-dependent.
  const instant = new Date(`${m[1]}T${m[2]}${m[3] ?? ':00'}${normaliseZone(m[4])}`);
  if (Number.isNaN(instant.getTime())) throw new EhrMappingError(`${where}: not a date-time`);
  return instant.toISOString().replace('.000Z', 'Z');
}

function normaliseZone(zone: string | undefined): string {
  if (!zone || zone === 'Z') return 'Z';
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}
