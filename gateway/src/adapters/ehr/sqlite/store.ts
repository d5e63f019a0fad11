import Database from 'better-sqlite3';
import { EhrUnavailableError, UnknownCategoryError, type EhrStore, type Row } from '../../../ports/ehr.js';
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

  constructor(file: string, queries: Readonly<Record<string, string>>, options: SqliteEhrOptions = {}) {
    this.db = openReadOnly(file, options.busyTimeoutMs ?? 2000);
    try {
      for (const [category, sql] of Object.entries(queries)) {
        const statement = this.db.prepare(sql);
        if (!statement.reader || !statement.readonly) throw new Error(`the ${category} query is not a read-only SELECT`);
        this.statements.set(category, statement);
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

  async ping(): Promise<void> {
    try {
      this.db.prepare('SELECT 1').get();
    } catch (err) {
      throw unavailable(err);
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** A read-only connection to an existing EHR file (unavailable, not a crash, when it cannot be opened). */
export function openReadOnly(file: string, busyTimeoutMs: number): Database.Database {
  try {
    return new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  } catch (err) {
    throw new EhrUnavailableError(`cannot open SQLite EHR database ${file}`, { cause: err });
  }
}

/** Busy, locked, I/O and closed-connection errors as EhrUnavailableError (503); anything else as it is. */
export function unavailable(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|CORRUPT|NOTADB|FULL|PERM|READONLY)/.test(code)) {
    return new EhrUnavailableError(`SQLite EHR database unavailable (${code})`, { cause: err });
  }
  if (err instanceof TypeError && /database connection is not open/.test(err.message)) {
    return new EhrUnavailableError('SQLite EHR database is closed', { cause: err });
  }
  return err;
}
