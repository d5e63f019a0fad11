import type { MssqlTarget } from './mssql/config.js';

/** Where a hospital's EHR database is: what the store is opened on and what a seeder writes to. */
export type EhrTarget = { kind: 'sqlite'; file: string } | ({ kind: 'mssql' } & MssqlTarget);
