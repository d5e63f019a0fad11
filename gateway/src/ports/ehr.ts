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
  close(): Promise<void>;
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
