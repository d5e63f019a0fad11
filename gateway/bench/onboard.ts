/**
 * npm run bench:onboard [-- --fabric] — how fast a hospital onboards its patient panel, against
 * onboarding its patients one at a time, in one run with production costs (scrypt, block cutter).
 *
 * The hospitals' gateways in this process (real chaincode, CAs, a seeded SQLite EHR of
 * MEDREC_BENCH_ONBOARD_PATIENTS charts at Hospital 1, default 10,000), on the embedded ledger, or
 * with --fabric on the running native Fabric network (npm run fabric:up -- --no-gateway
 * --demo-users: its peers, orderers and Fabric CAs; these gateways stand in for network/gateway.sh):
 * - baseline: MEDREC_BENCH_ONBOARD_SINGLE patients (default 100) onboarded the way a registrar and a
 *   provider do one person, sequentially: POST /registrar/activations (CA registration with its
 *   scrypt-hashed secret, one ledger transaction, one code), then POST /relationships (chart proof,
 *   the chart's pointers, one ledger transaction);
 * - panel: every other chart as one CSV panel, POST /admin/panels as the hospital admin, polled to
 *   the end (chart proof, Registrar.registerPanel per batch of MEDREC_BENCH_ONBOARD_BATCH (default: the ledger's, 500
 *   embedded, 100 Fabric; `batch_size` is the job's at its end, smaller after a ledger timeout),
 *   links, one code each, then Relationship.createBatch with the charts' pointers per batch; the CA
 *   registers each patient only when their code is redeemed).
 * Ends with {"bench":"onboard","ledger","patients_per_s","single_per_s","ratio",…}: ratio = panel /
 * single (single_register_per_s: the registration alone, the baseline before relationships).
 */
import '../src/system/quiet-chaincode.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoProvisioner, DEMO_HOSPITALS, DEMO_REGISTRAR_PASSWORD } from '../demo/index.js';
import { demoPatients } from '../demo/seed/population.js';
import { trustTlsRoots } from '../demo/trust.js';
import { demoUsersFor } from '../demo/users.js';
import { defaultHospitals, loadConfig, type GatewayConfig } from '../src/system/config.js';
import { closeAll, FIRST_ADMIN_CODE_FILE, openSystem, startGateways } from '../src/system/system.js';
import { runBench, type Stage } from './support/run.js';

const PATIENTS = Number(process.env.MEDREC_BENCH_ONBOARD_PATIENTS ?? 10_000);
const SINGLE = Number(process.env.MEDREC_BENCH_ONBOARD_SINGLE ?? 100);
const BATCH = process.env.MEDREC_BENCH_ONBOARD_BATCH;
const BATCH_QUERY = BATCH ? `?batchSize=${Number(BATCH)}` : '';
const FABRIC = process.argv.includes('--fabric');
const ROOT = new URL('../../../', import.meta.url).pathname;

async function call(base: string, method: string, path: string, token: string | undefined, body?: string, type = 'application/json') {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': type } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const login = async (base: string, username: string, password: string) =>
  (await call(base, 'POST', '/auth/login', undefined, JSON.stringify({ username, password }))).token as string;

async function main(stage: Stage): Promise<void> {
  stage(FABRIC ? 'read the network' : 'configure');
  const dir = mkdtempSync(join(tmpdir(), 'medrec-bench-onboard-'));
  try {
    // Each single registration asks the other homes first (a person has one home), as the registrar;
    // their limit on one registrar's lookups (30 a minute by default) is a policy, not a cost: lifted here.
    const rateLimits = { externalIdLookup: { max: 1_000_000, windowSeconds: 60 } };
    const config: GatewayConfig = FABRIC
      ? loadConfig(
          { MEDREC_FABRIC_NETWORK: join(process.env.FABRIC_DATA ?? join(ROOT, '.fabric', 'network'), 'network.json'), MEDREC_DATA_DIR: dir, MEDREC_SEED_DEMO: 'true' },
          { logLevel: 'silent', rateLimits },
          { demoSeeds: DEMO_HOSPITALS },
        )
      : loadConfig({}, { dataDir: dir, logLevel: 'silent', rateLimits, hospitals: defaultHospitals(dir, '127.0.0.1', 0) }, { demoSeeds: DEMO_HOSPITALS });
    stage('open the hospitals');
    let started = performance.now();
    const system = await openSystem(config, { provisioner: demoProvisioner({ patients: PATIENTS }), tuning: { logger: false, anchoring: false } });
    // The gateways serve HTTPS from their hospitals' TLS CAs: this client trusts them as curl --cacert would.
    trustTlsRoots(system.tlsRootsFile);
    const gateways = await startGateways(system);
    const ledgerName = FABRIC ? 'fabric' : 'embedded';
    process.stdout.write(`${gateways.length} hospitals up on the ${ledgerName} ledger (Hospital 1's EHR: ${PATIENTS.toLocaleString('en')} charts) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    try {
      const h1 = gateways[0]!.url;
      const dataDir = config.hospitals[0]!.dataDir;
      const { code } = JSON.parse(readFileSync(join(dataDir, FIRST_ADMIN_CODE_FILE), 'utf8')) as { code: string };
      await call(h1, 'POST', '/device/activations/redeem', undefined, JSON.stringify({ code, password: 'bench-admin-password' }));
      const admin = await login(h1, 'hospital-admin', 'bench-admin-password');
      const registrar = await login(h1, 'registrar', DEMO_REGISTRAR_PASSWORD);
      const provider = await login(h1, 'dr-ada', 'dr-ada-demo-pass');
      const taken = new Set(demoUsersFor('hospital1', PATIENTS).flatMap((u) => (u.mrn ? [u.mrn] : [])));
      const people = demoPatients('hospital1', { patients: PATIENTS }).filter((p) => !taken.has(p.mrn));
      const single = people.slice(0, SINGLE);
      const panel = people.slice(SINGLE);

      stage('one at a time');
      let registerS = 0;
      let relateS = 0;
      for (const p of single) {
        started = performance.now();
        const issued = await call(h1, 'POST', '/registrar/activations', registrar, JSON.stringify({ role: 'patient', externalIdKind: 'national-id', externalId: p.externalId }));
        registerS += (performance.now() - started) / 1000;
        started = performance.now();
        await call(h1, 'POST', '/relationships', provider, JSON.stringify({ patientId: issued.participantId, mrn: p.mrn }));
        relateS += (performance.now() - started) / 1000;
      }
      const singleS = registerS + relateS;
      const singlePerS = single.length / singleS;
      process.stdout.write(
        `One at a time: ${single.length} patients in ${singleS.toFixed(1)} s = ${singlePerS.toFixed(1)} patients/s (registration ${registerS.toFixed(1)} s, relationship ${relateS.toFixed(1)} s)\n`,
      );

      stage('panel');
      const csv = ['mrn', ...panel.map((p) => p.mrn)].join('\n');
      started = performance.now();
      const job = await call(h1, 'POST', `/admin/panels${BATCH_QUERY}`, admin, csv, 'text/csv');
      let state = job;
      for (let i = 0; state.state !== 'done'; i++) {
        if (i > 36_000) throw new Error('the panel job did not finish within an hour');
        if ((state.fault as { waiting?: string } | null)?.waiting === 'resume') throw new Error(`the panel job stopped: ${JSON.stringify(state)}`);
        await new Promise((r) => setTimeout(r, 100));
        state = await call(h1, 'GET', `/admin/panels/${String(job.id)}`, admin);
      }
      const panelS = (performance.now() - started) / 1000;
      if (state.registered !== panel.length || state.relationships !== panel.length || state.failed !== 0) throw new Error(`panel job: ${JSON.stringify(state)}`);
      const lettersRes = await fetch(`${h1}/admin/panels/${String(job.id)}/letters`, { headers: { authorization: `Bearer ${admin}` } });
      const letters = (await lettersRes.text()).trim().split('\n').length - 1;
      if (letters !== panel.length) throw new Error(`${letters} letters for ${panel.length} patients`);
      const perS = panel.length / panelS;
      process.stdout.write(
        `Panel: ${panel.length.toLocaleString('en')} patients registered and related in ${panelS.toFixed(1)} s = ${perS.toFixed(1)} patients/s (batches of ${String(state.batchSize)}), ${letters.toLocaleString('en')} activation codes\n`,
      );
      process.stdout.write(`100,000 patients at that rate: ${(100_000 / perS / 60).toFixed(1)} min\n`);

      stage('re-run the panel');
      // Re-running the same panel: every row already onboarded, no transaction.
      const height = await system.hospitals[0]!.ledger.height();
      started = performance.now();
      const rerun = await call(h1, 'POST', `/admin/panels${BATCH_QUERY}`, admin, csv, 'text/csv');
      let again = rerun;
      while (again.state !== 'done') {
        await new Promise((r) => setTimeout(r, 100));
        again = await call(h1, 'GET', `/admin/panels/${String(rerun.id)}`, admin);
      }
      const rerunS = (performance.now() - started) / 1000;
      const blocks = Number((await system.hospitals[0]!.ledger.height()) - height);
      process.stdout.write(`Re-run: ${String(again.existing)} already onboarded in ${rerunS.toFixed(1)} s, ${blocks} blocks written\n`);

      const [l1, l5, l15] = loadavg();
      console.log(
        JSON.stringify({
          bench: 'onboard',
          ledger: ledgerName,
          patients_per_s: Math.round(perS * 10) / 10,
          single_per_s: Math.round(singlePerS * 10) / 10,
          single_register_per_s: Math.round((single.length / registerS) * 10) / 10,
          ratio: Math.round((perS / singlePerS) * 10) / 10,
          patients: panel.length,
          single_patients: single.length,
          batch_size: state.batchSize,
          minutes_per_100k: Math.round((100_000 / perS / 60) * 10) / 10,
          rerun_blocks: blocks,
          load: [l1, l5, l15].map((x) => Math.round(x! * 100) / 100),
        }),
      );
    } finally {
      await closeAll(system, gateways);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await runBench('onboard', main);
