import mssql from 'mssql';
import type { SqlValue } from '../../src/ports/ehr.js';
import { EhrUnavailableError } from '../../src/ports/ehr.js';
import { changeTracking, ddl, qualified, type ColumnSpec, type Dataset } from './tables.js';
import { poolConfig, type MssqlTarget } from '../../src/adapters/ehr/mssql/config.js';

/** SQL Server accepts at most 2100 parameters per request and 1000 rows per VALUES list. */
const MAX_PARAMS = 2000;
const MAX_ROWS = 1000;

/**
 * (Re)creates a demo hospital's tables in a SQL Server database and fills them, in one transaction:
 * either the whole demo database is there or the old one is untouched.
 */
export async function writeMssqlDataset(target: MssqlTarget, dataset: Dataset): Promise<void> {
  const pool = new mssql.ConnectionPool(poolConfig({ ...target, requestTimeoutMs: target.requestTimeoutMs ?? 120_000 }));
  try {
    await pool.connect();
  } catch (err) {
    throw new EhrUnavailableError('SQL Server unreachable for seeding', { cause: err });
  }
  try {
    const tracking = changeTracking(dataset, 'mssql');
    for (const statement of tracking.database) await pool.request().batch(statement);
    const tx = new mssql.Transaction(pool);
    await tx.begin();
    try {
      for (const { spec } of [...dataset.tables].reverse()) await new mssql.Request(tx).batch(`DROP TABLE IF EXISTS ${qualified(spec.name, 'mssql')}`);
      for (const { spec, rows } of dataset.tables) {
        for (const statement of ddl(spec, 'mssql')) await new mssql.Request(tx).batch(statement);
        const perChunk = Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / spec.columns.length));
        for (let start = 0; start < rows.length; start += perChunk) {
          const request = new mssql.Request(tx);
          const chunk = rows.slice(start, start + perChunk);
          const values = chunk.map((row, r) => {
            const params = spec.columns.map((column, c) => {
              request.input(`p${r}_${c}`, mssqlType(column), mssqlValue(column, row[column.name] ?? null));
              return `@p${r}_${c}`;
            });
            return `(${params.join(', ')})`;
          });
          await request.query(`INSERT INTO ${qualified(spec.name, 'mssql')} (${spec.columns.map((c) => c.name).join(', ')}) VALUES ${values.join(', ')}`);
        }
      }
      for (const statement of tracking.tables) await new mssql.Request(tx).batch(statement);
      await tx.commit();
    } catch (err) {
      await tx.rollback().catch(() => undefined);
      throw err;
    }
  } finally {
    await pool.close();
  }
}

function mssqlType(column: ColumnSpec): mssql.ISqlType | (() => mssql.ISqlType) {
  switch (column.type) {
    case 'int': return mssql.Int;
    case 'text': return mssql.NVarChar(column.length ?? 200);
    case 'date': return mssql.Date;
    case 'datetime': return mssql.DateTime2(0);
    case 'decimal': return mssql.Decimal(12, 2);
  }
}

function mssqlValue(column: ColumnSpec, value: SqlValue): unknown {
  if (value === null) return null;
  if (column.type === 'date') return new Date(`${String(value).slice(0, 10)}T00:00:00Z`);
  if (column.type === 'datetime') {
    const text = String(value).replace(' ', 'T');
    return new Date(/Z|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text}Z`);
  }
  return value;
}
