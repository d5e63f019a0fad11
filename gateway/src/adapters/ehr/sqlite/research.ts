import Database from 'better-sqlite3';
import { UnknownCategoryError } from '../../../ports/ehr.js';
import type { ResearchStore } from '../../../ports/research.js';
import type { Row } from '../../../ports/ehr.js';
import { toRow } from '../row.js';
import { openReadOnly, unavailable } from './store.js';

/**
 * The research queries on their own read-only connection, each prepared once at start (a broken or
 * writing statement stops startup), so a long aggregate never holds up the record reads.
 */
export class SqliteResearchStore implements ResearchStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(file: string, queries: Readonly<Record<string, string>>) {
    this.db = openReadOnly(file, 2000);
    try {
      for (const [name, sql] of Object.entries(queries)) {
        const statement = this.db.prepare(sql);
        if (!statement.reader || !statement.readonly) throw new Error(`the ${name} query is not a read-only SELECT`);
        this.statements.set(name, statement);
      }
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  async rows(query: string, params: Readonly<Record<string, string>>): Promise<Row[]> {
    const statement = this.statements.get(query);
    if (!statement) throw new UnknownCategoryError(query);
    try {
      return (statement.all(params) as Record<string, unknown>[]).map(toRow);
    } catch (err) {
      throw unavailable(err);
    }
  }

  columns(query: string): string[] | undefined {
    return this.statements.get(query)?.columns().map((c) => c.name);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
