import type { HospitalMapping } from '../../ehr/mapping.js';
import { queriesFor } from '../../ehr/mapping.js';
import type { EhrStore } from '../../ports/ehr.js';
import type { MssqlTarget } from './mssql/config.js';
import { MssqlEhrStore } from './mssql/store.js';
import { SqliteEhrStore } from './sqlite/store.js';

export type EhrTarget = { kind: 'sqlite'; file: string } | ({ kind: 'mssql' } & MssqlTarget);

/** The EHR store a hospital's configuration names, built with that hospital's mapped queries. */
export function openEhrStore(mapping: HospitalMapping, target: EhrTarget): EhrStore {
  return target.kind === 'sqlite'
    ? new SqliteEhrStore(target.file, queriesFor(mapping, 'sqlite'))
    : MssqlEhrStore.open(target, queriesFor(mapping, 'mssql'));
}
