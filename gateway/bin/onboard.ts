/**
 * npm run onboard -- <panel file> --gateway <url> --user <hospital admin> --out <letters.csv>
 *   [--batch <n>] [--ttl-days <n>] [--job <id>]
 *
 * Uploads a patient panel (.csv, FHIR Bundle .json, Bulk Data .ndjson) as the hospital admin, shows
 * the job's progress, prints each refused row with its problem code, and writes the letter-merge CSV
 * of activation codes to --out (0600). With --job it follows an existing job instead of uploading.
 * The password comes from $MEDREC_PASSWORD or the first line of stdin. Exit 0 when every row was
 * onboarded (or already was), 3 when some rows were refused, 2 on an error.
 */
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { CliProblem, Session, readPassword, run } from './cli-http.js';

interface Job {
  id: string;
  state: 'running' | 'done';
  rows: number;
  pending: number;
  registered: number;
  existing: number;
  failed: number;
}

const TYPES: Record<string, string> = { '.csv': 'text/csv', '.json': 'application/fhir+json', '.ndjson': 'application/fhir+ndjson' };

function bar(job: Job): string {
  const done = job.rows - job.pending;
  const width = 30;
  const filled = job.rows === 0 ? width : Math.round((done / job.rows) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${job.rows} (registered ${job.registered}, existing ${job.existing}, refused ${job.failed})`;
}

run(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      gateway: { type: 'string' },
      user: { type: 'string', default: 'hospital-admin' },
      out: { type: 'string' },
      batch: { type: 'string' },
      'ttl-days': { type: 'string' },
      job: { type: 'string' },
      'poll-ms': { type: 'string', default: '500' },
    },
  });
  if (!values.gateway || !values.out || (!values.job && positionals.length !== 1)) {
    throw new CliProblem('USAGE', 'npm run onboard -- <panel file> --gateway <url> --user <admin> --out <letters.csv> [--batch n] [--ttl-days n] [--job id]');
  }
  const session = await Session.open(values.gateway, values.user!, await readPassword());
  let job: Job;
  if (values.job) job = await session.json<Job>('GET', `/admin/panels/${values.job}`);
  else {
    const file = positionals[0]!;
    const type = TYPES[extname(file).toLowerCase()];
    if (!type) throw new CliProblem('PANEL_TYPE', 'the panel file must end in .csv, .json (FHIR Bundle) or .ndjson');
    const query = new URLSearchParams({ ...(values.batch ? { batchSize: values.batch } : {}), ...(values['ttl-days'] ? { ttlDays: values['ttl-days'] } : {}) });
    job = await session.json<Job>('POST', `/admin/panels${query.size ? `?${query}` : ''}`, { body: readFileSync(file, 'utf8'), type });
  }
  process.stderr.write(`job ${job.id}\n`);
  while (job.state !== 'done') {
    process.stderr.write(`\r${bar(job)}`);
    await new Promise((r) => setTimeout(r, Number(values['poll-ms'])));
    job = await session.json<Job>('GET', `/admin/panels/${job.id}`);
  }
  process.stderr.write(`\r${bar(job)}\n`);
  const errors = await session.json<{ row: number; status: number; code: string; detail: string }[]>('GET', `/admin/panels/${job.id}/errors`);
  for (const e of errors) process.stderr.write(`row ${e.row}: ${e.status} ${e.code}: ${e.detail}\n`);
  const letters = await session.text(`/admin/panels/${job.id}/letters`);
  writeFileSync(values.out, letters, { mode: 0o600 });
  chmodSync(values.out, 0o600);
  process.stdout.write(`${JSON.stringify({ ...job, letters: values.out })}\n`);
  return errors.length > 0 ? 3 : 0;
});
