/**
 * npm run rotate-index-key -- <charts file> --gateway <url> --user <hospital admin> [--batch <n>] [--complete]
 *
 * Rotates the hospital's external-id index key (docs/privacy.md §2) as its admin: begins the rotation
 * (or keeps the one under way), sends the charts (a .csv with an `mrn` column, or one MRN a line) in
 * batches, each moved in one ledger transaction, with progress on stderr, and with --complete retires
 * the old key at the end. Every step is idempotent: after a crash, run it again with the same file.
 * The password comes from $MEDREC_PASSWORD or the first line of stdin. Exit 0 when done, 2 on an error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliProblem, Session, readPassword, run } from './cli-http.js';

interface Step {
  rekeyed: number;
  present: number;
  absent: number;
  unreadable: number;
}

/** The charts of a file: an `mrn` column of a CSV (its header named), or one MRN a line. */
function charts(text: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const header = lines[0]?.split(',').map((h) => h.trim().toLowerCase()) ?? [];
  const column = header.indexOf('mrn');
  if (column < 0) return [...new Set(lines)];
  return [...new Set(lines.slice(1).map((l) => l.split(',')[column]?.trim() ?? '').filter((m) => m !== ''))];
}

run(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      gateway: { type: 'string' },
      user: { type: 'string', default: 'hospital-admin' },
      batch: { type: 'string', default: '200' },
      complete: { type: 'boolean', default: false },
    },
  });
  const batch = Number(values.batch);
  if (!values.gateway || positionals.length !== 1 || !Number.isInteger(batch) || batch < 1 || batch > 400) {
    throw new CliProblem('USAGE', 'npm run rotate-index-key -- <charts file> --gateway <url> --user <admin> [--batch 1..400] [--complete]');
  }
  const mrns = charts(readFileSync(positionals[0]!, 'utf8'));
  const session = await Session.open(values.gateway, values.user!, await readPassword());
  await session.json('POST', '/admin/index-key/rotation');
  const total: Step = { rekeyed: 0, present: 0, absent: 0, unreadable: 0 };
  for (let i = 0; i === 0 || i < mrns.length; i += batch) {
    const step = await session.json<Step>('POST', '/admin/index-key/rotation/charts', { body: JSON.stringify({ mrns: mrns.slice(i, i + batch) }), type: 'application/json' });
    // Staff and provisioned users are in every step: after the first they come back present.
    for (const k of Object.keys(total) as (keyof Step)[]) total[k] += step[k];
    process.stderr.write(`charts ${Math.min(i + batch, mrns.length)}/${mrns.length}: moved ${total.rekeyed}, already moved ${total.present}, not registered here ${total.absent}, unreadable ${total.unreadable}\n`);
  }
  const { state } = values.complete ? await session.json<{ state: string }>('POST', '/admin/index-key/rotation/complete') : { state: 'rotating' };
  process.stdout.write(`${JSON.stringify({ state, charts: mrns.length, ...total })}\n`);
  return 0;
});
