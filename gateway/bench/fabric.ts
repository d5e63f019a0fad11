/**
 * npm run bench:fabric — on the running native Fabric network (npm run fabric:up):
 * - committed MedRec transactions per second (Relationship.create, endorsed by the provider's
 *   hospital) and p50/p99 commit latency (submit → commit status), through the FabricLedger adapter;
 * - the same for a trivial put-state transaction (chaincode `putstate`, network/putstate: one
 *   putState, no reads, no checks) on the same network, and the ratio: what our chaincode costs;
 * - ledger bytes per relationship: growth of the peer's block files / relationships created, one per
 *   transaction and in batches (Relationship.createBatch, as a hospital onboarding its patients).
 * - issue 14's cost (docs/privacy.md), in the same run: BENCH_PRIVACY_FLOWS (default 40) relationship
 *   flows (create, putPointer, accept and grant signed by the patient, as in bench:ledger), half with
 *   people whose enrollment id is a username (before) and half with opaque ids (after), in alternating
 *   chunks; committed tx/s and block-file bytes per relationship flow of each (`privacy`). The
 *   external-id index change adds nothing to the ledger (an entry is 64 hex before and after); its
 *   per-entry cost off the ledger is `privacy.external_id` (same as bench:ledger's).
 * Ends with one JSON line; a failure exits non-zero and its JSON line names the step that failed
 * (`{"bench":"fabric","ok":false,"failed":…,"error":…}`). BENCH_TX (default 400) transactions per run, BENCH_CONCURRENCY (default 32)
 * in flight, BENCH_BATCH (default 100) relationships per batch transaction.
 *
 * A submit answered "unavailable" after it reached the orderers has an unknown outcome (SmartBFT: the
 * peer's Gateway wants a quorum of orderers to accept, and an orderer that already has the
 * transaction answers "request already processed"). It is not resubmitted (that would write twice):
 * its transaction id is looked up until the ledger says VALID, and it counts as committed then, with
 * that time as its latency; how many needed this is reported (`unknown_then_committed`).
 */
// fabric-contract-api logs every decorator when the chaincode module loads (through the composition root).
import '../src/system/quiet-chaincode.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { LedgerUnavailableError, type LedgerPort, type Signer } from '../src/ports/ledger.js';
import { loadConfig } from '../src/system/config.js';
import { openLedgers } from '../src/system/ledger.js';
import { openIdentity } from '../src/system/identity.js';
import type { Credentials } from '../src/ports/identity.js';
import { opaqueEnrollmentId } from '../src/services/enrolment/opaque-id.js';
import { externalIdCost } from './support/external-id.js';
import { runBench, type Stage } from './support/run.js';

const TX = Number(process.env.BENCH_TX ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const PRIVACY_FLOWS = Number(process.env.BENCH_PRIVACY_FLOWS ?? 40);
const PRIVACY_CHUNKS = 4;
const GRANT = JSON.stringify({
  items: [{ category: 'Observation', fields: ['code'] }],
  validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
  purpose: 'TREAT',
});
const ROOT = new URL('../../../', import.meta.url).pathname;
const DATA = process.env.FABRIC_DATA ?? join(ROOT, '.fabric', 'network');

interface Hospital {
  key: string;
  mspId: string;
  peer: { endpoint: string; tlsCaCert: string; hostAlias: string };
  users: Record<string, { certificate: string; privateKey: string }>;
}
let network: { channel: string; hospitals: Hospital[] };
let h1: Hospital;

function signer(user: string): Signer {
  return {
    mspId: h1.mspId,
    certificate: readFileSync(h1.users[user]!.certificate, 'utf8'),
    privateKey: readFileSync(h1.users[user]!.privateKey, 'utf8'),
  };
}

/** Hospital 1's peer connection for a chaincode, from the composition root's ledger factory. */
async function ledgerFor(chaincode: string): Promise<LedgerPort> {
  const config = loadConfig({ MEDREC_FABRIC_NETWORK: join(DATA, 'network.json'), MEDREC_DATA_DIR: join(DATA, 'bench-gateway') });
  const ca = await openIdentity(config.hospitals[0]!);
  const ledgers = await openLedgers({ ...config, ledger: { adapter: 'fabric', options: { channel: network.channel, chaincode } } }, [ca]);
  return ledgers.byMsp.get(h1.mspId)!;
}

/** Bytes of the peer's block files for the channel: what the ledger costs on disk. */
function blockBytes(): number {
  const dir = join(DATA, 'orgs', h1.key, 'nodes', 'peer0', 'data', 'ledgersData', 'chains', 'chains', network.channel);
  return readdirSync(dir)
    .filter((f) => f.startsWith('blockfile'))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

function hex64(n: number, salt: string): string {
  return (salt + n.toString(16)).padStart(64, '0').slice(-64);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

let unknownThenCommitted = 0;

/** The submit, or, when its outcome is unknown, its transaction's final status from the ledger. */
async function committed<T>(ledger: LedgerPort, submit: () => Promise<T>): Promise<T | undefined> {
  try {
    return await submit();
  } catch (error) {
    const txId = (error as { cause?: { transactionId?: string } }).cause?.transactionId;
    if (!(error instanceof LedgerUnavailableError) || !txId) throw error;
    for (let i = 0; i < 120; i++) {
      const tx = await ledger.getTransaction(txId).catch(() => undefined);
      if (tx?.validationCode === 'VALID') {
        unknownThenCommitted++;
        return undefined;
      }
      if (tx) throw new Error(`transaction ${txId} was answered unavailable and is ${tx.validationCode}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw error;
  }
}

/** Runs `count` submissions, `CONCURRENCY` at a time; committed tx/s and commit latencies. */
async function load(count: number, submit: (i: number) => Promise<unknown>): Promise<{ tps: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await submit(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { tps: count / seconds, latencies: latencies.sort((a, b) => a - b) };
}

async function ensureRegistered(ledger: LedgerPort, user: Signer, enrollmentId: string, role: string): Promise<void> {
  try {
    await ledger.evaluate(user, 'Registrar', 'whoami', []);
  } catch {
    await ledger.submit(signer('registrar'), 'Registrar', 'register', [hex64(Date.now(), 'e0'), enrollmentId, role]);
  }
}

type Kind = 'named' | 'opaque';

/**
 * Issue 14's before/after in one run: people enrolled at Hospital 1's Fabric CA (the certificate a
 * patient signs accept and grant with carries the enrollment id), registered on the ledger, then
 * their relationship flows in alternating chunks of the two kinds.
 */
async function privacyCost(medrec: LedgerPort, provider: Signer, run: string): Promise<Record<Kind, { tps: number; bytes_per_relationship: number }>> {
  const config = loadConfig({ MEDREC_FABRIC_NETWORK: join(DATA, 'network.json'), MEDREC_DATA_DIR: join(DATA, 'bench-gateway') });
  const ca = (await openIdentity(config.hospitals[0]!)).identity;
  const registrar: Credentials = { ...signer('registrar'), enrollmentId: 'registrar' };
  const kinds: Kind[] = ['named', 'opaque'];
  const flows: { kind: Kind; patient: Credentials; viewer: Credentials; pid?: string; viewerPid?: string }[] = [];
  for (let i = 0; i < PRIVACY_FLOWS; i++) {
    const kind = kinds[i % 2]!;
    // One at a time: the Fabric CA answers concurrent registrations with errors under load.
    const person = async (role: 'patient' | 'viewer') => {
      const enrollmentId = kind === 'named' ? `${role}${i}-${run}` : opaqueEnrollmentId();
      return ca.enroll(enrollmentId, (await ca.register(registrar, { enrollmentId, role })).secret);
    };
    const patient = await person('patient');
    flows.push({ kind, patient, viewer: await person('viewer') });
  }
  const people = flows.flatMap((f) => [f.patient, f.viewer]);
  const items = people.map((c, i) => ({ externalIdHash: hex64(i, `d${run}`), enrollmentId: c.enrollmentId, role: i % 2 === 0 ? 'patient' : 'viewer' }));
  const pids = JSON.parse(Buffer.from((await medrec.submit(signer('registrar'), 'Registrar', 'registerBatch', [JSON.stringify(items)])).result).toString()) as string[];
  flows.forEach((f, i) => Object.assign(f, { pid: pids[2 * i], viewerPid: pids[2 * i + 1] }));
  const orgs = { endorsingOrganizations: [h1.mspId] };
  const per = { named: { submits: 0, seconds: 0, bytes: 0, flows: 0 }, opaque: { submits: 0, seconds: 0, bytes: 0, flows: 0 } };
  for (let c = 0; c < PRIVACY_CHUNKS; c++) {
    const kind = kinds[c % 2]!;
    const chunk = flows.filter((f, i) => f.kind === kind && Math.floor(i / 2) % (PRIVACY_CHUNKS / 2) === Math.floor(c / 2));
    const bytes0 = blockBytes();
    const t0 = performance.now();
    await Promise.all(
      chunk.map(async (f) => {
        const submit = async (who: Signer, contract: string, fn: string, args: string[]) => {
          const result = await committed(medrec, () => medrec.submit(who, contract, fn, args, orgs));
          per[kind].submits++;
          return result;
        };
        const created = await submit(provider, 'Relationship', 'create', [f.pid!, 'https://hospital1.example/gatekeeper']);
        if (!created) throw new Error('a relationship create had an unknown outcome: its id is not known');
        const rel = (JSON.parse(Buffer.from(created.result).toString()) as { relationshipId: string }).relationshipId;
        await submit(provider, 'Relationship', 'putPointer', [rel, 'Observation', hex64(1, 'f0')]);
        await submit(f.patient, 'Relationship', 'accept', [rel]);
        await submit(f.patient, 'Relationship', 'grant', [rel, f.viewerPid!, GRANT]);
      }),
    );
    per[kind].seconds += (performance.now() - t0) / 1000;
    per[kind].bytes += blockBytes() - bytes0;
    per[kind].flows += chunk.length;
  }
  await ca.close?.();
  const of = (k: Kind) => ({ tps: Number((per[k].submits / per[k].seconds).toFixed(1)), bytes_per_relationship: Math.round(per[k].bytes / per[k].flows) });
  return { named: of('named'), opaque: of('opaque') };
}

async function main(stage: Stage): Promise<void> {
  stage('read the network');
  network = JSON.parse(readFileSync(join(DATA, 'network.json'), 'utf8')) as typeof network;
  h1 = network.hospitals[0]!;
  stage('connect to the peer');
  const medrec = await ledgerFor('medrec');
  const putstate = await ledgerFor('putstate');
  const provider = signer('records-service');
  stage('register the records service');
  await ensureRegistered(medrec, provider, 'records-service', 'provider');
  stage('register patients');

  // Patients to relate to: registered in one batch (enrollment ids need not be enrolled for this).
  const run = Date.now().toString(16);
  // One relationship per patient and hospital (the chaincode's rule): a patient for every relationship made below.
  const wanted = CONCURRENCY + TX + Math.max(1, Math.round(TX / BATCH)) * BATCH;
  const patients: string[] = [];
  for (let first = 0; first < wanted; first += 500) {
    const items = Array.from({ length: Math.min(500, wanted - first) }, (_, j) => ({ externalIdHash: hex64(first + j, `b${run}`), enrollmentId: `bench-${run}-${first + j}`, role: 'patient' }));
    patients.push(...(JSON.parse(Buffer.from((await medrec.submit(signer('registrar'), 'Registrar', 'registerBatch', [JSON.stringify(items)])).result).toString()) as string[]));
  }
  let nextPatient = 0;
  const patient = () => patients[nextPatient++]!;
  const endpoint = 'https://hospital1.example/gatekeeper';
  const orgs = { endorsingOrganizations: [h1.mspId] };

  // Warm up both chaincodes (connections, JIT) before measuring.
  stage('warm up');
  await load(CONCURRENCY, () => committed(medrec, () => medrec.submit(provider, 'Relationship', 'create', [patient(), endpoint], orgs)));
  await load(CONCURRENCY, (i) => committed(putstate, () => putstate.submit(provider, 'PutState', 'put', [`warm-${run}-${i}`, 'x'])));

  stage('Relationship.create');
  const before = blockBytes();
  const mr = await load(TX, () => committed(medrec, () => medrec.submit(provider, 'Relationship', 'create', [patient(), endpoint], orgs)));
  const singleBytes = (blockBytes() - before) / TX;

  stage('PutState.put');
  const ps = await load(TX, (i) => committed(putstate, () => putstate.submit(provider, 'PutState', 'put', [`k-${run}-${i}`, 'x'], orgs)));

  stage('Relationship.createBatch');
  const batches = Math.max(1, Math.round(TX / BATCH));
  const beforeBatch = blockBytes();
  for (let b = 0; b < batches; b++) {
    const batch = Array.from({ length: BATCH }, () => ({ patientId: patient(), endpoint }));
    await committed(medrec, () => medrec.submit(provider, 'Relationship', 'createBatch', [JSON.stringify(batch)], orgs));
  }
  const batchedBytes = (blockBytes() - beforeBatch) / (batches * BATCH);
  stage('issue 14 relationship flows');
  const privacy = await privacyCost(medrec, provider, run);
  stage('external-id cost');
  const externalId = externalIdCost();
  stage('close');
  await Promise.all([medrec.close(), putstate.close()]);

  const result = {
    bench: 'fabric',
    medrec_tps: Number(mr.tps.toFixed(1)),
    putstate_tps: Number(ps.tps.toFixed(1)),
    ratio: Number((mr.tps / ps.tps).toFixed(3)),
    commit_p50_ms: Number(percentile(mr.latencies, 50).toFixed(1)),
    commit_p99_ms: Number(percentile(mr.latencies, 99).toFixed(1)),
    ledger_bytes_per_relationship: Math.round(singleBytes),
    ledger_bytes_per_relationship_batched: Math.round(batchedBytes),
    unknown_then_committed: unknownThenCommitted,
    privacy: {
      before: privacy.named,
      after: privacy.opaque,
      tps_ratio: Number((privacy.opaque.tps / privacy.named.tps).toFixed(3)),
      bytes_ratio: Number((privacy.opaque.bytes_per_relationship / privacy.named.bytes_per_relationship).toFixed(3)),
      external_id: externalId,
    },
    load: loadavg().map((l) => Number(l.toFixed(2))),
  };
  console.log(`transactions per run ${TX}, ${CONCURRENCY} in flight, batches of ${BATCH}; network ${DATA}`);
  console.log(`medrec   Relationship.create: ${result.medrec_tps} tx/s, commit p50 ${result.commit_p50_ms} ms, p99 ${result.commit_p99_ms} ms`);
  console.log(`putstate PutState.put:        ${result.putstate_tps} tx/s, commit p50 ${percentile(ps.latencies, 50).toFixed(1)} ms, p99 ${percentile(ps.latencies, 99).toFixed(1)} ms`);
  console.log(`ledger bytes per relationship: ${result.ledger_bytes_per_relationship} singly, ${result.ledger_bytes_per_relationship_batched} batched`);
  console.log(`issue 14 (same run, alternating chunks): usernames as enrollment ids ${privacy.named.tps} tx/s, ${privacy.named.bytes_per_relationship} block bytes per relationship flow; opaque ids ${privacy.opaque.tps} tx/s, ${privacy.opaque.bytes_per_relationship} bytes`);
  console.log(`issue 14 external-id index: HMAC ${externalId.before_hmac_per_s}/s before; own OPRF entry ${externalId.after_own_per_s}/s, blinded lookup (no HTTP) ${externalId.after_lookup_per_s}/s after; ledger entry ${externalId.entry_hex_chars.before} → ${externalId.entry_hex_chars.after} hex`);
  console.log(`submits answered unavailable, then found committed by transaction id: ${unknownThenCommitted}`);
  console.log(JSON.stringify(result));
}

await runBench('fabric', main);
