/**
 * A benchmark that fails says so: a non-zero exit and, as its last line, its JSON line naming the
 * step that failed. bench:fabric used to exit 0 (fabric-contract-api logs uncaught errors and goes on).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const fabricBench = fileURLToPath(new URL('../../bench/fabric.js', import.meta.url));

t.test('bench:fabric without a network: exit 1 and a JSON line saying what failed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-bench-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = spawnSync(process.execPath, [fabricBench], { env: { ...process.env, FABRIC_DATA: dir }, encoding: 'utf8', timeout: 120_000 });
  t.equal(run.status, 1, 'a non-zero exit');
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  const line = JSON.parse(last) as Record<string, unknown>;
  t.match(line, { bench: 'fabric', ok: false, failed: 'read the network' }, 'the JSON line names the failed step');
  t.match(line.error, /network\.json/, 'and the error');
  t.match(run.stderr, /bench:fabric failed \(read the network\)/, 'the stack goes to stderr');
});
