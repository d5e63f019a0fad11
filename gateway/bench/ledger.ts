/**
 * Embedded ledger benchmark: committed tx/s and submit latency of a realistic MedRec workload, and
 * the cost of Relationship.checkAccess at 1k, 10k, 100k and 1M relationships: one ledger per size, all
 * open in this one process, measured interleaved (one question to each size in turn, the order
 * rotating) so that noise and order cannot fake a spread. Both ways of asking are measured: the
 * gatekeeper's LedgerPort.checkAccess (in-process on committed state) and an evaluated transaction.
 * Run: npm run bench:ledger (BENCH_LEDGER_SIZES=1000,10000 for a shorter run). Ends with one JSON line.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { Credentials } from '../src/ports/identity.js';

// fabric-contract-api logs every decorator at info level when it loads: quiet it before it does.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'CRITICAL';
const { identityId } = await import('@medrec/chaincode/domain');
const { defaultHospitals, loadConfig } = await import('../src/system/config.js');
const { openSystem } = await import('../src/system/system.js');
const { openEmbeddedLedger } = await import('../src/adapters/ledger/embedded/index.js');
const { contracts } = await import('@medrec/chaincode');
const { seedHospital } = await import('../demo/seed/seed.js');
const { opaqueEnrollmentId } = await import('../src/services/enrolment/opaque-id.js');
const { externalIdCost } = await import('./support/external-id.js');
const { positiveIntegers, runBench } = await import('./support/run.js');

const H1 = 'Hospital1MSP';
const BATCH = 500;
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

async function main(stage: import('./support/run.js').Stage): Promise<void> {
  stage('read the settings');
  const SIZES = positiveIntegers('BENCH_LEDGER_SIZES', process.env.BENCH_LEDGER_SIZES ?? '1000,10000,100000,1000000');
  // One relationship per patient and hospital (the chaincode's rule): one preloaded patient per relationship.
  const PRELOAD_PATIENTS = SIZES.at(-1)!;
  stage('open the hospital');
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

    // One ledger per size, each with the same channel (this CA) and staff; patients are ledger identities only.
    const member = await (ca as unknown as { channelMember(): Promise<import('../src/ports/ledger.js').ChannelMember> }).channelMember();
    const staff = JSON.stringify([registrar, provider, records].map((c) => ({
      externalIdHash: hex(`staff:${c.enrollmentId}`),
      enrollmentId: c.enrollmentId,
      role: c === registrar ? 'registrar' : 'provider',
    })));
    const sized: { size: number; ledger: import('../src/adapters/ledger/embedded/index.js').EmbeddedLedger; rels: string[] }[] = [];
    const checkAccess: Record<string, number> = {};
    const evaluateP50: Record<string, number> = {};
    const table: string[][] = [];
    let preloadMs = 0;
    const relationshipIds: string[] = [];
    stage('preload the ledgers');
    for (const size of SIZES) {
      const started = performance.now();
      const own = await openEmbeddedLedger({ dataDir: join(dir, `size-${size}`), members: [member], contracts, maxBlockTransactions: 8 });
      await own.submit(registrar, 'Registrar', 'registerBatch', [staff]);
      const patientPids: string[] = [];
      for (let i = 0; i < PRELOAD_PATIENTS; i += BATCH) {
        const items = Array.from({ length: BATCH }, (_, j) => ({ externalIdHash: hex(`mrn:preload:${i + j}`), enrollmentId: `preload${i + j}`, role: 'patient' }));
        patientPids.push(...parse<string[]>((await own.submit(registrar, 'Registrar', 'registerBatch', [JSON.stringify(items)])).result));
      }
      const rels: string[] = [];
      const batches = Array.from({ length: Math.ceil(size / BATCH) }, (_, b) => b);
      // Several batches in flight: they share blocks (and fsyncs), as a hospital onboarding its patients would.
      await pool(batches, 4, async (b) => {
        const n = Math.min(BATCH, size - b * BATCH);
        const items = Array.from({ length: n }, (_, j) => ({
          patientId: patientPids[(b * BATCH + j) % patientPids.length]!,
          endpoint: 'https://h1.example/gatekeeper',
          pointers: [{ category: 'Observation', hash: hex(`obs:${b * BATCH + j}`) }],
        }));
        const ids = parse<string[]>((await own.submit(provider, 'Relationship', 'createBatch', [JSON.stringify(items)])).result);
        ids.forEach((id, j) => (rels[b * BATCH + j] = id));
      });
      preloadMs += performance.now() - started;
      process.stderr.write(`bench:ledger: ${size.toLocaleString('en')} relationships preloaded\n`);
      sized.push({ size, ledger: own, rels });
      if (size <= 100_000) relationshipIds.splice(0, relationshipIds.length, ...rels);
    }

    stage('checkAccess as the ledger grows');
    // The gatekeeper's question (may this patient read this relationship's Observation?), one size after
    // another, the order rotating each round, both ways of asking each time.
    const inProcess = new Map<number, number[]>(sized.map((x) => [x.size, []]));
    const evaluated = new Map<number, number[]>(sized.map((x) => [x.size, []]));
    for (let round = 0; round < WARMUP + CHECKS; round++) {
      for (let s = 0; s < sized.length; s++) {
        const { size, ledger: own, rels } = sized[(round + s) % sized.length]!;
        const k = Math.floor(Math.random() * rels.length);
        const question = { relationshipId: rels[k]!, requesterIdentityId: identityId(H1, `preload${k % PRELOAD_PATIENTS}`), category: 'Observation', fieldsJson: '[]' };
        const t0 = performance.now();
        const decision = await own.checkAccess(records, question);
        const t1 = performance.now();
        await own.evaluate(records, 'Relationship', 'checkAccess', [question.relationshipId, question.requesterIdentityId, 'Observation', '[]']);
        const t2 = performance.now();
        if (!decision.allowed) throw new Error(`bench: ${size}: the patient was refused (${decision.code})`);
        if (round >= WARMUP) {
          inProcess.get(size)!.push(t1 - t0);
          evaluated.get(size)!.push(t2 - t1);
        }
      }
    }
    // The workload runs on the 100k ledger (the largest one up to 100k).
    const work = [...sized].reverse().find((x) => x.size <= 100_000) ?? sized[0]!;
    for (const { size, ledger: own } of sized) {
      const a = inProcess.get(size)!.sort((x, y) => x - y);
      const b = evaluated.get(size)!.sort((x, y) => x - y);
      checkAccess[String(size)] = round(percentile(a, 50));
      evaluateP50[String(size)] = round(percentile(b, 50));
      table.push([size.toLocaleString('en'), String(round(percentile(a, 50))), String(round(percentile(a, 99))), String(round(percentile(b, 50))), String(round(percentile(b, 99))), String(Number(await own.height()))]);
      if (own !== work.ledger) await own.close();
    }

    stage('workload');
    // The realistic workload, at 100k relationships: patients enrolled with real keys walk the flow.
    // Issue 14's cost, in the same run: half the people carry a username as enrollment id (before),
    // half an opaque one (after, docs/privacy.md), in alternating chunks so that drift hits both.
    const kinds = ['named', 'opaque'] as const;
    type Kind = (typeof kinds)[number];
    const nameOf = (kind: Kind, role: string, i: number) => (kind === 'named' ? `${role}${i}` : opaqueEnrollmentId());
    const flows: { kind: Kind; patient: Credentials; viewer: Credentials }[] = [];
    const roleOf = new Map<string, string>();
    for (let i = 0; i < FLOWS; i++) {
      const kind = kinds[i % 2]!;
      const patient = await enroll(nameOf(kind, 'patient', i), 'patient');
      const viewer = await enroll(nameOf(kind, 'viewer', i), 'viewer');
      roleOf.set(patient.enrollmentId, 'patient').set(viewer.enrollmentId, 'viewer');
      flows.push({ kind, patient, viewer });
    }
    const people = flows.flatMap((f) => [f.patient, f.viewer]);
    const pid = new Map<string, string>();
    for (let i = 0; i < people.length; i += BATCH) {
      const slice = people.slice(i, i + BATCH);
      const pids = parse<string[]>((await work.ledger.submit(registrar, 'Registrar', 'registerBatch', [
        JSON.stringify(slice.map((c) => ({ externalIdHash: hex(`mrn:${c.enrollmentId}`), enrollmentId: c.enrollmentId, role: roleOf.get(c.enrollmentId)! }))),
      ])).result);
      slice.forEach((c, j) => pid.set(c.enrollmentId, pids[j]!));
    }
    const submitMs: number[] = [];
    const per = Object.fromEntries(kinds.map((k) => [k, { submits: 0, seconds: 0, blocks: [] as [bigint, bigint][] }])) as Record<Kind, { submits: number; seconds: number; blocks: [bigint, bigint][] }>;
    let denied = 0;
    const timed = async (kind: Kind, signer: Credentials, contract: string, fn: string, args: string[]) => {
      const t0 = performance.now();
      const result = await work.ledger.submit(signer, contract, fn, args, { endorsingOrganizations: [H1] });
      submitMs.push(performance.now() - t0);
      per[kind].submits++;
      return result;
    };
    // Many short alternating chunks: on a busy machine the load drifts within seconds.
    const CHUNKS = 10;
    const started = performance.now();
    for (let c = 0; c < CHUNKS; c++) {
      const kind = kinds[c % 2]!;
      const chunk = flows.filter((f, i) => f.kind === kind && Math.floor(i / 2) % (CHUNKS / 2) === Math.floor(c / 2));
      const from = await work.ledger.height();
      const t0 = performance.now();
      await pool(chunk, CONCURRENCY, async ({ patient, viewer }) => {
        const rel = parse<{ relationshipId: string }>((await timed(kind, provider, 'Relationship', 'create', [pid.get(patient.enrollmentId)!, 'https://h1.example/gatekeeper'])).result);
        await timed(kind, provider, 'Relationship', 'putPointer', [rel.relationshipId, 'Observation', hex(`flow:${patient.enrollmentId}`)]);
        await timed(kind, patient, 'Relationship', 'accept', [rel.relationshipId]);
        await timed(kind, patient, 'Relationship', 'grant', [rel.relationshipId, pid.get(viewer.enrollmentId)!, GRANT]);
        const decision = parse<{ allowed: boolean }>(await work.ledger.evaluate(records, 'Relationship', 'checkAccess', [
          rel.relationshipId, identityId(H1, viewer.enrollmentId), 'Observation', '["code"]',
        ]));
        if (!decision.allowed) denied++;
      });
      per[kind].seconds += (performance.now() - t0) / 1000;
      per[kind].blocks.push([from, await work.ledger.height()]);
    }
    const elapsed = (performance.now() - started) / 1000;
    submitMs.sort((a, b) => a - b);
    const tps = submitMs.length / elapsed;
    const verify = await work.ledger.verify();
    await work.ledger.close();
    await system.close();
    if (denied > 0 || !verify.ok) throw new Error(`benchmark flow went wrong: ${denied} denials, verify ${verify.problems.join('; ')}`);
    // Bytes the blocks of each kind's chunks hold (every peer stores them), per relationship flow.
    const blocksDb = new Database(join(dir, `size-${work.size}`, 'ledger.sqlite'), { readonly: true });
    const bytesOf = (range: [bigint, bigint]) =>
      (blocksDb.prepare('SELECT COALESCE(SUM(LENGTH(data)), 0) AS n FROM blocks WHERE number >= ? AND number < ?').get(range[0], range[1]) as { n: number }).n;
    const privacy = Object.fromEntries(kinds.map((k) => {
      const flowsOfKind = flows.filter((f) => f.kind === k).length;
      return [k, { tps: round(per[k].submits / per[k].seconds, 1), bytes_per_relationship: Math.round(per[k].blocks.reduce((n, r) => n + bytesOf(r), 0) / flowsOfKind) }];
    })) as Record<Kind, { tps: number; bytes_per_relationship: number }>;
    blocksDb.close();

    // Issue 14's external-id index (docs/privacy.md §2): its cost is off the ledger, per index entry.
    stage('external-id cost');
    const externalId = externalIdCost();
    const cores = (await import('node:os')).cpus().length;
    console.log(`Embedded ledger benchmark (${cores} cores, Node ${process.version}, temp data dir)`);
    console.log(`Preload: ${SIZES.map((n) => n.toLocaleString('en')).join(' + ')} relationships (one ledger each) via createBatch(${BATCH}) in ${(preloadMs / 1000).toFixed(1)} s\n`);
    console.log(`checkAccess as the ledger grows (interleaved across the ledgers, ${CHECKS} each; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
    console.log(['relationships', 'in-process p50', 'p99', 'evaluate p50', 'p99', 'blocks'].map((h) => h.padStart(15)).join(''));
    for (const row of table) console.log(row.map((c) => c.padStart(15)).join(''));
    console.log(`\nWorkload at ${relationshipIds.length.toLocaleString('en')} relationships: ${FLOWS} flows × (create, putPointer, accept, grant, checkAccess), ${CONCURRENCY} concurrent`);
    console.log(`  committed submits   ${submitMs.length} in ${elapsed.toFixed(2)} s = ${tps.toFixed(1)} tx/s`);
    console.log(`  submit latency      p50 ${percentile(submitMs, 50).toFixed(2)} ms   p99 ${percentile(submitMs, 99).toFixed(2)} ms`);
    console.log(`  issue 14 (same run, alternating chunks): usernames as enrollment ids ${privacy.named.tps} tx/s, ${privacy.named.bytes_per_relationship} block bytes per relationship flow; opaque ids ${privacy.opaque.tps} tx/s, ${privacy.opaque.bytes_per_relationship} bytes (tx/s ratio ${(privacy.opaque.tps / privacy.named.tps).toFixed(3)}, bytes ratio ${(privacy.opaque.bytes_per_relationship / privacy.named.bytes_per_relationship).toFixed(3)})`);
    console.log(`  issue 14 external-id index (same run, alternating chunks): HMAC ${externalId.before_hmac_per_s}/s before; home's own OPRF entry ${externalId.after_own_per_s}/s, a blinded lookup (no HTTP) ${externalId.after_lookup_per_s}/s after (ratios ${externalId.own_ratio}, ${externalId.lookup_ratio}); entry on the ledger ${externalId.entry_hex_chars.before} → ${externalId.entry_hex_chars.after} hex`);
    const spread = Math.max(...Object.values(checkAccess)) / Math.min(...Object.values(checkAccess)) - 1;
    console.log(`  checkAccess (in-process) p50 spread across sizes: ${(spread * 100).toFixed(1)}% (target ≤ 20%)`);
    console.log(JSON.stringify({
      bench: 'ledger',
      tps: round(tps, 1),
      submit_p50_ms: round(percentile(submitMs, 50)),
      submit_p99_ms: round(percentile(submitMs, 99)),
      check_access_p50_ms: checkAccess,
      evaluate_check_access_p50_ms: evaluateP50,
      privacy: {
        before: privacy.named,
        after: privacy.opaque,
        tps_ratio: round(privacy.opaque.tps / privacy.named.tps),
        bytes_ratio: round(privacy.opaque.bytes_per_relationship / privacy.named.bytes_per_relationship),
        external_id: externalId,
      },
      load: loadavg().map((l) => Number(l.toFixed(2))),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await runBench('ledger', main);
