/**
 * The fault run (npm run fault:multihost; issue 16): on the multihost network, writes flow through
 * Hospital2's gateway (a provider opens relationships with new patients, each write with its own
 * Idempotency-Key, started at an even pace) while Hospital2 loses, in turn, its first peer, its orderer, its chaincode
 * server and its whole host (every process on it killed at once, then started again). A client
 * that gets no final answer retries with the same key, as the gateway asks. Bounded: at most
 * MAX_WRITES writes, each retried for at most WRITE_LIMIT_MS (MAX_ATTEMPTS attempts of at most
 * REQUEST_TIMEOUT_MS), the run at most RUN_LIMIT_MS.
 *
 * Reports, as one JSON line: acknowledged writes lost (must be 0), writes answered as failed but
 * committed (each recovered: its transaction id's status says committed, or the retry with its key
 * names the relationship it made), duplicates (must be 0: every patient has one relationship), and
 * the longest request. Exits 1 if any must-be-zero is not.
 */
import { randomBytes } from 'node:crypto';
import { call, login, type Json } from '../../demo/json-client.js';
import { demoPatients } from '../../demo/seed/population.js';
import { ctl, hospital, loadNetwork, openLedger, type HospitalInfo } from '../network.js';
import { enrol, registrar } from '../people.js';

const MAX_WRITES = Number(process.env.FAULT_WRITES ?? 40);
const MAX_ATTEMPTS = 200;
/** A write is retried (every 2 s) for at most this long: longer than a whole host's restart. */
const WRITE_LIMIT_MS = 6 * 60_000;
const REQUEST_TIMEOUT_MS = 90_000;
const RUN_LIMIT_MS = 20 * 60_000;
const PHASE_MS = Number(process.env.FAULT_PHASE_MS ?? 20_000);

const network = loadNetwork();
const [h1, h2] = ['Hospital1', 'Hospital2'].map((name) => hospital(network, name)) as [HospitalInfo, HospitalInfo];
const started = Date.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message: string) => console.error(`[faults ${Math.round((Date.now() - started) / 1000)} s] ${message}`);

interface Attempt {
  ms: number;
  status: number | 'no-answer';
  code?: string;
  txId?: string;
}
interface Write {
  patientId: string;
  mrn: string;
  key: string;
  phase: string;
  attempts: Attempt[];
  relationshipId?: string;
  txId?: string;
}

// Patients of Hospital1 whose charts Hospital2 holds: the registrar vouches for each (no password
// needed: the provider opens the relationship, the patient need not sign in).
const charts = demoPatients(h2.key).slice(0, MAX_WRITES);
const registrarToken = await registrar(network, h1);
const writes: Write[] = [];
log(`vouching for ${charts.length} patients at ${h1.name}`);
for (const chart of charts) {
  const vouch = () =>
    call(h1.gatewayUrl, 'POST', '/registrar/activations', registrarToken, {
      username: `fault-${randomBytes(5).toString('hex')}`,
      role: 'patient',
      externalIdKind: 'national-id',
      externalId: chart.externalId,
    });
  let issued = await vouch();
  // Each registration asks the other homes first, which limit one registrar's lookups
  // (rateLimits.externalIdLookup, 30 a minute): past it the answer is unknown (502) until the window moves on.
  for (let wait = 0; wait < 9 && issued.status === 502 && issued.json.code === 'EXTERNAL_ID_HOME_UNREACHABLE'; wait++) {
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    issued = await vouch();
  }
  if (issued.status !== 201) throw new Error(`activation → ${issued.status} ${issued.json.code}`);
  writes.push({ patientId: issued.json.participantId as string, mrn: chart.mrn, key: randomBytes(16).toString('hex'), phase: '', attempts: [] });
}
const provider = await enrol(network, h2, 'provider');
let providerToken = provider.token;
// Hospital2's peers must know the patients before its provider writes about them.
await sleep(5_000);

let phase = 'steady';

/** One write, retried with its key until it has a final answer (bounded). */
async function write(w: Write): Promise<void> {
  w.phase = phase;
  const first = Date.now();
  for (let i = 0; i < MAX_ATTEMPTS && Date.now() - first < WRITE_LIMIT_MS && Date.now() - started < RUN_LIMIT_MS; i++) {
    const t0 = Date.now();
    let attempt: Attempt;
    try {
      const res = await fetch(`${h2.gatewayUrl}/relationships`, {
        method: 'POST',
        headers: { authorization: `Bearer ${providerToken}`, 'content-type': 'application/json', 'idempotency-key': w.key },
        body: JSON.stringify({ patientId: w.patientId, mrn: w.mrn }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const json = (await res.json().catch(() => ({}))) as Json;
      attempt = { ms: Date.now() - t0, status: res.status, code: json.code, txId: json.txId };
      w.attempts.push(attempt);
      if (res.status === 201) {
        w.relationshipId = json.relationshipId;
        w.txId = json.txId;
        return;
      }
      if (res.status === 409 && json.code === 'RELATIONSHIP_EXISTS') {
        w.relationshipId = json.relationshipId;
        return;
      }
      if (res.status === 401) providerToken = await login(h2.gatewayUrl, provider.username, provider.password).catch(() => providerToken);
      else if (res.status < 500 && res.status !== 409) throw new Error(`write refused: ${res.status} ${json.code}`);
    } catch (error) {
      if ((error as Error).message.startsWith('write refused')) throw error;
      w.attempts.push({ ms: Date.now() - t0, status: 'no-answer' });
    }
    await sleep(2_000);
  }
}

async function phases(): Promise<void> {
  const steps: [string, () => Promise<void>, () => Promise<void>][] = [
    ['peer0 killed', () => ctl('kill', 'peer', h2.name), () => ctl('start', 'peer', h2.name)],
    ['orderer killed', () => ctl('kill', 'orderer', h2.name), () => ctl('start', 'orderer', h2.name)],
    ['chaincode server killed', () => ctl('kill', 'chaincode', h2.name), () => ctl('start', 'chaincode', h2.name)],
    ['host killed', () => ctl('kill', 'host', h2.name), () => ctl('start', 'host', h2.name)],
  ];
  await sleep(PHASE_MS);
  for (const [name, down, up] of steps) {
    log(`${h2.name}: ${name}`);
    phase = name;
    await down();
    await sleep(PHASE_MS);
    log(`${h2.name}: ${name} — restarting`);
    await up();
    phase = `after ${name}`;
    await sleep(PHASE_MS);
  }
}

// Writes start at an even pace over the whole run (a steady phase, then each fault and the time
// after it), so some are in flight in every phase; one that gets no final answer keeps retrying.
const PHASES = 4;
const interval = ((1 + 2 * PHASES) * PHASE_MS) / writes.length;
const inFlight: Promise<void>[] = [];
const faults = phases().finally(() => log('phases done'));
for (const w of writes) {
  inFlight.push(write(w));
  await sleep(interval);
}
await faults;
await Promise.all(inFlight);

// Every acknowledged write must be on every hospital's peers, valid.
const acknowledged = writes.filter((w) => w.txId);
const lost: string[] = [];
for (const h of network.hospitals) {
  const ledger = await openLedger(network, h);
  try {
    for (const w of acknowledged) {
      const info = await ledger.getTransaction(w.txId!);
      if (info?.validationCode !== 'VALID') lost.push(`${w.txId} on ${h.name}`);
    }
  } finally {
    await ledger.close();
  }
}

// Failed answers whose change committed: recovered by the transaction id the answer carried, or
// by the retry with the same key (409 RELATIONSHIP_EXISTS naming the relationship).
let failedButCommitted = 0;
let recoveredByTxId = 0;
for (const w of writes.filter((x) => x.relationshipId && !x.txId)) {
  failedButCommitted++;
  for (const a of w.attempts.filter((x) => x.txId)) {
    const status = await call(h2.gatewayUrl, 'GET', `/transactions/${a.txId}`, providerToken);
    if (status.json.status === 'committed') {
      recoveredByTxId++;
      break;
    }
  }
}
const byPatient = new Map<string, Set<string>>();
for (const w of writes) if (w.relationshipId) byPatient.set(w.patientId, new Set([...(byPatient.get(w.patientId) ?? []), w.relationshipId]));
const duplicates = [...byPatient.values()].filter((ids) => ids.size > 1).length;
const unanswered = writes.filter((w) => w.attempts.length > 0 && !w.relationshipId).length;
const all = writes.flatMap((w) => w.attempts);
const failedAnswers = all.filter((a) => a.status === 'no-answer' || (typeof a.status === 'number' && a.status >= 500));
const report = {
  bench: 'faults-multihost',
  victim: h2.name,
  phases: ['peer0 killed', 'orderer killed', 'chaincode server killed', 'host killed'],
  writes: writes.filter((w) => w.attempts.length > 0).length,
  attempts: all.length,
  acknowledged: acknowledged.length,
  lostAcknowledged: lost.length,
  failedAnswers: failedAnswers.length,
  failedAnswerCodes: Object.fromEntries(
    [...new Set(failedAnswers.map((a) => `${a.status} ${a.code ?? ''}`.trim()))].map((k) => [k, failedAnswers.filter((a) => `${a.status} ${a.code ?? ''}`.trim() === k).length]),
  ),
  failedButCommitted,
  recoveredByTxId,
  recoveredByRetry: failedButCommitted,
  duplicates,
  unanswered,
  longestRequestMs: Math.max(...all.map((a) => a.ms)),
  seconds: Math.round((Date.now() - started) / 1000),
};
if (lost.length) log(`lost: ${lost.join(', ')}`);
console.log(JSON.stringify(report));
process.exit(lost.length === 0 && duplicates === 0 && unanswered === 0 ? 0 : 1);
