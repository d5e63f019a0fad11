/**
 * Floods cannot grow storage (issue 9, item 7). 2,000 garbage requests to the gatekeeper's data and
 * audit query routes — not a JWS, the wrong media type, a certificate of no channel member, a
 * member's certificate with a forged signature, a revoked certificate — and more to the session
 * routes add no row to any table of any gateway.db and no block to the ledger: refusals of callers
 * without a valid certificate are counted in the metrics, and past a small budget per address they
 * are cut off with 429 before any work. Signed requests from a valid certificate are limited per
 * certificate.
 */
import { generateKeyPairSync } from 'node:crypto';
import Database from 'better-sqlite3';
import t from 'tap';
import { AUDIT_QUERY_TYP } from '../../src/services/gatekeeper/audit-claims.js';
import { freshClaims, signJws, signRequest } from '../../src/services/gatekeeper/signed-request.js';
import { checkLogAgainstLedger } from '../support/audit-check.js';
import type { Signer } from '../../src/ports/ledger.js';
import { testCa } from '../support/test-ca.js';
import { openWorld, type Hospital, type World } from '../support/world.js';

const FLOOD = 2000;
const PARALLEL = 16;

const world: World = await openWorld({
  // The default budgets, in a window longer than any flood here takes on a loaded machine (a flood crossing a window gets a second budget).
  config: {
    rateLimits: {
      gatekeeperCertificate: { max: 20, windowSeconds: 60 },
      gatekeeperUnverified: { max: 60, windowSeconds: 900 },
      unauthenticated: { max: 300, windowSeconds: 900 },
    },
  },
  // Legitimate requests' records are anchored within half a second, so none lands inside a flood's measurement (settled() below).
  anchoring: { everyRecords: 10, intervalMs: 500, retryMs: 200 },
});
t.teardown(() => world.close());
const { h1, h2 } = world;

const patient = await world.delegate(h2, 'flood.patient');
const doctor = await world.enrol(h2, 'flood.doctor', 'provider');
const revoked = await world.enrol(h1, 'flood.revoked', 'viewer');
const rel = await world.relationship(h2, doctor, patient, h2.patients[0]!.mrn, ['Observation']);
await h1.ca.revoke(h1.admin, 'flood.revoked', 'keyCompromise');

// Opened once, at the start: the counts then come from the very files the gateways write.
const databases = [h1, h2].map((h) => ({ mspId: h.mspId, db: new Database(`${h.dataDir}/gateway.db`, { readonly: true }) }));
t.teardown(() => databases.forEach(({ db }) => db.close()));

/** Rows of every table of both hospitals' gateway.db, and the ledger's height. */
async function storage() {
  const rows: Record<string, number> = {};
  for (const { mspId, db } of databases) {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
    for (const { name } of tables) rows[`${mspId}.${name}`] = (db.prepare(`SELECT count(*) AS n FROM ${name}`).get() as { n: number }).n;
  }
  return { rows, height: await world.ledger.height() };
}

/**
 * Waits (bounded) until the ledger anchors every audit record of hospital 2 and storage is still
 * for half a second: an anchor adds a block, and its event a notification at the anchoring hospital.
 */
async function settled(): Promise<void> {
  let last = '';
  for (let i = 0; i < 60; i++) {
    // Only hospital 2's gatekeeper is asked here (a provider reads its own organisation's anchors).
    const check = await checkLogAgainstLedger(h2.audit, world.client, doctor.signer, h2.mspId);
    const now = JSON.stringify(await storage(), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    if (check.unanchored === 0 && now === last) return;
    last = now;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('storage still changing after 30 s');
}

async function metric(h: Hospital, name: string): Promise<number> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
}

async function flood(count: number, send: (i: number) => Promise<Response>): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < count) {
        const res = await send(next++);
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

t.test('signed requests of a valid certificate are limited per certificate', async (t) => {
  const statuses: number[] = [];
  for (let i = 0; i < 25; i++) {
    const jws = await signRequest(patient.signer, { rel, cat: 'Observation', fields: [], aud: h2.url });
    statuses.push((await fetch(`${h2.url}/gatekeeper/query`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: jws })).status);
  }
  t.equal(statuses.filter((s) => s === 200).length, 20, 'served up to the per-certificate budget');
  t.same(statuses.slice(20), [429, 429, 429, 429, 429], 'then 429');
  const other = await signRequest(doctor.signer, { rel, cat: 'Observation', fields: [], aud: h2.url });
  t.equal((await fetch(`${h2.url}/gatekeeper/query`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: other })).status, 200, 'another certificate from the same address is still served');
});

t.test(`${FLOOD} garbage requests to the gatekeeper's routes add no row and no block`, async (t) => {
  const rogue = await (await testCa('Hospital1MSP', 'rogue')).issue('mallory', 'patient');
  const forgedKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forged = { ...patient.signer, privateKey: forgedKey };
  const spec = { rel, cat: 'Observation' as const, fields: [], aud: h2.url };
  const audit = { rels: [rel], requester: null, since: null, until: null, before: null, limit: 10, aud: h2.url };
  const signAudit = (signer: Signer) => signJws(signer, AUDIT_QUERY_TYP, { ...audit, ...freshClaims() });
  const garbage = [
    async () => ({ route: 'query', body: 'not a jws', type: 'application/jose' }),
    async () => ({ route: 'query', body: '{"rel":"x"}', type: 'application/json' }),
    async () => ({ route: 'query', body: await signRequest(rogue, spec), type: 'application/jose' }),
    async () => ({ route: 'query', body: await signRequest(forged, spec), type: 'application/jose' }),
    async () => ({ route: 'query', body: await signRequest(revoked.signer, spec), type: 'application/jose' }),
    async () => ({ route: 'query', body: `${'eyJhbGciOiJFUzI1NiJ9'}.${'x'.repeat(3000)}.sig`, type: 'application/jose' }),
    // the signed audit query route (issue 13) takes the same garbage, and audit queries signed by no member or forged
    async () => ({ route: 'audit', body: 'not a jws', type: 'application/jose' }),
    async () => ({ route: 'audit', body: await signAudit(rogue), type: 'application/jose' }),
    async () => ({ route: 'audit', body: await signAudit(forged), type: 'application/jose' }),
    async () => ({ route: 'audit', body: await signAudit(revoked.signer), type: 'application/jose' }),
  ];
  await settled();
  const before = await storage();
  const countedBefore = await metric(h2, 'medrec_gatekeeper_unaudited_refusals_total');
  const statuses = await flood(FLOOD, async (i) => {
    const { route, body, type } = await garbage[i % garbage.length]!();
    return fetch(`${h2.url}/gatekeeper/${route}`, { method: 'POST', headers: { 'content-type': type }, body });
  });
  const after = await storage();
  t.same(after.rows, before.rows, 'no table of either gateway.db grew');
  t.equal(after.height, before.height, 'no block was added to the ledger (no anchor, nothing)');
  t.notOk(statuses.has(200), 'nothing was served');
  t.notOk([...statuses.keys()].some((s) => s >= 500), `no server error (${JSON.stringify([...statuses])})`);
  const limited = statuses.get(429) ?? 0;
  t.ok(limited >= FLOOD - 100, `past a small budget the address is cut off with 429 (${limited} of ${FLOOD})`);
  t.equal((await metric(h2, 'medrec_gatekeeper_unaudited_refusals_total')) - countedBefore, FLOOD, 'every refusal is counted in the metrics instead');
  t.ok((await metric(h2, 'medrec_rate_limited_total')) >= limited, 'and every 429 by its limit');
});

t.test(`${FLOOD} garbage requests to the session routes add no row and no block`, async (t) => {
  await settled();
  const before = await storage();
  const bodies = [
    ['/auth/login', { username: 'nobody-here', password: 'not-the-password' }],
    ['/device/activations/redeem', { code: 'AAAAA-BBBBB-CCCCC-DDDDD', password: 'not-the-password' }],
    ['/registrar/activations', { role: 'patient', externalIdKind: 'national-id', externalId: 'X' }],
    ['/relationships', { patientId: 'a'.repeat(64), mrn: 'H1-000100' }],
    ['/no/such/route', {}],
  ] as const;
  const statuses = await flood(FLOOD, (i) => {
    const [path, body] = bodies[i % bodies.length]!;
    return fetch(`${h1.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer forged.token.here' }, body: JSON.stringify(body) });
  });
  const after = await storage();
  t.same(after.rows, before.rows, 'no table of either gateway.db grew');
  t.equal(after.height, before.height, 'no block was added to the ledger');
  t.notOk([...statuses.keys()].some((s) => s >= 500 || s < 400), `only refusals (${JSON.stringify([...statuses])})`);
  t.ok((statuses.get(429) ?? 0) >= FLOOD - 300, 'past the unauthenticated budget: 429');
});
