import { MssqlResearchStore } from '../adapters/ehr/mssql/research.js';
import { SqliteResearchStore } from '../adapters/ehr/sqlite/research.js';
import type { ResearchStore } from '../ports/research.js';
import { loadMapping } from '../services/records/mapping.js';
import { RESEARCH_QUERIES, ResearchCatalogue, storeName, type ResearchQueryName } from '../services/research/catalogue.js';
import { MappingError } from '../services/records/mapping.js';
import { ConfigError, type HospitalConfig } from './config.js';
import { sqliteFileOf } from './ehr.js';

/**
 * A hospital's aggregate catalogue (the `research` section of its mapping file) and the EHR store
 * its queries run on, the same database the records come from. Absent section: no research answers.
 * On SQLite the columns each query returns are checked at start; on SQL Server at every answer.
 */
export function openResearch(hospital: HospitalConfig): { catalogue: ResearchCatalogue | null; store: ResearchStore | null } {
  const mapping = loadMapping(hospital.ehr.mappingFile);
  const catalogue = ResearchCatalogue.of(mapping, hospital.ehr.mappingFile);
  if (!catalogue) return { catalogue: null, store: null };
  if (hospital.ehr.adapter === 'mssql') {
    if (!hospital.ehr.mssql) throw new ConfigError(`${hospital.mspId}: ehr.mssql.url is required for the mssql adapter`);
    return { catalogue, store: MssqlResearchStore.open(hospital.ehr.mssql, catalogue.queries('mssql')) };
  }
  const store = new SqliteResearchStore(sqliteFileOf(hospital), catalogue.queries('sqlite'));
  const problems = (Object.keys(RESEARCH_QUERIES) as ResearchQueryName[]).flatMap((name) => {
    const columns = store.columns(storeName(name));
    const wanted: readonly string[] = RESEARCH_QUERIES[name].columns;
    return columns && (columns.length !== wanted.length || !columns.every((c) => wanted.includes(c)))
      ? [`/research: the ${name} query must return exactly ${wanted.join(', ')} (it returns ${columns.join(', ')})`]
      : [];
  });
  if (problems.length > 0) {
    void store.close();
    throw new MappingError(hospital.ehr.mappingFile, problems);
  }
  return { catalogue, store };
}
