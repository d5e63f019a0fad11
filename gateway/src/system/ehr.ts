import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MssqlEhrStore } from '../adapters/ehr/mssql/store.js';
import { SqliteEhrStore } from '../adapters/ehr/sqlite/store.js';
import type { EhrTarget } from '../adapters/ehr/target.js';
import type { EhrStore } from '../ports/ehr.js';
import { changeQueriesFor, loadMapping, queriesFor, type HospitalMapping } from '../services/records/mapping.js';
import { RecordService } from '../services/records/records.js';
import { ConfigError, type HospitalConfig } from './config.js';

/** Creates a demo hospital's EHR database (injected by the entry point: the product ships no demo data). */
export type EhrSeeder = (dataSet: string, target: EhrTarget) => Promise<void>;

/** The EHR store a hospital's configuration names, built with that hospital's mapped queries. */
export function openEhrStore(mapping: HospitalMapping, target: EhrTarget): EhrStore {
  return target.kind === 'sqlite'
    ? new SqliteEhrStore(target.file, queriesFor(mapping, 'sqlite'), {}, changeQueriesFor(mapping, 'sqlite'))
    : MssqlEhrStore.open(target, queriesFor(mapping, 'mssql'), changeQueriesFor(mapping, 'mssql'));
}

/** Where an embedded hospital's SQLite EHR lives. */
export function sqliteFileOf(hospital: HospitalConfig): string {
  return hospital.ehr.sqliteFile ?? join(hospital.dataDir, 'ehr.sqlite');
}

/** The EHR port of one hospital and the record service over it; an absent demo database is seeded first. */
export interface OpenedEhr {
  ehr: EhrStore;
  records: RecordService;
  /** The mapping's chart identifier, for proving a chart is a participant's before linking them. */
  chart: HospitalMapping['chartIdentifier'];
  /** The categories whose changes the mapping says how to detect (the pointer watcher follows them). */
  tracked: string[];
}

export async function openEhr(hospital: HospitalConfig, seed?: EhrSeeder): Promise<OpenedEhr> {
  const mapping = loadMapping(hospital.ehr.mappingFile);
  if (hospital.ehr.adapter === 'mssql') {
    if (!hospital.ehr.mssql) throw new ConfigError(`${hospital.mspId}: ehr.mssql.url is required for the mssql adapter`);
    const ehr = openEhrStore(mapping, { kind: 'mssql', ...hospital.ehr.mssql });
    return { ehr, records: new RecordService(ehr, mapping), chart: mapping.chartIdentifier, tracked: Object.keys(changeQueriesFor(mapping, 'mssql')) };
  }
  const file = sqliteFileOf(hospital);
  if (!existsSync(file)) {
    if (!hospital.ehr.demoSeed || !seed) throw new ConfigError(`${hospital.mspId}: no EHR database at ${file}`);
    mkdirSync(dirname(file), { recursive: true });
    await seed(hospital.ehr.demoSeed, { kind: 'sqlite', file });
  }
  const ehr = openEhrStore(mapping, { kind: 'sqlite', file });
  return { ehr, records: new RecordService(ehr, mapping), chart: mapping.chartIdentifier, tracked: Object.keys(changeQueriesFor(mapping, 'sqlite')) };
}
