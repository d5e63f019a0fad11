/**
 * npm run bench:research — how long a study query's answer takes, per hospital and end to end, over
 * the demo's seeded population and over a large synthetic one, in one run on 127.0.0.1.
 *
 * Two hospitals on the embedded ledger (real chaincode, CAs, seeded SQLite EHRs, the demo's research
 * population: every patient with a ledger identity and relationship, ~80 % opted in with their own
 * key). For each population size, researchers submit studies (mean glucose by sex over five years)
 * and collect them:
 * - per hospital: one signed POST /gatekeeper/research to that hospital's gatekeeper (cohort read
 *   from the ledger page by page, the catalogue's SQL over those patients, disclosure control, the
 *   release recorded on the ledger, inclusions, audit);
 * - end to end: POST /research/queries/{id}/collect as the researcher (both gatekeepers in parallel,
 *   each answer checked against its release record, combined);
 * - baseline, same run: the gatekeeper's exact aggregate in-process (the same ledger cohort read and
 *   SQL, no noise, no release, no HTTP), so the figures read as the price of releasing.
 * Ends with one JSON line {"bench":"research","p50_ms","p99_ms","patients",…} — p50/p99 end to end
 * over the largest population.
 *
 * MEDREC_BENCH_RESEARCH_SIZES: patients per hospital, comma-separated (default "1500,50000": the
 * seeded demo population and 100,000 synthetic patients in all; sizes above 5,000 are seeded through
 * the panel onboarding path, demo/panel-population.ts: per patient a ledger identity and a
 * relationship in batches of 500, and per opted-in patient a device certificate from the hospital's
 * CA and a consent transaction signed with that patient's own key); MEDREC_BENCH_RESEARCH_RUNS:
 * studies per size and measure (default 40; docs/research.md's 100,000-patient figure used 10).
 */
import '../src/system/quiet-chaincode.js';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { identityId, type StudyRequest } from '@medrec/chaincode/domain';
import { Registrar, Research } from '../src/contract/medrec.js';
import { requestAnswer } from '../src/services/research/client.js';
import { seedPopulationByPanel } from '../demo/panel-population.js';
import { seedResearchPopulation } from '../demo/research-population.js';
import { positiveIntegers, runBench, type Stage } from './support/run.js';
import { openWorld, REGISTRAR_PASSWORD, type Hospital, type Person, type World } from '../test/support/world.js';

const RUNS = Number(process.env.MEDREC_BENCH_RESEARCH_RUNS ?? 40);
/** ε per answer: each iteration spends 4 answers (two studies at two hospitals), 12 iterations per budget of 5. */
const EPSILON = 0.1;
const PER_RESEARCHER = 10;
const STUDY: Omit<StudyRequest, 'validUntil'> = {
  template: 'lab-mean',
  code: '2345-7',
  criteria: { period: { from: '2020-01-01', to: '2025-01-01' }, sex: ['female', 'male'] },
  groupBy: ['sex'],
  epsilon: EPSILON,
  protocolHash: null,
};

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const round = (x: number) => Math.round(x * 10) / 10;
function summary(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50_ms: round(pct(s, 50)), p99_ms: round(pct(s, 99)), max_ms: round(s[s.length - 1]!) };
}

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const value = await work();
  return [performance.now() - start, value];
}

async function researchers(w: World, n: number): Promise<Person[]> {
  const h = w.h1;
  const prefix = `bench-${randomBytes(3).toString('hex')}`;
  const credentials = await h.ca.enrollBatch(h.registrar, Array.from({ length: n }, (_, i) => ({ enrollmentId: `${prefix}-${i}`, role: 'researcher' })));
  const items = credentials.map((c) => ({ externalIdHash: randomBytes(32).toString('hex'), enrollmentId: c.enrollmentId, role: 'researcher' as const }));
  const pids = (await w.client.submit(h.registrar, Registrar.registerBatch(items))).value;
  return credentials.map((c, i) => ({ signer: c, enrollmentId: c.enrollmentId, role: 'researcher', mspId: h.mspId, participantId: pids[i]!, identityId: identityId(h.mspId, c.enrollmentId) }));
}

async function study(w: World, researcher: Person): Promise<string> {
  const validUntil = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  return (await w.client.submit(researcher.signer, Research.submitStudy({ ...STUDY, validUntil }))).value.queryId;
}

async function measure(perHospital: number) {
  const unlimited = { max: 1_000_000_000, windowSeconds: 60 };
  const [openMs, w] = await timed(() =>
    openWorld({
      patients: perHospital,
      anchoring: { everyRecords: 500, intervalMs: 5_000 },
      // The bench drives a few certificates far past the production rate limits, which it measures around.
      config: { rateLimits: { gatekeeperCertificate: unlimited, gatekeeperUnverified: unlimited, unauthenticated: unlimited } },
    }),
  );
  try {
    // The demo's population as npm start seeds it; a large synthetic one onboarded as a hospital onboards
    // its panel (docs/onboarding.md), without pointers (research reads none).
    const population = { patients: perHospital, registrarPassword: REGISTRAR_PASSWORD };
    const [seedMs, reports] = await timed(() =>
      perHospital <= 5000 ? seedResearchPopulation(w.system, { ...population, pointers: true }) : seedPopulationByPanel(w.system, population),
    );
    for (const r of reports) if ('phases' in r) process.stdout.write(`  ${r.mspId} onboarded by panel: ${JSON.stringify(r)}\n`);
    const patients = reports.reduce((sum, r) => sum + r.patients, 0);
    const consented = reports.reduce((sum, r) => sum + r.consented, 0);
    process.stdout.write(`\n${patients.toLocaleString('en')} patients (${consented.toLocaleString('en')} opted in): EHRs seeded and gateways up in ${(openMs / 1000).toFixed(1)} s, ledger population in ${(seedMs / 1000).toFixed(1)} s\n`);
    const team = await researchers(w, Math.ceil((RUNS + 1) / PER_RESEARCHER));
    const tokens = await Promise.all(team.map((r) => w.login(w.h1, r)));
    const hospitals: Hospital[] = [w.h1, w.h2];
    const perHospitalMs: Record<string, number[]> = Object.fromEntries(hospitals.map((h) => [h.mspId, []]));
    const baselineMs: Record<string, number[]> = Object.fromEntries(hospitals.map((h) => [h.mspId, []]));
    const endToEnd: number[] = [];
    let released = 0;
    let cellsSuppressed = 0;
    // One warm-up iteration (first statements, first pages), not counted.
    for (let i = -1; i < RUNS; i++) {
      const index = i + 1;
      const researcher = team[Math.floor(index / PER_RESEARCHER)]!;
      const token = tokens[Math.floor(index / PER_RESEARCHER)]!;
      const a = await study(w, researcher);
      for (const h of hospitals) {
        const asked = { ...researcher, claims: { query: a, aud: h.url, iat: 0, exp: 0, jti: randomBytes(8).toString('hex') } };
        const [base] = await timed(() => h.runtime.researchGatekeeper.exact(asked));
        const [ms, answer] = await timed(() => requestAnswer(researcher.signer, h.url, a, { ...h.runtime.gatekeepers, timeoutMs: 120_000 }));
        cellsSuppressed += answer.answer.cells.filter((c) => c.suppressed).length;
        if (i >= 0) {
          perHospitalMs[h.mspId]!.push(ms);
          baselineMs[h.mspId]!.push(base);
        }
      }
      const b = await study(w, researcher);
      const [ms, response] = await timed(() =>
        fetch(`${w.h1.url}/research/queries/${b}/collect`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }),
      );
      const collection = (await response.json()) as { hospitals: { outcome: string }[] };
      if (response.status !== 200 || collection.hospitals.some((h) => h.outcome !== 'released')) {
        throw new Error(`collect answered ${response.status}: ${JSON.stringify(collection).slice(0, 500)}`);
      }
      released += collection.hospitals.length;
      if (i >= 0) endToEnd.push(ms);
    }
    const hospitalsReport = Object.fromEntries(
      hospitals.map((h) => {
        const answer = summary(perHospitalMs[h.mspId]!);
        const base = summary(baselineMs[h.mspId]!);
        return [h.mspId, { ...answer, baseline_p50_ms: base.p50_ms, ratio_p50: round(answer.p50_ms / base.p50_ms) }];
      }),
    );
    const e2e = summary(endToEnd);
    for (const [msp, r] of Object.entries(hospitalsReport)) {
      process.stdout.write(`  ${msp.padEnd(13)} answer p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms (n=${r.n}); exact aggregate alone p50 ${r.baseline_p50_ms} ms → ×${r.ratio_p50}\n`);
    }
    process.stdout.write(`  end to end    collect p50 ${e2e.p50_ms} ms, p99 ${e2e.p99_ms} ms (n=${e2e.n}; ${released} answers released, ${cellsSuppressed} cells suppressed)\n`);
    return { patients, consented, open_s: round(openMs / 1000), population_s: round(seedMs / 1000), hospitals: hospitalsReport, end_to_end: e2e };
  } finally {
    await w.close();
  }
}

async function main(stage: Stage): Promise<void> {
  stage('read the settings');
  const sizes = positiveIntegers('MEDREC_BENCH_RESEARCH_SIZES', process.env.MEDREC_BENCH_RESEARCH_SIZES ?? '1500,50000');
  const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
  process.stdout.write(`bench:research — a study query (mean glucose 2020–2024 by sex, epsilon ${EPSILON}) at two hospitals\nload before: ${load()}\n`);
  const results = [];
  for (const size of sizes) {
    stage(`${size} patients per hospital`);
    results.push(await measure(size));
  }
  const last = results[results.length - 1]!;
  process.stdout.write(`load after: ${load()}\n`);
  process.stdout.write(
    `${JSON.stringify({ bench: 'research', p50_ms: last.end_to_end.p50_ms, p99_ms: last.end_to_end.p99_ms, patients: last.patients, runs: RUNS, sizes: results })}\n`,
  );
}

await runBench('research', main);
