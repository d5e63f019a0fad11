/**
 * A hospital's patient panel as uploaded: CSV (a header with `mrn`, optionally `national_id`) or FHIR
 * Patient resources (a Bundle, or Bulk Data NDJSON), read into rows of the chart's MRN and, when
 * the panel states it, the person's national id — which must then be the chart's own identifier.
 * A row that cannot be read is an error of that row; a panel that cannot be read at all is refused.
 */
import { badRequest } from '../problem.js';

export type PanelFormat = 'csv' | 'fhir-bundle' | 'ndjson';

/** One row: its 1-based number in the panel, and what it says or why it cannot be used. */
export type PanelRow = { row: number; mrn: string; nationalId?: string } | { row: number; error: RowError };

export interface RowError {
  code: 'ROW_MALFORMED' | 'MRN_MISSING' | 'DUPLICATE_ROW';
  detail: string;
}

const malformed = (detail: string) => badRequest('PANEL_MALFORMED', detail);
/** An MRN as the EHRs here write them: letters, digits, dot, dash, underscore. */
const MRN = /^[A-Za-z0-9._-]{1,64}$/;
/** FHIR's identifier type codes (v2-0203): MR the medical record number, NI the national id. */
const MR = 'MR';
const NI = 'NI';

/** RFC 4180 fields: commas, double quotes escaped by doubling, CRLF or LF records. */
function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  const endRecord = () => {
    record.push(field);
    records.push(record);
    record = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
    } else field += c;
  }
  if (quoted) throw malformed('the CSV ends inside a quoted field');
  if (field !== '' || record.length > 0) endRecord();
  return records.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

function fromCsv(text: string): PanelRow[] {
  const [header, ...records] = csvRecords(text);
  const columns = (header ?? []).map((h) => h.trim().toLowerCase());
  const mrnAt = columns.indexOf('mrn');
  if (mrnAt < 0) throw malformed('the CSV header names no `mrn` column');
  const niAt = columns.indexOf('national_id');
  return records.map((r, i) => {
    const row = i + 1;
    if (r.length !== columns.length) return { row, error: { code: 'ROW_MALFORMED', detail: `${r.length} fields where the header has ${columns.length}` } };
    return rowOf(row, r[mrnAt]!, niAt >= 0 ? r[niAt] : undefined);
  });
}

interface Identifier {
  type?: { coding?: { code?: unknown }[] };
  value?: unknown;
}

function identifierOf(patient: { identifier?: Identifier[] }, code: string): string | undefined {
  const found = patient.identifier?.find((id) => id.type?.coding?.some((c) => c.code === code));
  return typeof found?.value === 'string' ? found.value : undefined;
}

function fromPatient(row: number, resource: unknown): PanelRow {
  const patient = resource as { resourceType?: unknown; identifier?: Identifier[] } | null;
  if (!patient || typeof patient !== 'object' || patient.resourceType !== 'Patient' || (patient.identifier !== undefined && !Array.isArray(patient.identifier))) {
    return { row, error: { code: 'ROW_MALFORMED', detail: 'not a FHIR Patient resource' } };
  }
  return rowOf(row, identifierOf(patient, MR) ?? '', identifierOf(patient, NI));
}

function rowOf(row: number, mrn: string, nationalId: string | undefined): PanelRow {
  const m = mrn.trim();
  if (m === '') return { row, error: { code: 'MRN_MISSING', detail: 'the row names no MRN (CSV `mrn`, or a Patient identifier of type MR)' } };
  if (!MRN.test(m)) return { row, error: { code: 'ROW_MALFORMED', detail: 'the MRN holds characters no chart number has' } };
  const ni = nationalId?.trim();
  return ni ? { row, mrn: m, nationalId: ni } : { row, mrn: m };
}

function fromBundle(text: string): PanelRow[] {
  let bundle: { resourceType?: unknown; entry?: { resource?: unknown }[] };
  try {
    bundle = JSON.parse(text) as typeof bundle;
  } catch {
    throw malformed('the body is not JSON');
  }
  if (bundle?.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) throw malformed('expected a FHIR Bundle with entries of Patient resources');
  return bundle.entry.map((e, i) => fromPatient(i + 1, e?.resource));
}

function fromNdjson(text: string): PanelRow[] {
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), row: i + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, row }) => {
      try {
        return fromPatient(row, JSON.parse(line));
      } catch {
        return { row, error: { code: 'ROW_MALFORMED', detail: 'the line is not JSON' } as RowError };
      }
    });
}

/** The format a request's Content-Type announces, or undefined when it is none of a panel's. */
export function panelFormat(contentType: string | undefined): PanelFormat | undefined {
  const type = contentType?.split(';')[0]!.trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'application/fhir+json' || type === 'application/json') return 'fhir-bundle';
  if (type === 'application/fhir+ndjson' || type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
  return undefined;
}

/** Reads a panel; a second row for the same MRN is an error of that row (the first one stands). */
export function parsePanel(format: PanelFormat, text: string): PanelRow[] {
  const rows = format === 'csv' ? fromCsv(text) : format === 'ndjson' ? fromNdjson(text) : fromBundle(text);
  if (rows.length === 0) throw malformed('the panel holds no rows');
  const seen = new Set<string>();
  return rows.map((r) => {
    if ('error' in r) return r;
    if (seen.has(r.mrn)) return { row: r.row, error: { code: 'DUPLICATE_ROW', detail: 'an earlier row of this panel names the same MRN' } };
    seen.add(r.mrn);
    return r;
  });
}
