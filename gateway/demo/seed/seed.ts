import type { EhrTarget } from '../../src/adapters/ehr/target.js';
import { writeMssqlDataset } from './mssql-writer.js';
import { writeSqliteDataset } from './sqlite-writer.js';
import { hospital1Dataset } from './hospital1.js';
import { hospital2Dataset } from './hospital2.js';
import { DEFAULT_SEED, demoPatients, type DemoPatient } from './population.js';
import type { Dataset } from './tables.js';

/** Where to seed: the same target description the gateway opens its EHR store with. */
export type SeedTarget = EhrTarget;

export interface SeedOptions {
  /** patients per hospital (default 50) */
  patients?: number;
  /** PRNG seed: the same seed gives the same database */
  seed?: string;
}

export interface SeedResult {
  hospital: string;
  patients: DemoPatient[];
  rows: Record<string, number>;
}

const BUILDERS: Record<string, (patients: DemoPatient[], seed: string) => Dataset> = {
  hospital1: hospital1Dataset,
  hospital2: hospital2Dataset,
  hospital3: (patients, seed) => hospital1Dataset(patients, seed, 'hospital3'),
};

/** The demo hospital's complete synthetic database as rows, without writing anything. */
export function generateDataset(hospital: string, options: SeedOptions = {}): Dataset {
  const build = BUILDERS[hospital];
  if (!build) throw new Error(`no demo hospital ${hospital} (known: ${Object.keys(BUILDERS).join(', ')})`);
  return build(demoPatients(hospital, options), options.seed ?? DEFAULT_SEED);
}

/** Creates (or replaces) a demo hospital's EHR database with synthetic patients. */
export async function seedHospital(hospital: string, target: SeedTarget, options: SeedOptions = {}): Promise<SeedResult> {
  const dataset = generateDataset(hospital, options);
  if (target.kind === 'sqlite') writeSqliteDataset(target.file, dataset);
  else await writeMssqlDataset(target, dataset);
  return {
    hospital,
    patients: demoPatients(hospital, options),
    rows: Object.fromEntries(dataset.tables.map((t) => [t.spec.name, t.rows.length])),
  };
}
