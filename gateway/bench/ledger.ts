/**
 * Embedded ledger benchmark: committed tx/s and submit latency of a realistic MedRec workload, and
 * the cost of Relationship.checkAccess as the ledger grows from 1k to 100k relationships.
 * Run: npm run bench:ledger. Ends with one JSON line.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Credentials } from '../src/ports/identity.js';

// fabric-contract-api logs every decorator at info level when it loads: quiet it before it does.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'CRITICAL';
const { identityId } = await import('@medrec/chaincode/domain');
const { defaultHospitals, loadConfig } = await import('../src/system/config.js');
const { openSystem } = await import('../src/system/system.js');
const { seedHospital } = await import('../demo/seed/seed.js');

const H1 = 'Hospital1MSP';
const SIZES = [1_000, 10_000, 100_000];
const BATCH = 500;
// One relationship per patient and hospital (the chaincode's rule): one preloaded patient per relationship.
const PRELOAD_PATIENTS = SIZES.at(-1)!;
const FLOWS = 300;
const CONCURRENCY = 16;
const CHECKS = 1_000;
const WARMUP = 1_500;
const GRANT = JSON.stringify({
  items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }],
  // Within the consortium's maximum grant (LIMITS.grantMaxDays).
  validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  purpose: 'TREAT',
});

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (n: number, digits = 3) => Number(n.toFixed(digits));
const parse = <T>(bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString()) as T;

async function pool<T>(items: T[], workers: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-bench-'));
  try {
    // Hospital 1 alone, built by the composition root: its embedded CA is the channel's one member.
    const config = loadConfig({}, { dataDir: dir, logLevel: 'silent', seedDemo: false, hospitals: defaultHospitals(dir, '127.0.0.1', 0).slice(0, 1) });
    const system = await openSystem(config, {
      provisioner: { seedEhr: async (set, target) => void (await seedHospital(set, target, { patients: 2 })) },
    });
    const ledger = system.ledger;
    const hospital = system.identities.get(H1)!;
    const runtime = system.hospitals[0]!;
    const admin = await hospital.caAdmin(runtime.accounts, runtime.sealer);
    const ca = hospital.identity;
    const enroll = async (enrollmentId: string, role: string) =>
      ca.enroll(enrollmentId, (await ca.register(admin, { enrollmentId, role })).secret);
    const registrar = await enroll('bench.registrar', 'registrar');
    const provider = await enroll('provider', 'provider');
    const records = await enroll('records', 'provider');
    await ledger.submit(registrar, 'Registrar', 'registerBatch', [
      JSON.stringify([registrar, provider, records].map((c) => ({
        externalIdHash: hex(`staff:${c.enrollmentId}`),
        enrollmentId: c.enrollmentId,
        role: c === registrar ? 'registrar' : 'provider',
      }))),
    ]);

    // Preloaded patients (ledger identities only: they never sign in the benchmark).
    const patientPids: string[] = [];
    for (let i = 0; i < PRELOAD_PATIENTS; i += BATCH) {
      const items = Array.from({ length: BATCH }, (_, j) => ({
        externalIdHash: hex(`mrn:preload:${i + j}`),
        enrollmentId: `preload${i + j}`,
        role: 'patient',
      }));
      patientPids.push(...parse<string[]>((await ledger.submit(registrar, 'Registrar', 'registerBatch', [JSON.stringify(items)])).result));
    }

    const relationshipIds: string[] = [];
    const checkAccess: Record<string, number> = {};
    const table: string[][] = [];
    let preloadMs = 0;
    for (const size of SIZES) {
      const started = performance.now();
      while (relationshipIds.length < size) {
        const n = Math.min(BATCH, size - relationshipIds.length);
        const items = Array.from({ length: n }, (_, j) => ({
          patientId: patientPids[(relationshipIds.length + j) % patientPids.length]!,
          endpoint: 'https://h1.example/gatekeeper',
          pointers: [{ category: 'Observation', hash: hex(`obs:${relationshipIds.length + j}`) }],
        }));
        relationshipIds.push(...parse<string[]>((await ledger.submit(provider, 'Relationship', 'createBatch', [JSON.stringify(items)])).result));
      }
      preloadMs += performance.now() - started;
      // The gatekeeper's question: may this patient read this relationship's Observation?
      const latencies: number[] = [];
      for (let i = 0; i < WARMUP + CHECKS; i++) {
        const k = Math.floor(Math.random() * relationshipIds.length);
        const t0 = performance.now();
        await ledger.evaluate(records, 'Relationship', 'checkAccess', [
          relationshipIds[k]!,
          identityId(H1, `preload${k % PRELOAD_PATIENTS}`),
          'Observation',
          '[]',
        ]);
        if (i >= WARMUP) latencies.push(performance.now() - t0);
      }
      latencies.sort((a, b) => a - b);
      checkAccess[String(size)] = round(percentile(latencies, 50));
      table.push([size.toLocaleString('en'), String(round(percentile(latencies, 50))), String(round(percentile(latencies, 99))), String(Number(await ledger.height()))]);
    }

    // The realistic workload, at 100k relationships: patients enrolled with real keys walk the flow.
    const patients: Credentials[] = [];
    const viewers: Credentials[] = [];
    for (let i = 0; i < FLOWS; i++) {
      patients.push(await enroll(`patient${i}`, 'patient'));
      viewers.push(await enroll(`viewer${i}`, 'viewer'));
    }
    const people = [...patients, ...viewers];
    const pid = new Map<string, string>();
    for (let i = 0; i < people.length; i += BATCH) {
      const slice = people.slice(i, i + BATCH);
      const pids = parse<string[]>((await ledger.submit(registrar, 'Registrar', 'registerBatch', [
        JSON.stringify(slice.map((c) => ({ externalIdHash: hex(`mrn:${c.enrollmentId}`), enrollmentId: c.enrollmentId, role: c.enrollmentId.replace(/\d+$/, '') }))),
      ])).result);
      slice.forEach((c, j) => pid.set(c.enrollmentId, pids[j]!));
    }
    const submitMs: number[] = [];
    let denied = 0;
    const timed = async (signer: Credentials, contract: string, fn: string, args: string[]) => {
      const t0 = performance.now();
      const result = await ledger.submit(signer, contract, fn, args, { endorsingOrganizations: [H1] });
      submitMs.push(performance.now() - t0);
      return result;
    };
    const started = performance.now();
    await pool(patients.map((p, i) => [p, viewers[i]!] as const), CONCURRENCY, async ([patient, viewer]) => {
      const rel = parse<{ relationshipId: string }>((await timed(provider, 'Relationship', 'create', [pid.get(patient.enrollmentId)!, 'https://h1.example/gatekeeper'])).result);
      await timed(provider, 'Relationship', 'putPointer', [rel.relationshipId, 'Observation', hex(`flow:${patient.enrollmentId}`)]);
      await timed(patient, 'Relationship', 'accept', [rel.relationshipId]);
      await timed(patient, 'Relationship', 'grant', [rel.relationshipId, pid.get(viewer.enrollmentId)!, GRANT]);
      const decision = parse<{ allowed: boolean }>(await ledger.evaluate(records, 'Relationship', 'checkAccess', [
        rel.relationshipId, identityId(H1, viewer.enrollmentId), 'Observation', '["code"]',
      ]));
      if (!decision.allowed) denied++;
    });
    const elapsed = (performance.now() - started) / 1000;
    submitMs.sort((a, b) => a - b);
    const tps = submitMs.length / elapsed;
    const verify = await (ledger as import('../src/adapters/ledger/embedded/index.js').EmbeddedLedger).verify();
    await system.close();
    if (denied > 0 || !verify.ok) throw new Error(`benchmark flow went wrong: ${denied} denials, verify ${verify.problems.join('; ')}`);

    const cores = (await import('node:os')).cpus().length;
    console.log(`Embedded ledger benchmark (${cores} cores, Node ${process.version}, temp data dir)`);
    console.log(`Preload: ${relationshipIds.length.toLocaleString('en')} relationships via createBatch(${BATCH}) in ${(preloadMs / 1000).toFixed(1)} s\n`);
    console.log('checkAccess (evaluate) as the ledger grows');
    console.log(['relationships', 'p50 ms', 'p99 ms', 'blocks'].map((h) => h.padStart(14)).join(''));
    for (const row of table) console.log(row.map((c) => c.padStart(14)).join(''));
    console.log(`\nWorkload at ${relationshipIds.length.toLocaleString('en')} relationships: ${FLOWS} flows × (create, putPointer, accept, grant, checkAccess), ${CONCURRENCY} concurrent`);
    console.log(`  committed submits   ${submitMs.length} in ${elapsed.toFixed(2)} s = ${tps.toFixed(1)} tx/s`);
    console.log(`  submit latency      p50 ${percentile(submitMs, 50).toFixed(2)} ms   p99 ${percentile(submitMs, 99).toFixed(2)} ms`);
    const spread = Math.max(...Object.values(checkAccess)) / Math.min(...Object.values(checkAccess)) - 1;
    console.log(`  checkAccess p50 spread 1k→100k: ${(spread * 100).toFixed(1)}% (target ≤ 20%)`);
    console.log(JSON.stringify({
      bench: 'ledger',
      tps: round(tps, 1),
      submit_p50_ms: round(percentile(submitMs, 50)),
      submit_p99_ms: round(percentile(submitMs, 99)),
      check_access_p50_ms: checkAccess,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
