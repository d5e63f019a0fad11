import type { Row } from './ehr.js';

/**
 * The research side of a hospital's EHR database: the aggregate catalogue's queries (mapping file,
 * `research`), run over the consenting cohort. Every value — the cohort's local keys as a JSON array,
 * codes, dates — is bound as a named parameter; the SQL comes from the mapping file only.
 */
export interface ResearchStore {
  readonly kind: 'sqlite' | 'mssql';
  rows(query: string, params: Readonly<Record<string, string>>): Promise<Row[]>;
  /** The columns a query returns, where the driver knows them before running it (SQLite); else undefined. */
  columns(query: string): string[] | undefined;
  close(): Promise<void>;
}
