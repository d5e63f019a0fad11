/**
 * A benchmark that fails says so: a non-zero exit and, as its last line, its JSON line naming the
 * step that failed. bench:fabric used to exit 0 (fabric-contract-api logs uncaught errors and goes on),
 * and so could the others until each ran through runBench.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';

const bench = (name: string) => fileURLToPath(new URL(`../../bench/${name}.js`, import.meta.url));
const runModule = fileURLToPath(new URL('../../bench/support/run.js', import.meta.url));

function run(args: string[], env: Record<string, string>) {
  const out = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  const last = out.stdout.trim().split('\n').at(-1) ?? '';
  return { status: out.status, stderr: out.stderr, line: (last.startsWith('{') ? JSON.parse(last) : {}) as Record<string, unknown> };
}

function emptyDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-bench-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('runBench: a failure exits 1 with the step it was in; a success exits 0 and adds nothing', async (t) => {
  const script = (body: string) => [
    '--input-type=module',
    '-e',
    `import { runBench } from ${JSON.stringify(runModule)}; await runBench('probe', async (stage) => { ${body} });`,
  ];
  const failed = run(script("stage('one'); stage('two'); throw new Error('boom');"), {});
  t.equal(failed.status, 1);
  t.match(failed.line, { bench: 'probe', ok: false, failed: 'two', error: 'boom' });
  t.ok(Array.isArray(failed.line.load), 'with the load');
  t.match(failed.stderr, /bench:probe failed \(two\): Error: boom/);
  const before = run(script('throw 7;'), {});
  t.match(before.line, { bench: 'probe', ok: false, failed: 'start', error: '7' }, 'a throw before any stage names "start"');
  const fine = run(script("stage('one'); console.log('{\"bench\":\"probe\",\"ok\":true}');"), {});
  t.equal(fine.status, 0);
  t.same(fine.line, { bench: 'probe', ok: true }, 'the benchmark\'s own line stays the last');
});

t.test('bench:fabric without a network: exit 1 and a JSON line saying what failed', async (t) => {
  const out = run([bench('fabric')], { FABRIC_DATA: emptyDir(t) });
  t.equal(out.status, 1, 'a non-zero exit');
  t.match(out.line, { bench: 'fabric', ok: false, failed: 'read the network' }, 'the JSON line names the failed step');
  t.match(out.line.error, /network\.json/, 'and the error');
  t.match(out.stderr, /bench:fabric failed \(read the network\)/, 'the stack goes to stderr');
});

t.test('bench:onboard --fabric without a network: exit 1, the step named', async (t) => {
  const out = run([bench('onboard'), '--fabric'], { FABRIC_DATA: emptyDir(t) });
  t.equal(out.status, 1);
  t.match(out.line, { bench: 'onboard', ok: false, failed: 'read the network' });
  t.match(out.line.error, /network\.json/);
});

for (const [name, setting] of [['ledger', 'BENCH_LEDGER_SIZES'], ['research', 'MEDREC_BENCH_RESEARCH_SIZES']] as const) {
  t.test(`bench:${name} with sizes that are not sizes: exit 1 before any work, the setting named`, async (t) => {
    const out = run([bench(name)], { [setting]: '1000,ten' });
    t.equal(out.status, 1);
    t.match(out.line, { bench: name, ok: false, failed: 'read the settings' });
    t.match(out.line.error, new RegExp(`${setting} must list positive integers`));
  });
}
