import mssql from 'mssql';
import {
  CHANGE_SINCE_PARAM,
  EhrUnavailableError,
  PATIENT_KEY_PARAM,
  PROBE_PATIENT_KEY,
  toChange,
  UnknownCategoryError,
  UntrackedCategoryError,
  type Change,
  type EhrStore,
  type Row,
} from '../../../ports/ehr.js';
import { checkPatientKey, MAX_PATIENT_KEY, toRow } from '../row.js';
import { poolConfig, type MssqlTarget } from './config.js';
import { LazyPool } from './lazy-pool.js';

/** The parts of an mssql ConnectionPool the store uses (a unit test may stand in for it). */
export interface MssqlPoolLike {
  connect(): Promise<unknown>;
  request(): MssqlRequestLike;
  close(): Promise<void>;
}
export interface MssqlRequestLike {
  input(name: string, type: unknown, value: unknown): unknown;
  query(command: string): Promise<{ recordset: Record<string, unknown>[] }>;
}

/** Driver error codes that mean "the server did not answer", as opposed to a bad query. */
const UNAVAILABLE_CODES = new Set(['ETIMEOUT', 'ESOCKET', 'ECONNCLOSED', 'ENOTOPEN', 'ELOGIN', 'EINSTLOOKUP', 'ECANCEL', 'ENOCONN']);

/**
 * A hospital's SQL Server EHR database through a pooled mssql connection. The T-SQL comes from the
 * mapping file; the patient key is always sent as the typed parameter @patientKey (NVARCHAR(64)).
 * The connection is opened on first use and re-tried after a failure, so a database that comes back
 * is picked up without a restart.
 */
export class MssqlEhrStore implements EhrStore {
  readonly kind = 'mssql' as const;
  private readonly lazy: LazyPool;

  constructor(
    private readonly pool: MssqlPoolLike,
    private readonly queries: Readonly<Record<string, string>>,
    /** Each followed category's change query (T-SQL bound to @since, a BIGINT: CHANGETABLE's or a rowversion's version). */
    private readonly changeQueries: Readonly<Record<string, string>> = {},
  ) {
    this.lazy = new LazyPool(pool);
  }

  static open(target: MssqlTarget, queries: Readonly<Record<string, string>>, changeQueries: Readonly<Record<string, string>> = {}): MssqlEhrStore {
    return new MssqlEhrStore(new mssql.ConnectionPool(poolConfig(target)), queries, changeQueries);
  }

  async changes(category: string, since: number): Promise<Change[]> {
    const sqlText = Object.hasOwn(this.changeQueries, category) ? this.changeQueries[category] : undefined;
    if (sqlText === undefined) throw new UntrackedCategoryError(category);
    await this.ready();
    try {
      const request = this.pool.request();
      request.input(CHANGE_SINCE_PARAM, mssql.BigInt, since);
      const result = await request.query(sqlText);
      return result.recordset.map(toChange);
    } catch (err) {
      throw classify(err);
    }
  }

  async query(category: string, patientKey: string): Promise<Row[]> {
    const sqlText = Object.hasOwn(this.queries, category) ? this.queries[category] : undefined;
    if (sqlText === undefined) throw new UnknownCategoryError(category);
    checkPatientKey(patientKey);
    if (patientKey.length > MAX_PATIENT_KEY) return [];
    await this.ready();
    try {
      const request = this.pool.request();
      request.input(PATIENT_KEY_PARAM, mssql.NVarChar(MAX_PATIENT_KEY), patientKey);
      const result = await request.query(sqlText);
      return result.recordset.map(toRow);
    } catch (err) {
      throw classify(err);
    }
  }

  async ping(): Promise<void> {
    await this.ready();
    for (const sqlText of Object.values(this.queries)) {
      try {
        const request = this.pool.request();
        request.input(PATIENT_KEY_PARAM, mssql.NVarChar(MAX_PATIENT_KEY), PROBE_PATIENT_KEY);
        await request.query(sqlText);
      } catch (err) {
        // A probe that cannot read a mapped table (dropped, locked past the timeout) means not ready.
        const failure = classify(err);
        throw failure instanceof EhrUnavailableError ? failure : new EhrUnavailableError('a mapped table of the SQL Server EHR cannot be read', { cause: err });
      }
    }
  }

  close(): Promise<void> {
    return this.lazy.close();
  }

  private ready(): Promise<unknown> {
    return this.lazy.ready();
  }
}

/** Connection and timeout errors as EhrUnavailableError (503); a broken query as it is. */
export function classify(err: unknown): unknown {
  const { name, code } = err as { name?: unknown; code?: unknown };
  if (name === 'ConnectionError' || (typeof code === 'string' && UNAVAILABLE_CODES.has(code))) {
    return new EhrUnavailableError(`SQL Server EHR database unavailable (${String(code ?? name)})`, { cause: err });
  }
  return err;
}
