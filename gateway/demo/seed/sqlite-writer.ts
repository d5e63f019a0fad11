import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { changeTracking, ddl, type Dataset } from './tables.js';

/**
 * Writes a demo hospital's database as a fresh SQLite file. Built beside the target and renamed into
 * place, so a gateway reading the old file never sees a half-seeded one.
 */
export function writeSqliteDataset(file: string, dataset: Dataset): void {
  mkdirSync(dirname(file), { recursive: true });
  const building = `${file}.seeding-${process.pid}`;
  rmSync(building, { force: true });
  const db = new Database(building);
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('foreign_keys = ON');
    db.transaction(() => {
      for (const { spec, rows } of dataset.tables) {
        for (const statement of ddl(spec, 'sqlite')) db.exec(statement);
        const names = spec.columns.map((c) => c.name);
        const insert = db.prepare(`INSERT INTO ${spec.name} (${names.join(', ')}) VALUES (${names.map((n) => `@${n}`).join(', ')})`);
        for (const row of rows) insert.run(row);
      }
      for (const statement of changeTracking(dataset, 'sqlite').tables) db.exec(statement);
    })();
  } catch (err) {
    db.close();
    rmSync(building, { force: true });
    throw err;
  }
  db.close();
  for (const suffix of ['-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
  renameSync(building, file);
}
