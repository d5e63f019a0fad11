/** The gatekeeper's view of a hospital's own EHR database (SQL Server in production, SQLite embedded). */

export type SqlValue = string | number | null;
export type Row = Record<string, SqlValue>;

export interface EhrStore {
  readonly kind: 'sqlite' | 'mssql';
  /**
   * Runs the hospital's configured, parameterised query for one record category of one local patient.
   * The SQL comes from the hospital's mapping file, never from a request or the ledger.
   */
  query(category: string, patientKey: string): Promise<Row[]>;
  /**
   * Readiness probe: runs every mapped query for a patient key no chart has, so a missing, renamed
   * or locked table makes the store unready (a bare `SELECT 1` would not notice). Rejects with
   * EhrUnavailableError, quickly.
   */
  ping(): Promise<void>;
  /**
   * What changed in one category since a version: the mapping's change query (its `changes`), bound
   * to `@since`, answers each changed row as its version and its patient's local key. Versions only
   * grow (a change log's sequence, SQL Server's change tracking version), so the largest one seen is
   * the next `since`.
   */
  changes(category: string, since: number): Promise<Change[]>;
  close(): Promise<void>;
}

/** A row of a category changed (inserted, updated or, where the mechanism sees it, deleted) for this patient. */
export interface Change {
  version: number;
  patientKey: string;
}

/** The named parameter every change query binds the last version seen to (`@since`). */
export const CHANGE_SINCE_PARAM = 'since';

/** The category has no change query in the mapping: the watcher cannot follow it. */
export class UntrackedCategoryError extends Error {
  constructor(readonly category: string) {
    super(`the mapping declares no change query for ${JSON.stringify(String(category).slice(0, 64))}`);
    this.name = 'UntrackedCategoryError';
  }
}

/** A change query's rows as Changes: a version and a patient key each, or the mapping is wrong. */
export function toChange(row: Record<string, unknown>): Change {
  const version = Number(row.version);
  const patientKey = row.patientKey;
  if (!Number.isSafeInteger(version) || typeof patientKey !== 'string') {
    throw new Error('a change query must answer the columns version (an integer) and patientKey (text)');
  }
  return { version, patientKey };
}

/** The patient key readiness probes look up: no MRN can be this (they are letters, digits and "-"). */
export const PROBE_PATIENT_KEY = '\u0000medrec-ready-probe';

/** The one named parameter every mapped query binds the patient's local key to (`@patientKey`). */
export const PATIENT_KEY_PARAM = 'patientKey';

/** A category this hospital does not serve (or no category at all): the caller answers 4xx. */
export class UnknownCategoryError extends Error {
  readonly code = 'UNKNOWN_CATEGORY';
  constructor(readonly category: string) {
    super(`unknown record category ${JSON.stringify(String(category).slice(0, 64))}`);
    this.name = 'UnknownCategoryError';
  }
}

/** The database could not be reached or timed out: the gatekeeper answers 503. */
export class EhrUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EhrUnavailableError';
  }
}
