import type { SqlValue } from '../../src/ports/ehr.js';
import type { Category } from '../../src/services/records/categories.js';
import type { Dialect } from '../../src/services/records/mapping.js';

export type ColumnType = 'int' | 'text' | 'date' | 'datetime' | 'decimal';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** text length (NVARCHAR(n) on SQL Server) */
  length?: number;
  notNull?: boolean;
  unique?: boolean;
  /** foreign key, e.g. "patients(patient_id)" */
  references?: string;
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  primaryKey: string;
  /** the record category this table feeds, and the column linking a row to its patient's primary key */
  feeds?: { category: Category; patientColumn: string };
}

export interface TableData {
  spec: TableSpec;
  rows: Record<string, SqlValue>[];
}

/** A demo hospital's whole database: tables in creation order. */
export interface Dataset {
  hospital: string;
  tables: TableData[];
}

const SQLITE_TYPES: Record<ColumnType, string> = { int: 'INTEGER', text: 'TEXT', date: 'TEXT', datetime: 'TEXT', decimal: 'REAL' };

function mssqlType(column: ColumnSpec): string {
  switch (column.type) {
    case 'int': return 'INT';
    case 'text': return `NVARCHAR(${column.length ?? 200})`;
    case 'date': return 'DATE';
    case 'datetime': return 'DATETIME2(0)';
    case 'decimal': return 'DECIMAL(12,2)';
  }
}

/** SQL Server tables live in the dbo schema, where the mapping files' T-SQL looks for them. */
export function qualified(name: string, dialect: Dialect): string {
  return dialect === 'mssql' ? `dbo.${name}` : name;
}

/** CREATE TABLE (and foreign-key index) statements for one table in one dialect. */
export function ddl(spec: TableSpec, dialect: Dialect): string[] {
  const columns = spec.columns.map((c) => {
    const type = dialect === 'sqlite' ? SQLITE_TYPES[c.type] : mssqlType(c);
    const pk = c.name === spec.primaryKey ? ' PRIMARY KEY' : '';
    const notNull = c.notNull || pk ? ' NOT NULL' : '';
    const unique = c.unique ? ' UNIQUE' : '';
    const fk = c.references ? ` REFERENCES ${qualified(c.references, dialect)}` : '';
    return `  ${c.name} ${type}${notNull}${pk}${unique}${fk}`;
  });
  const table = qualified(spec.name, dialect);
  const statements = [`CREATE TABLE ${table} (\n${columns.join(',\n')}\n)`];
  for (const c of spec.columns.filter((col) => col.references)) {
    statements.push(`CREATE INDEX ix_${spec.name}_${c.name} ON ${table} (${c.name})`);
  }
  return statements;
}

/** The change log the demo SQLite EHRs keep (the pointer watcher's change queries read it). */
export const CHANGE_LOG = 'medrec_changes';

/**
 * How a demo EHR records change, created after the data (seeding is not a change). SQLite: a change
 * log filled by triggers on every table that feeds a category — insert, update and delete, the
 * patient of the old row and of the new one. SQL Server: its own change tracking on those tables
 * (the change queries read CHANGETABLE; the database-level switch is outside any transaction).
 */
export function changeTracking(dataset: Dataset, dialect: Dialect): { database: string[]; tables: string[] } {
  const fed = dataset.tables.filter((t) => t.spec.feeds).map((t) => t.spec);
  if (dialect === 'mssql') {
    return {
      database: [
        `IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_databases WHERE database_id = DB_ID())
           ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON (CHANGE_RETENTION = 14 DAYS, AUTO_CLEANUP = ON)`,
      ],
      tables: fed.map((spec) => `ALTER TABLE ${qualified(spec.name, 'mssql')} ENABLE CHANGE_TRACKING`),
    };
  }
  const log = (tbl: string, row: 'NEW' | 'OLD', column: string) => `INSERT INTO ${CHANGE_LOG} (tbl, patient) VALUES ('${tbl}', ${row}.${column});`;
  const tables = [`CREATE TABLE ${CHANGE_LOG} (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, patient INTEGER NOT NULL)`];
  for (const spec of fed) {
    const column = spec.feeds!.patientColumn;
    tables.push(
      `CREATE TRIGGER ${CHANGE_LOG}_${spec.name}_ins AFTER INSERT ON ${spec.name} BEGIN ${log(spec.name, 'NEW', column)} END`,
      `CREATE TRIGGER ${CHANGE_LOG}_${spec.name}_upd AFTER UPDATE ON ${spec.name} BEGIN ${log(spec.name, 'NEW', column)} ` +
        `INSERT INTO ${CHANGE_LOG} (tbl, patient) SELECT '${spec.name}', OLD.${column} WHERE OLD.${column} IS NOT NEW.${column}; END`,
      `CREATE TRIGGER ${CHANGE_LOG}_${spec.name}_del AFTER DELETE ON ${spec.name} BEGIN ${log(spec.name, 'OLD', column)} END`,
    );
  }
  return { database: [], tables };
}

/** Independent 1, 2, 3… counters by name: primary keys for generated rows. */
export function sequences(): (name: string) => number {
  const values = new Map<string, number>();
  return (name) => {
    const value = (values.get(name) ?? 0) + 1;
    values.set(name, value);
    return value;
  };
}
