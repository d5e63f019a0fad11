import mssql from 'mssql';
import { UnknownCategoryError, type Row } from '../../../ports/ehr.js';
import type { ResearchStore } from '../../../ports/research.js';
import { toRow } from '../row.js';
import { poolConfig, type MssqlTarget } from './config.js';
import { LazyPool } from './lazy-pool.js';
import { classify, type MssqlPoolLike } from './store.js';

/**
 * The research queries on SQL Server, on a pool of their own (a long aggregate never starves the
 * record reads). Every parameter is bound as NVARCHAR(MAX): the cohort is a JSON array the T-SQL reads
 * with OPENJSON, codes a JSON array, dates YYYY-MM-DD.
 */
export class MssqlResearchStore implements ResearchStore {
  readonly kind = 'mssql' as const;
  private readonly lazy: LazyPool;

  constructor(
    private readonly pool: MssqlPoolLike,
    private readonly queries: Readonly<Record<string, string>>,
  ) {
    this.lazy = new LazyPool(pool);
  }

  static open(target: MssqlTarget, queries: Readonly<Record<string, string>>): MssqlResearchStore {
    return new MssqlResearchStore(new mssql.ConnectionPool({ ...poolConfig(target), pool: { max: 2, min: 0, idleTimeoutMillis: 30000 } }), queries);
  }

  async rows(query: string, params: Readonly<Record<string, string>>): Promise<Row[]> {
    const sqlText = Object.hasOwn(this.queries, query) ? this.queries[query] : undefined;
    if (sqlText === undefined) throw new UnknownCategoryError(query);
    await this.lazy.ready();
    try {
      const request = this.pool.request();
      for (const [name, value] of Object.entries(params)) request.input(name, mssql.NVarChar(mssql.MAX), value);
      return (await request.query(sqlText)).recordset.map(toRow);
    } catch (err) {
      throw classify(err);
    }
  }

  columns(): undefined {
    return undefined;
  }

  close(): Promise<void> {
    return this.lazy.close();
  }
}
