/**
 * npm run bench:gateway — the price of the gatekeeper's security, measured in one run on 127.0.0.1.
 *
 * A child process runs two hospitals on the embedded ledger (real chaincode, CAs, seeded SQLite EHR)
 * plus a bare Fastify route that serves the same mapped SQL read as a FHIR Bundle with no checks.
 * This process drives both with autocannon, in several short windows that alternate baseline and
 * gatekeeper and rotate which goes first, so that a neighbour's burst on this shared machine hits
 * both sides alike; the figure is the median of the per-pair ratios. Requests come from thousands of
 * requesters holding 11,000 certificates, over thousands of relationships and charts; the baseline
 * reads the same charts in the same order. The population recurs, as a hospital's requesters do:
 * before the measured windows every certificate is sent once (the state of a gatekeeper that has been
 * serving them), and the gatekeeper keeps them all (its default certificate cache is larger than the
 * population); `first_seen_certificates` says how many measured requests still brought a new one, and
 * the stage table gives what a new one costs. Every gatekeeper request pays for
 * its signature and chain checks, the replay cache, the ledger's access decision, the SQL read,
 * hashing, projection and a durable audit record (fsync; group-committed). The server's CPU per
 * request (all its threads, process.cpuUsage) is reported beside the rates: it is less sensitive to
 * other tenants than throughput. So is its event loop's busy time per request (`*_loop_us`,
 * performance.eventLoopUtilization) and the share of each window the loop was busy (`*_loop_busy`):
 * a side whose loop is far from busy while its rate is low is waiting (on the disk, the pool, the
 * scheduler of a shared machine), not computing. Each round also runs a third window of the same gatekeeper requests
 * asking for answers sealed to the requester's key (`Accept: application/jose`, issue 10):
 * `sealed_ratio` is the median of the rounds' sealed / plain gatekeeper rates.
 */
// The gateway's own setting (main.ts): fabric-shim at WARNING, not the INFO a bare process gets.
import '../src/system/quiet-chaincode.js';
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { runBench, type Stage } from './support/run.js';
import type { FastifyInstance } from 'fastify';
import { JOSE_MEDIA_TYPE, signRequest } from '../src/services/gatekeeper/signed-request.js';
import { CATEGORY, type Requester } from './support/population.js';
import { stageRequesters, type StageCost } from './support/stages.js';

const CONNECTIONS = 16;
const PAIRS = 6;
const WINDOW_S = 4;
const SIZE = { relationships: 2_000, viewers: 1_000, certificatesPerPatient: 4, certificatesPerViewer: 3 };

interface Setup {
  gatekeeperUrl: string;
  baselineUrl: string;
  requesters: Requester[];
  stages: StageCost[];
  setupSeconds: number;
}

/** `profile`: the window is a measured one (BENCH_PROFILE starts there, after the warm-up passes). */
type ToChild = { type: 'cpu'; profile?: boolean } | { type: 'stop' };
/** The server's CPU (every thread) and its event loop's busy time so far, both in µs. */
type FromChild = { type: 'setup'; setup: Setup } | { type: 'cpu'; us: number; loopUs: number } | { type: 'stopped'; auditRecords: number; auditOk: boolean };

async function serve(): Promise<void> {
  const started = performance.now();
  // A report process that failed leaves no server behind.
  process.on('disconnect', () => process.exit(1));
  // Loaded here only: the chaincode's decorators log at load time, and the report process should stay quiet.
  const { openWorld } = await import('../test/support/world.js');
  const { populate } = await import('./support/population.js');
  const { stageCosts } = await import('./support/stages.js');
  const Fastify = (await import('fastify')).default;
  const { toBundle } = await import('../src/services/records/records.js');
  process.stderr.write('bench setup: opening the two-hospital system\n');
  // The production rate limits (per certificate, per address) are set explicitly out of the way: the
  // bench's 3,000 requesters all send from 127.0.0.1, far past them, and it measures the gatekeeper's
  // cost, not 429s (a refused request of any status is counted and reported as `refused`).
  const unlimited = { max: 1_000_000_000, windowSeconds: 60 };
  const world = await openWorld({
    patients: SIZE.relationships,
    anchoring: { everyRecords: 500, intervalMs: 5_000 },
    config: { rateLimits: { gatekeeperCertificate: unlimited, gatekeeperUnverified: unlimited, unauthenticated: unlimited } },
  });
  const { h2 } = world;
  const doctor = await world.enrol(h2, 'bench.doctor', 'provider');
  const requesters = await populate(world, doctor, SIZE);

  // The baseline is served as the gatekeeper is (HTTPS with the same certificate), so the ratio compares the gatekeeper's work only.
  const tls = h2.runtime.tls;
  const baseline = (Fastify as unknown as (o: object) => FastifyInstance)({ logger: false, ...(tls ? { https: tls } : {}) });
  baseline.addContentTypeParser(JOSE_MEDIA_TYPE, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  baseline.post<{ Querystring: { mrn: string } }>('/baseline', async (request) => toBundle(await h2.records.fetch(CATEGORY, request.query.mrn)));
  const baselineUrl = `${await baseline.listen({ host: '127.0.0.1', port: 0 })}/baseline`;
  process.stderr.write('bench setup: measuring stages\n');
  const stages = await stageCosts(world, requesters, baselineUrl);

  const send = (m: FromChild) => process.send!(m);
  // BENCH_PROFILE=<file>: a CPU profile of the server's event loop over the measured windows (not the
  // warm-up passes, whose first sight of every certificate would fill it with X509 parses).
  const profileFile = process.env.BENCH_PROFILE;
  const { Session } = await import('node:inspector/promises');
  const profiler = profileFile ? new Session() : undefined;
  let profiling = false;
  send({ type: 'setup', setup: { gatekeeperUrl: h2.url, baselineUrl, requesters, stages, setupSeconds: (performance.now() - started) / 1000 } });
  process.on('message', async (m: ToChild) => {
    if (m.type === 'cpu') {
      if (profiler && !profiling && m.profile) {
        profiling = true;
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.start');
      }
      const { user, system } = process.cpuUsage();
      // The event loop's active time: what of a request's cost the one JavaScript thread carries
      // (the rest runs on libuv's pool and the audit writer, or is waiting).
      return send({ type: 'cpu', us: user + system, loopUs: performance.eventLoopUtilization().active * 1000 });
    }
    if (profiler && profiling) {
      const { profile } = await profiler.post('Profiler.stop');
      (await import('node:fs')).writeFileSync(profileFile!, JSON.stringify(profile));
    }
    const check = h2.audit.verify();
    await baseline.close();
    await world.close();
    send({ type: 'stopped', auditRecords: check.count, auditOk: check.ok });
    process.exit(0);
  });
}

interface Load {
  body: string;
  mrn: string;
  certificate: string;
}

interface Window {
  side: 'baseline' | 'gatekeeper' | 'sealed';
  rps: number;
  cpuUs: number;
  /** the server's event-loop busy time per request sent */
  loopUs: number;
  /** the share of the window's wall time the server's event loop was busy (1: saturated) */
  loopShare: number;
  latencies: number[];
  refused: number;
  errors: number;
  /** requests whose certificate the gatekeeper had not been sent before: each pays a parse and a chain check */
  firstSeen: number;
}

function ask(child: ChildProcess, m: ToChild): Promise<FromChild> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as FromChild));
    child.send(m);
  });
}

async function serverCpu(child: ChildProcess, measured: boolean): Promise<{ us: number; loopUs: number; at: number }> {
  const reply = await ask(child, { type: 'cpu', profile: measured });
  if (reply.type !== 'cpu') throw new Error('the bench server did not report its CPU');
  return { us: reply.us, loopUs: reply.loopUs, at: performance.now() * 1000 };
}

/** A fresh signed request (new jti) of requester `r`. */
async function oneRequest(setup: Setup, r: Requester): Promise<Load> {
  const aud = new URL(setup.gatekeeperUrl).origin;
  return { body: await signRequest(r, { rel: r.rel, cat: CATEGORY, fields: [], aud }, { lifetimeSeconds: 120 }), mrn: r.mrn, certificate: r.certificate };
}

/** A fresh signed request for each load item: requesters drawn at random, as traffic would come. */
async function signedLoad(setup: Setup, count: number): Promise<Load[]> {
  const out: Load[] = [];
  for (let i = 0; i < count; i++) out.push(await oneRequest(setup, setup.requesters[Math.floor(Math.random() * setup.requesters.length)]!));
  return out;
}

function shuffled<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** Certificates the gatekeeper route has been sent (by the stages, then by every window). */
const sentCertificates = new Set<string>();

async function window(child: ChildProcess, side: Window['side'], url: string, load: Load[], seconds: number, measured = false): Promise<Window> {
  let next = 0;
  let firstSeen = 0;
  const latencies: number[] = [];
  const before = await serverCpu(child, measured);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': JOSE_MEDIA_TYPE, accept: side === 'sealed' ? JOSE_MEDIA_TYPE : 'application/json' },
        body: load[0]!.body,
        connections: CONNECTIONS,
        duration: seconds,
        // A signed request is single use: a window stops early rather than replay one.
        ...(side === 'baseline' ? {} : { maxOverallRequests: load.length }),
        requests: [
          {
            setupRequest: (req) => {
              const item = load[next++ % load.length]!;
              if (side !== 'baseline' && !sentCertificates.has(item.certificate)) {
                sentCertificates.add(item.certificate);
                firstSeen++;
              }
              return side === 'baseline' ? { ...req, path: `/baseline?mrn=${encodeURIComponent(item.mrn)}`, body: item.body } : { ...req, body: item.body };
            },
          },
        ],
      },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status === 200) latencies.push(ms);
    });
  });
  const after = await serverCpu(child, measured);
  const cpu = after.us - before.us;
  const loop = after.loopUs - before.loopUs;
  const ok = result['2xx'];
  if (side !== 'baseline' && next > load.length) throw new Error('the signed-request pool ran out: a request would have been replayed');
  const sent = Math.max(1, result.requests.total);
  return { side, rps: ok / result.duration, cpuUs: cpu / sent, loopUs: loop / sent, loopShare: loop / (after.at - before.at), latencies, refused: result.non2xx, errors: result.errors, firstSeen: firstSeen / sent };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const load = () => loadavg().map((l) => Number(l.toFixed(2)));

async function main(stage: Stage): Promise<void> {
  stage('open the two hospitals');
  const loadBefore = load();
  // The child's stdout carries fabric-contract-api's start-up chatter: keep it out of the report.
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['serve'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const setup = await new Promise<Setup>((resolve, reject) => {
    child.once('message', (m) => resolve((m as Extract<FromChild, { type: 'setup' }>).setup));
    child.once('exit', (code) => reject(new Error(`the bench server exited (${String(code)}) before its set-up`)));
  });
  const query = `${setup.gatekeeperUrl}/gatekeeper/query`;
  for (const r of stageRequesters(setup.requesters)) sentCertificates.add(r.certificate);

  stage('send each certificate once');
  // The recurring population: every certificate once, in random order, signed chunk by chunk so
  // none expires before it is sent (not measured).
  const everyone = shuffled([...setup.requesters]);
  process.stderr.write(`bench: sending each of the ${everyone.length} certificates once\n`);
  let warmedRps = 0;
  for (let at = 0; at < everyone.length; at += 2_000) {
    const chunk = await Promise.all(everyone.slice(at, at + 2_000).map((r) => oneRequest(setup, r)));
    const warmed = await window(child, 'gatekeeper', query, chunk, 600);
    if (warmed.refused + warmed.errors > 0) throw new Error(`the warm-up pass had ${warmed.refused + warmed.errors} refused or failed requests`);
    warmedRps = Math.max(warmedRps, warmed.rps);
  }
  stage('measure');
  // Warm both up; size each gatekeeper window's pool from the warm-up rate, with room to spare.
  const warm = await signedLoad(setup, 4_000);
  await window(child, 'baseline', setup.baselineUrl, warm, 2);
  const probe = await window(child, 'gatekeeper', query, warm, 2);
  const poolSize = Math.ceil(Math.max(probe.rps, warmedRps) * WINDOW_S * 3) + 2_000;

  // Each round: baseline, gatekeeper and sealed windows, the first rotating; the sealed window has
  // its own pool (a signed request is single use) of the same requesters' kind.
  const SIDES: Window['side'][] = ['baseline', 'gatekeeper', 'sealed'];
  const windows: Window[][] = [];
  for (let pair = 0; pair < PAIRS; pair++) {
    const pool = await signedLoad(setup, poolSize);
    const sealedPool = await signedLoad(setup, poolSize);
    const order = [...SIDES.slice(pair % 3), ...SIDES.slice(0, pair % 3)];
    const done: Window[] = [];
    for (const side of order) {
      done.push(await window(child, side, side === 'baseline' ? setup.baselineUrl : query, side === 'sealed' ? sealedPool : pool, WINDOW_S, true));
    }
    windows.push(SIDES.map((side) => done.find((w) => w.side === side)!));
  }
  const stopped = (await ask(child, { type: 'stop' })) as Extract<FromChild, { type: 'stopped' }>;
  const loadAfter = load();

  const baseline = windows.map((w) => w[0]!);
  const gatekeeper = windows.map((w) => w[1]!);
  const sealed = windows.map((w) => w[2]!);
  const ratios = windows.map(([b, g]) => g!.rps / b!.rps);
  const sealedRatios = windows.map(([, g, s]) => s!.rps / g!.rps);
  const sealedLatency = sealed.flatMap((w) => w.latencies).sort((a, b) => a - b);
  const gkLatency = gatekeeper.flatMap((w) => w.latencies).sort((a, b) => a - b);
  const baseLatency = baseline.flatMap((w) => w.latencies).sort((a, b) => a - b);
  const round = (n: number, d = 0) => Number(n.toFixed(d));

  const certificates = new Set(setup.requesters.map((r) => r.certificate)).size;
  const relationships = new Set(setup.requesters.map((r) => r.rel)).size;
  console.log(`\ngateway bench: ${cpus().length} cores, Node ${process.version}, load average ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after`);
  console.log(
    `${CONNECTIONS} connections; ${PAIRS} rounds of ${WINDOW_S} s windows (baseline, gatekeeper, sealed), the first of each round rotating; ` +
      `${setup.requesters.length} certificates (${certificates} distinct) of ${SIZE.relationships + SIZE.viewers} requesters over ${relationships} relationships; ` +
      `${CATEGORY} answers (setup ${setup.setupSeconds.toFixed(0)} s)`,
  );
  console.log('\nround  first       baseline req/s  gatekeeper req/s  ratio  sealed req/s  sealed ratio  baseline CPU µs/req  gatekeeper CPU µs/req  loop µs/req b/g  loop busy b/g');
  windows.forEach(([b, g, s], i) => {
    const first = SIDES[i % 3]!;
    console.log(
      `${String(i + 1).padStart(5)}  ${first.padEnd(10)}  ${b!.rps.toFixed(0).padStart(14)}  ${g!.rps.toFixed(0).padStart(16)}  ${ratios[i]!.toFixed(3)}  ${s!.rps.toFixed(0).padStart(12)}  ${sealedRatios[i]!.toFixed(3).padStart(12)}  ${b!.cpuUs.toFixed(0).padStart(19)}  ${g!.cpuUs.toFixed(0).padStart(21)}  ${`${b!.loopUs.toFixed(0)}/${g!.loopUs.toFixed(0)}`.padStart(15)}  ${`${b!.loopShare.toFixed(2)}/${g!.loopShare.toFixed(2)}`.padStart(13)}`,
    );
  });
  const refused = windows.flat().reduce((n, w) => n + w.refused + w.errors, 0);
  console.log(
    `\nmedian ratio ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}); ` +
      `gatekeeper p50 ${percentile(gkLatency, 50).toFixed(1)} ms p99 ${percentile(gkLatency, 99).toFixed(1)} ms; ` +
      `baseline p50 ${percentile(baseLatency, 50).toFixed(1)} ms p99 ${percentile(baseLatency, 99).toFixed(1)} ms; ` +
      `sealed median ratio ${median(sealedRatios).toFixed(3)}, p50 ${percentile(sealedLatency, 50).toFixed(1)} ms p99 ${percentile(sealedLatency, 99).toFixed(1)} ms`,
  );
  const firstSeen = median(gatekeeper.map((x) => x.firstSeen));
  console.log(
    `gatekeeper requests whose certificate was new to the server (a parse and a chain check, then cached): median ${(100 * firstSeen).toFixed(0)}% per window`,
  );
  console.log(`audit log: ${stopped.auditRecords} records, chain ${stopped.auditOk ? 'intact' : 'BROKEN'}; refused or failed requests: ${refused}`);
  if (refused > 0) console.log('warning: some requests were refused or failed; the figures are not all authorised fetches');

  console.log('\nwhere one gatekeeper answer goes, each stage alone (sequential, different requesters each run; CPU = every thread of the server process):');
  const w = Math.max(...setup.stages.map((s) => s.stage.length));
  console.log(`  ${'stage'.padEnd(w)}  wall µs   CPU µs`);
  for (const s of setup.stages) console.log(`  ${s.stage.padEnd(w)}  ${s.wallUs.toFixed(0).padStart(7)}  ${s.cpuUs.toFixed(0).padStart(7)}`);

  console.log(
    JSON.stringify({
      bench: 'gateway',
      gatekeeper_rps: round(median(gatekeeper.map((x) => x.rps))),
      baseline_rps: round(median(baseline.map((x) => x.rps))),
      ratio: round(median(ratios), 3),
      p50_ms: round(percentile(gkLatency, 50), 2),
      p99_ms: round(percentile(gkLatency, 99), 2),
      gatekeeper_cpu_us: round(median(gatekeeper.map((x) => x.cpuUs))),
      baseline_cpu_us: round(median(baseline.map((x) => x.cpuUs))),
      gatekeeper_loop_us: round(median(gatekeeper.map((x) => x.loopUs))),
      baseline_loop_us: round(median(baseline.map((x) => x.loopUs))),
      gatekeeper_loop_busy: round(median(gatekeeper.map((x) => x.loopShare)), 2),
      baseline_loop_busy: round(median(baseline.map((x) => x.loopShare)), 2),
      baseline_p50_ms: round(percentile(baseLatency, 50), 2),
      baseline_p99_ms: round(percentile(baseLatency, 99), 2),
      ratio_min: round(Math.min(...ratios), 3),
      ratio_max: round(Math.max(...ratios), 3),
      sealed_rps: round(median(sealed.map((x) => x.rps))),
      sealed_ratio: round(median(sealedRatios), 3),
      sealed_p50_ms: round(percentile(sealedLatency, 50), 2),
      sealed_p99_ms: round(percentile(sealedLatency, 99), 2),
      first_seen_certificates: round(firstSeen, 3),
      pairs: PAIRS,
      certificates,
      relationships,
      refused,
      load_before: loadBefore,
      load_after: loadAfter,
    }),
  );
}

// The server's failure ends it (fabric-contract-api would log it and go on), and so the report's set-up.
if (process.argv[2] === 'serve') {
  await serve().catch((err: unknown) => {
    process.stderr.write(`bench:gateway server failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
} else await runBench('gateway', main);
