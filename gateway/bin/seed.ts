#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { seedHospital, type SeedTarget } from '../demo/seed/seed.js';

/**
 * node gateway/dist/bin/seed.js --hospital hospital1 --out data/hospital1/ehr.db [--patients 50] [--seed s]
 * node gateway/dist/bin/seed.js --hospital hospital1 --mssql [--database medrec_h1]   (uses MEDREC_MSSQL_URL)
 */
const USAGE = 'usage: seed.js --hospital <hospital1|hospital2|hospital3> (--out <file.db> | --mssql [--database <db>]) [--patients N] [--seed S]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      hospital: { type: 'string' },
      out: { type: 'string' },
      mssql: { type: 'boolean', default: false },
      database: { type: 'string' },
      patients: { type: 'string', default: '50' },
      seed: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.hospital || values.mssql === Boolean(values.out)) throw new Error(USAGE);
  const patients = Number(values.patients);
  let target: SeedTarget;
  if (values.mssql) {
    const url = process.env['MEDREC_MSSQL_URL'];
    if (!url) throw new Error('--mssql needs MEDREC_MSSQL_URL (e.g. mssql://sa:secret@localhost:1433/medrec?encrypt=false)');
    target = { kind: 'mssql', url, ...(values.database ? { database: values.database } : {}) };
  } else {
    target = { kind: 'sqlite', file: values.out! };
  }
  const result = await seedHospital(values.hospital, target, { patients, ...(values.seed ? { seed: values.seed } : {}) });
  const where = target.kind === 'sqlite' ? target.file : `SQL Server${values.database ? ` database ${values.database}` : ''}`;
  const total = Object.values(result.rows).reduce((a, b) => a + b, 0);
  process.stdout.write(`seeded ${result.hospital}: ${result.patients.length} synthetic patients, ${total} rows → ${where}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
