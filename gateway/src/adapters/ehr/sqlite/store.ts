import Database from 'better-sqlite3';
import {
  CHANGE_SINCE_PARAM,
  EhrUnavailableError,
  PROBE_PATIENT_KEY,
  toChange,
  UnknownCategoryError,
  UntrackedCategoryError,
  type Change,
  type EhrStore,
  type Row,
} from '../../../ports/ehr.js';
import { checkPatientKey, MAX_PATIENT_KEY, toRow } from '../row.js';

export interface SqliteEhrOptions {
  /** how long a read waits for a writer's lock before the store reports itself unavailable */
  busyTimeoutMs?: number;
}

/**
 * The embedded EHR database: a read-only better-sqlite3 connection with every mapped query prepared
 * once at start (so a broken query stops startup), the patient key always bound as `@patientKey`.
 */
export class SqliteEhrStore implements EhrStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly changeStatements = new Map<string, Database.Statement>();

  constructor(
    file: string,
    queries: Readonly<Record<string, string>>,
    options: SqliteEhrOptions = {},
    /** Each followed category's change query (bound to @since). */
    changeQueries: Readonly<Record<string, string>> = {},
  ) {
    this.db = openReadOnly(file, options.busyTimeoutMs ?? 2000);
    try {
      for (const [category, sql] of Object.entries(queries)) {
        const statement = this.db.prepare(sql);
        if (!statement.reader || !statement.readonly) throw new Error(`the ${category} query is not a read-only SELECT`);
        this.statements.set(category, statement);
      }
      for (const [category, sql] of Object.entries(changeQueries)) {
        const statement = this.db.prepare(sql);
        if (!statement.reader || !statement.readonly) throw new Error(`the ${category} change query is not a read-only SELECT`);
        this.changeStatements.set(category, statement);
      }
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  async query(category: string, patientKey: string): Promise<Row[]> {
    const statement = this.statements.get(category);
    if (!statement) throw new UnknownCategoryError(category);
    checkPatientKey(patientKey);
    if (patientKey.length > MAX_PATIENT_KEY) return [];
    try {
      return (statement.all({ patientKey }) as Record<string, unknown>[]).map(toRow);
    } catch (err) {
      throw unavailable(err);
    }
  }

  async changes(category: string, since: number): Promise<Change[]> {
    const statement = this.changeStatements.get(category);
    if (!statement) throw new UntrackedCategoryError(category);
    let rows: Record<string, unknown>[];
    try {
      rows = statement.all({ [CHANGE_SINCE_PARAM]: since }) as Record<string, unknown>[];
    } catch (err) {
      throw unavailable(err);
    }
    return rows.map(toChange);
  }

  async ping(): Promise<void> {
    // A short wait for a writer's lock: the connection is synchronous, so a probe must not hold the
    // event loop for the whole query timeout.
    let timeout: number | undefined;
    try {
      timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
      this.db.pragma(`busy_timeout = ${PROBE_BUSY_TIMEOUT_MS}`);
      for (const statement of this.statements.values()) statement.all({ patientKey: PROBE_PATIENT_KEY });
    } catch (err) {
      throw unavailable(err, true);
    } finally {
      if (this.db.open && timeout !== undefined) this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

const PROBE_BUSY_TIMEOUT_MS = 200;

/** A read-only connection to an existing EHR file (unavailable, not a crash, when it cannot be opened). */
export function openReadOnly(file: string, busyTimeoutMs: number): Database.Database {
  try {
    return new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  } catch (err) {
    throw new EhrUnavailableError(`cannot open SQLite EHR database ${file}`, { cause: err });
  }
}

/** A store error as the port's EhrUnavailableError (busy, locked, I/O, closed); for a probe, every failure is (a dropped table too). */
export function unavailable(err: unknown, probing = false): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|CORRUPT|NOTADB|FULL|PERM|READONLY)/.test(code)) {
    return new EhrUnavailableError(`SQLite EHR database unavailable (${code})`, { cause: err });
  }
  if (err instanceof TypeError && /database connection is not open/.test(err.message)) {
    return new EhrUnavailableError('SQLite EHR database is closed', { cause: err });
  }
  return probing ? new EhrUnavailableError('a mapped table of the SQLite EHR database cannot be read', { cause: err }) : err;
}
