/**
 * npm run bench:gateway — the price of the gatekeeper's security, measured in one run on 127.0.0.1.
 *
 * A child process runs two hospitals on the embedded ledger (real chaincode, CAs, seeded SQLite EHR)
 * plus a bare Fastify route that serves the same mapped SQL read as a FHIR Bundle with no checks.
 * This process drives both with autocannon: the gatekeeper with a pool of pre-signed requests
 * (distinct jti each, so none is a replay), the baseline with the same body. Every gatekeeper
 * request pays for signature and chain checks, the replay cache, a checkAccess evaluation on the
 * ledger, the SQL read, hashing, projection and a durable audit record (fsync; group-committed).
 */
// The gateway's own setting (main.ts): fabric-shim at WARNING, not the INFO a bare process gets.
import '../src/system/quiet-chaincode.js';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { hashResources, project, toBundle } from '../src/services/records/records.js';
import { ReplayCache } from '../src/services/gatekeeper/replay.js';
import { JOSE_MEDIA_TYPE, RequestVerifier, signRequest } from '../src/services/gatekeeper/signed-request.js';
import type { Signer } from '../src/ports/ledger.js';
import { Relationship } from '../src/contract/medrec.js';
import { endorsedBy } from '../src/contract/request.js';
import type { Person, World } from '../test/support/world.js';

const CONNECTIONS = 16;
const DURATION_S = 10;
const CATEGORY = 'Observation';

interface Setup {
  gatekeeperUrl: string;
  baselineUrl: string;
  rel: string;
  signer: Signer;
  observations: number;
  /** mean ms of each gatekeeper stage run alone, one after another */
  stages: Record<string, number>;
}

const STAGE_RUNS = 200;

async function mean(run: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < STAGE_RUNS; i++) await run(i);
  return (performance.now() - start) / STAGE_RUNS;
}

/** Where a gatekeeper request's time goes, stage by stage, without concurrency. */
async function stages(world: World, patient: Person, rel: string, mrn: string): Promise<Record<string, number>> {
  const { h2 } = world;
  const spec = { rel, cat: CATEGORY as 'Observation', fields: [], aud: h2.url };
  const signed: string[] = [];
  const sign = await mean(async () => signed.push(await signRequest(patient.signer, spec)));
  const verifier = new RequestVerifier(world.trust, new ReplayCache(), () => h2.url);
  const verify = await mean((i) => verifier.verify(signed[i]!));
  const decide = await mean(() => world.client.evaluate(h2.service, Relationship.checkAccess(rel, patient.identityId, CATEGORY, [])));
  const read = await mean(() => h2.records.fetch(CATEGORY, mrn));
  const resources = await h2.records.fetch(CATEGORY, mrn);
  const hashAndProject = await mean(async () => toBundle(project(resources, ['code'])) && hashResources(resources));
  const entry = { at: new Date().toISOString(), requester: patient.identityId, mspId: patient.mspId, role: 'patient',
    relationshipId: rel, category: CATEGORY, fields: [], decision: 'BENCH_STAGE', status: 200, hashMatches: true, jti: null, exp: null };
  const audit = await mean(() => h2.audit.append(entry));
  return {
    'sign (client side)': sign,
    'verify signature + chain + claims': verify,
    'checkAccess on the ledger': decide,
    'mapped SQL read + FHIR mapping': read,
    'hash + projection + bundle': hashAndProject,
    'audit append (one fsync each)': audit,
  };
}

async function serve(): Promise<void> {
  // Loaded here only: the chaincode's decorators log at load time, and the report process should stay quiet.
  const { openWorld } = await import('../test/support/world.js');
  // The bench drives one certificate from one address far past the production rate limits, which it
  // measures around, not through.
  const unlimited = { max: 1_000_000_000, windowSeconds: 60 };
  const world = await openWorld({
    patients: 4,
    anchoring: { everyRecords: 500, intervalMs: 5_000 },
    config: { rateLimits: { gatekeeperCertificate: unlimited, gatekeeperUnverified: unlimited, unauthenticated: unlimited } },
  });
  const { h2 } = world;
  const patient = await world.enrol(world.h1, 'bench.patient', 'patient');
  const doctor = await world.enrol(h2, 'bench.doctor', 'provider');
  const mrn = h2.patients[0]!.mrn;
  const rel = await world.relationship(h2, doctor, patient, mrn, [CATEGORY]);
  await world.client.submit(patient.signer, endorsedBy(Relationship.accept(rel), h2.mspId));

  const baseline = Fastify({ logger: false });
  baseline.addContentTypeParser(JOSE_MEDIA_TYPE, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  baseline.post('/baseline', async () => toBundle(await h2.records.fetch(CATEGORY, mrn)));
  const baselineUrl = await baseline.listen({ host: '127.0.0.1', port: 0 });

  const setup: Setup = {
    gatekeeperUrl: h2.url,
    baselineUrl,
    rel,
    signer: patient.signer,
    observations: (await h2.records.fetch(CATEGORY, mrn)).length,
    stages: await stages(world, patient, rel, mrn),
  };
  process.send!(setup);
  process.on('message', async () => {
    const check = h2.audit.verify();
    await baseline.close();
    await world.close();
    process.send!({ auditRecords: check.count, auditOk: check.ok });
    process.exit(0);
  });
}

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function pool(setup: Setup, size: number): Promise<string[]> {
  const spec = { rel: setup.rel, cat: CATEGORY as 'Observation', fields: [], aud: new URL(setup.gatekeeperUrl).origin };
  const out: string[] = [];
  for (let i = 0; i < size; i++) out.push(await signRequest(setup.signer, spec, { lifetimeSeconds: 120 }));
  return out;
}

function target(url: string, bodies: string[], seconds: number, accept = 'application/json'): autocannon.Options {
  let next = 0;
  return {
    url,
    method: 'POST',
    headers: { 'content-type': JOSE_MEDIA_TYPE, accept },
    body: bodies[0],
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
  };
}

async function main(): Promise<void> {
  // The child's stdout carries fabric-contract-api's start-up chatter: keep it out of the report.
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['serve'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const setup = await new Promise<Setup>((resolve) => child.once('message', (m) => resolve(m as Setup)));
  const query = `${setup.gatekeeperUrl}/gatekeeper/query`;
  const base = `${setup.baselineUrl}/baseline`;

  // Warm both up and size the pool from a short gatekeeper run, so no signed request is used twice.
  const warm = await pool(setup, 3_000);
  await run(target(base, warm, 2));
  const probe = await run(target(query, warm, 2));
  const size = Math.ceil(probe.requests.average * DURATION_S * 2) + 2_000;
  const signed = await pool(setup, size);

  const baseline = await run(target(base, signed, DURATION_S));
  const gatekeeper = await run(target(query, signed, DURATION_S));
  // The same answers sealed to the requester's key (Accept: application/jose): fresh jti, same load.
  const sealedPool = await pool(setup, size);
  const sealed = await run(target(query, sealedPool, DURATION_S, JOSE_MEDIA_TYPE));

  child.send('stop');
  const audit = await new Promise<{ auditRecords: number; auditOk: boolean }>((resolve) =>
    child.once('message', (m) => resolve(m as { auditRecords: number; auditOk: boolean })),
  );

  const rows = [
    ['', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
    ...[
      ['baseline (bare SQL read)', baseline],
      ['gatekeeper', gatekeeper],
      ['gatekeeper, sealed (JWE)', sealed],
    ].map(([name, r]) => {
      const x = r as autocannon.Result;
      return [name as string, x.requests.average.toFixed(0), String(x.latency.p50), String(x.latency.p99), String(x.non2xx), String(x.errors)];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`\ngateway bench: ${CONNECTIONS} connections, ${DURATION_S} s each, ${setup.observations} ${CATEGORY} resources per answer`);
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  console.log(`signed-request pool: ${size} distinct jti; audit log: ${audit.auditRecords} records, chain ${audit.auditOk ? 'intact' : 'BROKEN'}`);
  console.log(`\nwhere a gatekeeper request's time goes (each stage alone, mean of ${STAGE_RUNS}):`);
  const w = Math.max(...Object.keys(setup.stages).map((k) => k.length));
  for (const [stage, ms] of Object.entries(setup.stages)) console.log(`  ${stage.padEnd(w)}  ${ms.toFixed(3)} ms`);
  if (sealed.non2xx > 0) console.log('warning: some sealed requests were refused');
  if (gatekeeper.non2xx > 0) console.log('warning: some gatekeeper requests were refused; the figures are not all authorised fetches');

  const ratio = gatekeeper.requests.average / baseline.requests.average;
  console.log(
    JSON.stringify({
      bench: 'gateway',
      gatekeeper_rps: Math.round(gatekeeper.requests.average),
      baseline_rps: Math.round(baseline.requests.average),
      ratio: Number(ratio.toFixed(3)),
      p50_ms: gatekeeper.latency.p50,
      p99_ms: gatekeeper.latency.p99,
      sealed_rps: Math.round(sealed.requests.average),
      sealed_ratio: Number((sealed.requests.average / gatekeeper.requests.average).toFixed(3)),
      sealed_p50_ms: sealed.latency.p50,
      sealed_p99_ms: sealed.latency.p99,
      load1: Number(loadavg()[0]!.toFixed(2)),
    }),
  );
}

if (process.argv[2] === 'serve') await serve();
else await main();
