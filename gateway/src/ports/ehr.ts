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
  /** Cheap liveness probe for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The database could not be reached or timed out: the gatekeeper answers 503. */
export class EhrUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EhrUnavailableError';
  }
}
