/**
 * Every hospital on a host of its own (npm run test:multihost: `fabric:up -- --hosts --peers 2`,
 * three hospitals, each a network namespace joined to a bridge; this test runs on a fourth, the
 * clients' host). Every endpoint is reached by name with certificates that carry it; each hospital's
 * gateway is one process on its own host serving that hospital alone. The white paper's flow over
 * REST across the three hosts; one hospital's peer down (its gateway fails over to its other peer);
 * one hospital's host cut off and restored: the others keep working, it catches up, and nothing
 * acknowledged is lost.
 */
import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { readSse, type SseEvent } from '../../demo/sse-client.js';
import { call, login, ok, type Json } from '../../demo/json-client.js';
import { type HospitalInfo, ctl, hospital, loadNetwork, nodeHeight, nodesCaughtUp, openLedger } from '../network.js';
import { chart, enrol, registrar, type Person } from '../people.js';

const run = promisify(execFile);
const network = loadNetwork();
const [h1, h2, h3] = ['Hospital1', 'Hospital2', 'Hospital3'].map((name) => hospital(network, name)) as [HospitalInfo, HospitalInfo, HospitalInfo];
/** Every transaction a gateway acknowledged, with the hospital whose gateway did. */
const acknowledged: { txId: string; via: string }[] = [];
const validUntil = () => new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function write(via: HospitalInfo, method: string, path: string, token: string, body?: unknown): Promise<Json> {
  // 503 LEDGER_UNAVAILABLE says nothing was changed: a client retries it, as here while a restored
  // host's connections come back (bounded: 10 tries over ~30 s). Any other refusal fails the test.
  let tried = await call(via.gatewayUrl, method, path, token, body);
  for (let attempt = 1; attempt < 10 && tried.status === 503 && tried.json.code === 'LEDGER_UNAVAILABLE'; attempt++) {
    await sleep(3000);
    tried = await call(via.gatewayUrl, method, path, token, body);
  }
  if (tried.status >= 400) throw new Error(`${method} ${path} → ${tried.status} ${tried.json.code}: ${tried.json.detail}`);
  const answer = tried.json;
  if (typeof answer.txId === 'string') acknowledged.push({ txId: answer.txId, via: via.name });
  return answer;
}

/**
 * Waits (bounded) until `to`'s peers have every block `from`'s first peer has: a write acknowledged
 * by one hospital's gateway is on its own peers first, and another hospital's peers receive the block
 * a moment later (longer while they notice an orderer that went silent).
 */
async function settled(from: HospitalInfo, to: HospitalInfo): Promise<void> {
  if (from !== to && !(await nodesCaughtUp(from.peers[0]!.operations, to.peers.map((p) => p.operations)))) {
    throw new Error(`${to.name}'s peers did not catch up with ${from.name}'s`);
  }
}

interface Registered {
  patient: Person;
  mrn: string;
}

/** A new patient at home at `patientAt` whose chart `at` holds. */
async function registered(at: HospitalInfo, patientAt: HospitalInfo): Promise<Registered> {
  const record = chart(at.key);
  return { patient: await enrol(network, patientAt, 'patient', record.externalId), mrn: record.mrn };
}

/**
 * Her identity at `at` for its chart `mrn`, when `at` is not her home (docs/privacy.md §3: the ledger
 * refuses her home id there): a delegate `at`'s registrar registers for the chart, redeemed with a
 * password (her account at `at`). A delegate has no external id, so no other home is asked.
 */
async function delegateAt(at: HospitalInfo, mrn: string): Promise<Person> {
  const issued = await write(at, 'POST', '/registrar/delegates', await registrar(network, at), { mrn });
  const password = `delegate-${randomBytes(8).toString('hex')}`;
  const redeemed = await ok(at.gatewayUrl, 'POST', '/device/activations/redeem', undefined, { code: issued.code, password });
  const username = redeemed.username as string;
  return { username, password, participantId: issued.participantId as string, token: await login(at.gatewayUrl, username, password), gateway: at.gatewayUrl };
}

/**
 * A relationship from `provider` (at `at`) to a new patient of `patientAt` (or one registered
 * already), accepted by the patient: under her home identity at her home, else under `at`'s delegate.
 */
async function relationship(at: HospitalInfo, provider: Person, patientAt: HospitalInfo, ready?: Registered): Promise<{ id: string; patient: Person }> {
  const { patient: home, mrn } = ready ?? (await registered(at, patientAt));
  await settled(patientAt, at);
  const patient = at === patientAt ? home : await delegateAt(at, mrn);
  const rel = await write(at, 'POST', '/relationships', provider.token, at === patientAt ? { patientId: home.participantId, mrn } : { mrn });
  await write(at, 'POST', `/relationships/${rel.relationshipId}/accept`, patient.token);
  return { id: rel.relationshipId as string, patient };
}

async function pidOf(process: string): Promise<number> {
  return Number(readFileSync(join(network.dataDir, 'pids', `${process}.pid`), 'utf8').trim());
}

/** Polls (bounded) until `check` holds. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await sleep(500);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}

t.test('each hospital is a host of its own, every endpoint reached by a name its certificate carries', async (t) => {
  for (const h of [h1, h2, h3]) {
    t.ok(h.netns, `${h.name} has a host`);
    t.equal(new URL(h.gatewayUrl).hostname, `gateway.${h.key}.medrec.test`);
    t.equal(h.peers.length, 2, `${h.name} runs two peers`);
    for (const [n, peer] of h.peers.entries()) {
      t.equal(peer.endpoint.split(':')[0], `peer${n}.${h.key}.medrec.test`);
      t.notOk(peer.hostAlias, 'no TLS name override: the name is the one the certificate carries');
      const tls = new X509Certificate(readFileSync(join(network.dataDir, 'orgs', h.key, 'nodes', `peer${n}`, 'tls', 'server.crt')));
      t.match(tls.subjectAltName, `DNS:peer${n}.${h.key}.medrec.test`);
    }
    const ready = await fetch(`${h.gatewayUrl}/ready`);
    t.equal(ready.status, 200, `${h.name}'s gateway answers on its host`);
    t.match(await ready.json(), { status: 'ready', ordering: { consensus: 'etcdraft', total: 3, reachable: 3, quorum: 2 } }, 'and reaches every orderer');
    // Its gateway is one process, on the hospital's host, given only its own hospital.
    const { stdout } = await run('ip', ['netns', 'identify', String(await pidOf(`gateway-${h.key}`))]);
    t.equal(stdout.trim(), h.netns, `${h.name}'s gateway runs on its host`);
    const served = JSON.parse(readFileSync(join(network.dataDir, `gateway-${h.key}.json`), 'utf8')) as { hospitals: { mspId: string }[] };
    t.same(served.hospitals.map((s) => s.mspId), [h.mspId], 'and is given its own hospital only');
  }
  // The test itself runs on the clients' host: a hospital's loopback is not reachable from here.
  const { stdout } = await run('ip', ['netns', 'identify', String(process.pid)]);
  t.equal(stdout.trim(), `${h1.netns!.replace(/-hospital1$/, '')}-client`, 'this test runs on the clients’ host');
  await t.rejects(fetch(`http://127.0.0.1:${h1.gatewayPort}/ready`, { signal: AbortSignal.timeout(5_000) }));
});

t.test('the flow over REST across three hosts', async (t) => {
  const grey = await enrol(network, h2, 'provider');
  const viewer = await enrol(network, h3, 'viewer');
  const record = chart(h2.key);
  const home = await enrol(network, h1, 'patient', record.externalId);
  await settled(h1, h2);
  // Hospital2 may not name her home id (docs/privacy.md §3): it treats her under its delegate, an account of hers there.
  const byHomeId = await call(h2.gatewayUrl, 'POST', '/relationships', grey.token, { patientId: home.participantId, mrn: record.mrn });
  t.same([byHomeId.status, byHomeId.json.code], [403, 'DELEGATE_REQUIRED'], 'her home id is refused at Hospital2');
  const dana = await delegateAt(h2, record.mrn);

  const stream = await fetch(`${h2.gatewayUrl}/notifications/stream`, { headers: { authorization: `Bearer ${dana.token}` } });
  const created = new Promise<SseEvent>((resolve, reject) => {
    readSse(stream.body!, (e) => (e.event.startsWith('Relationship') ? (resolve(e), true) : false)).catch(reject);
  });
  const rel = await write(h2, 'POST', '/relationships', grey.token, { mrn: record.mrn });
  t.equal(rel.patientId, dana.participantId, "the chart's delegate");
  t.ok((rel.pointers as Json[]).length > 0, "pointers hashed from Hospital2's EHR");
  t.match(JSON.parse((await created).data), { relationshipId: rel.relationshipId }, "Hospital2's gateway notifies her delegate of the write");

  await write(h2, 'POST', `/relationships/${rel.relationshipId}/accept`, dana.token);
  const mine = await ok(h2.gatewayUrl, 'POST', '/records/fetch', dana.token, { relationshipId: rel.relationshipId, category: 'Observation' });
  t.equal(mine.hashMatches, true, "Hospital2's gatekeeper, on its host, answers her with data matching the ledger");

  await write(h2, 'POST', `/relationships/${rel.relationshipId}/grants`, dana.token, {
    viewerId: viewer.participantId,
    items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }],
    validUntil: validUntil(),
    purpose: 'FAMRQT',
  });
  await settled(h2, h3);
  const seen = await ok(h3.gatewayUrl, 'POST', '/records/fetch', viewer.token, {
    relationshipId: rel.relationshipId,
    category: 'Observation',
    fields: ['code', 'valueQuantity'],
  });
  const elements = new Set((seen.bundle.entry as Json[]).flatMap((e) => Object.keys(e.resource)));
  t.ok(elements.has('valueQuantity') && !elements.has('note'), "Hospital3's viewer gets the granted fields from Hospital2's gatekeeper");

  await write(h2, 'DELETE', `/relationships/${rel.relationshipId}/grants/${viewer.participantId}`, dana.token);
  await settled(h2, h3);
  const refused = await call(h3.gatewayUrl, 'POST', '/records/fetch', viewer.token, {
    relationshipId: rel.relationshipId,
    category: 'Observation',
    fields: ['code'],
  });
  t.equal(refused.status, 403, 'revoked: refused');
  t.notOk('bundle' in refused.json, 'no data after revocation');
  stream.body?.cancel().catch(() => undefined);
});

t.test("a hospital's peer down: its gateway goes on through the hospital's other peer", async (t) => {
  const provider = await enrol(network, h1, 'provider');
  await ctl('kill', 'peer', 'Hospital1');
  t.teardown(() => ctl('start', 'peer', 'Hospital1'));
  // Reads (evaluations) and writes (endorsed by Hospital1 itself) through Hospital1's gateway.
  const { id, patient } = await relationship(h1, provider, h1);
  t.match(await ok(h1.gatewayUrl, 'GET', `/relationships/${id}`, patient.token), { status: 'accepted', providerMspId: 'Hospital1MSP' });
  t.ok((await ok(h1.gatewayUrl, 'GET', '/me/summary', patient.token)).entries.length >= 1, "the patient's summary");
  const fetched = await ok(h1.gatewayUrl, 'POST', '/records/fetch', patient.token, { relationshipId: id, category: 'Patient' });
  t.equal(fetched.hashMatches, true, "Hospital1's gatekeeper decides on its other peer");
  await ctl('start', 'peer', 'Hospital1');
  await until("Hospital1's peer0 catches up", async () => (await nodeHeight(h1.peers[0]!.operations)) >= (await nodeHeight(h1.peers[1]!.operations)));
});

t.test("a hospital's host cut off and restored: the others go on, it catches up, nothing acknowledged is lost", async (t) => {
  const providers = { h2: await enrol(network, h2, 'provider'), h3: await enrol(network, h3, 'provider') };
  const viewer = await enrol(network, h3, 'viewer');
  const before = await relationship(h2, providers.h2, h1);
  // A registration asks every other home first (a person has one home): while a home is cut off it
  // cannot be made, so the patients of the relationships made meanwhile are registered now.
  const waiting: Registered[] = [];
  for (let i = 0; i < 3; i++) waiting.push(await registered(h2, h1));
  const gatewayPid = await pidOf(`gateway-${h3.key}`);

  await ctl('cut', 'host', 'Hospital3');
  let restored = false;
  t.teardown(() => (restored ? undefined : ctl('restore', 'host', 'Hospital3')));
  await t.rejects(fetch(`${h3.gatewayUrl}/ready`, { signal: AbortSignal.timeout(3_000) }), "Hospital3's host cannot be reached");

  // Hospital1 and Hospital2 keep working: their orderers are two of three, a raft majority.
  t.match(await ok(h1.gatewayUrl, 'GET', '/ready'), { status: 'ready', ordering: { total: 3, reachable: 2, quorum: 2 } }, "Hospital1's gateway reaches two of three orderers");
  const during = [];
  for (const ready of waiting) during.push(await relationship(h2, providers.h2, h1, ready));
  const unknown = await call(h1.gatewayUrl, 'POST', '/registrar/activations', await registrar(network, h1), {
    role: 'patient',
    externalIdKind: 'national-id',
    externalId: chart(h2.key).externalId,
  });
  t.same([unknown.status, unknown.json.code, unknown.json.unreachable], [502, 'EXTERNAL_ID_HOME_UNREACHABLE', ['Hospital3MSP']], 'a registration waits for the home that is cut off');
  t.equal(during.length, 3, 'relationships created and accepted through Hospital1 and Hospital2 while Hospital3 is cut off');
  const served = await ok(before.patient.gateway, 'POST', '/records/fetch', before.patient.token, { relationshipId: before.id, category: 'Patient' });
  t.equal(served.hashMatches, true, "Hospital2's gatekeeper serves Hospital1's patient meanwhile");
  await write(h2, 'POST', `/relationships/${during[0]!.id}/grants`, during[0]!.patient.token, {
    viewerId: viewer.participantId,
    items: [{ category: 'Patient', fields: ['name'] }],
    validUntil: validUntil(),
    purpose: 'CAREMGT',
  });
  await settled(h2, h1);

  await ctl('restore', 'host', 'Hospital3');
  restored = true;
  const reference = h1.peers[0]!.operations;
  await until("Hospital3's peers catch up with the others", async () => {
    const target = await nodeHeight(reference);
    const heights = await Promise.all(h3.peers.map((p) => nodeHeight(p.operations)));
    return heights.every((height) => height >= target);
  });
  await until("Hospital3's gateway is ready again", async () => (await fetch(`${h3.gatewayUrl}/ready`)).status === 200);
  t.equal(await pidOf(`gateway-${h3.key}`), gatewayPid, "Hospital3's gateway recovered without a restart");

  // Hospital3 sees what was written while it was away, and writes again.
  const seen = await ok(h3.gatewayUrl, 'POST', '/records/fetch', viewer.token, { relationshipId: during[0]!.id, category: 'Patient', fields: ['name'] });
  t.ok((seen.bundle.entry as Json[]).length > 0, "Hospital3's viewer reads a grant made while its host was cut off");
  const after = await relationship(h3, providers.h3, h1);
  t.match(await ok(h3.gatewayUrl, 'GET', `/relationships/${after.id}`, providers.h3.token), { status: 'accepted', providerMspId: 'Hospital3MSP' });

  // Every transaction any gateway acknowledged in this file is on every hospital's peers, valid.
  for (const h of [h1, h2, h3]) {
    const ledger = await openLedger(network, h);
    try {
      const lost = [];
      for (const { txId } of acknowledged) {
        const info = await ledger.getTransaction(txId);
        if (info?.validationCode !== 'VALID') lost.push(txId);
      }
      t.same(lost, [], `all ${acknowledged.length} acknowledged transactions are valid on ${h.name}'s peers`);
    } finally {
      await ledger.close();
    }
  }
});
