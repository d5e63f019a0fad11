/**
 * npm run bench:fabric — on the running native Fabric network (npm run fabric:up):
 * - committed MedRec transactions per second (Relationship.create, endorsed by the provider's
 *   hospital) and p50/p99 commit latency (submit → commit status), through the FabricLedger adapter;
 * - the same for a trivial put-state transaction (chaincode `putstate`, network/putstate: one
 *   putState, no reads, no checks) on the same network, and the ratio: what our chaincode costs;
 * - ledger bytes per relationship: growth of the peer's block files / relationships created, one per
 *   transaction and in batches (Relationship.createBatch, as a hospital onboarding its patients).
 * Ends with one JSON line. BENCH_TX (default 400) transactions per run, BENCH_CONCURRENCY (default 32)
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
import { join } from 'node:path';
import { LedgerUnavailableError, type LedgerPort, type Signer } from '../src/ports/ledger.js';
import { loadConfig } from '../src/system/config.js';
import { openLedgers } from '../src/system/ledger.js';
import { openIdentity } from '../src/system/identity.js';

const TX = Number(process.env.BENCH_TX ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const ROOT = new URL('../../../', import.meta.url).pathname;
const DATA = process.env.FABRIC_DATA ?? join(ROOT, '.fabric', 'network');

interface Hospital {
  key: string;
  mspId: string;
  peer: { endpoint: string; tlsCaCert: string; hostAlias: string };
  users: Record<string, { certificate: string; privateKey: string }>;
}
const network = JSON.parse(readFileSync(join(DATA, 'network.json'), 'utf8')) as { channel: string; hospitals: Hospital[] };
const h1 = network.hospitals[0]!;

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

async function main(): Promise<void> {
  const medrec = await ledgerFor('medrec');
  const putstate = await ledgerFor('putstate');
  const provider = signer('records-service');
  await ensureRegistered(medrec, provider, 'records-service', 'provider');

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
  await load(CONCURRENCY, () => committed(medrec, () => medrec.submit(provider, 'Relationship', 'create', [patient(), endpoint], orgs)));
  await load(CONCURRENCY, (i) => committed(putstate, () => putstate.submit(provider, 'PutState', 'put', [`warm-${run}-${i}`, 'x'])));

  const before = blockBytes();
  const mr = await load(TX, () => committed(medrec, () => medrec.submit(provider, 'Relationship', 'create', [patient(), endpoint], orgs)));
  const singleBytes = (blockBytes() - before) / TX;

  const ps = await load(TX, (i) => committed(putstate, () => putstate.submit(provider, 'PutState', 'put', [`k-${run}-${i}`, 'x'], orgs)));

  const batches = Math.max(1, Math.round(TX / BATCH));
  const beforeBatch = blockBytes();
  for (let b = 0; b < batches; b++) {
    const batch = Array.from({ length: BATCH }, () => ({ patientId: patient(), endpoint }));
    await committed(medrec, () => medrec.submit(provider, 'Relationship', 'createBatch', [JSON.stringify(batch)], orgs));
  }
  const batchedBytes = (blockBytes() - beforeBatch) / (batches * BATCH);
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
  };
  console.log(`transactions per run ${TX}, ${CONCURRENCY} in flight, batches of ${BATCH}; network ${DATA}`);
  console.log(`medrec   Relationship.create: ${result.medrec_tps} tx/s, commit p50 ${result.commit_p50_ms} ms, p99 ${result.commit_p99_ms} ms`);
  console.log(`putstate PutState.put:        ${result.putstate_tps} tx/s, commit p50 ${percentile(ps.latencies, 50).toFixed(1)} ms, p99 ${percentile(ps.latencies, 99).toFixed(1)} ms`);
  console.log(`ledger bytes per relationship: ${result.ledger_bytes_per_relationship} singly, ${result.ledger_bytes_per_relationship_batched} batched`);
  console.log(`submits answered unavailable, then found committed by transaction id: ${unknownThenCommitted}`);
  console.log(JSON.stringify(result));
}

await main();
