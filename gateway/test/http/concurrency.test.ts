/**
 * Concurrent legitimate requests never answer 5xx and leave the state consistent (STANDARDS), for
 * the routes the races harness did not cover: the home's blinded external-id lookup (direct and
 * through another hospital's /registrar/resolve), the auditor's live ledger check while blocks
 * commit, a panel upload sent several times at once with one Idempotency-Key (one job), the chart
 * flow's relationship create (POST /relationships {mrn}) for one bound chart, and activations with
 * the one-home check (distinct people; one national id several times).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blindLookup, EXTERNAL_ID_LOOKUP_TYP } from '@medrec/client/protocol';
import t from 'tap';
import { demoPatients } from '../../demo/seed/population.js';
import { Relationship } from '../../src/contract/medrec.js';
import { LOOKUP_CATEGORY } from '../../src/http/routes/gatekeeper-external-id.js';
import { JOSE_MEDIA_TYPE, freshClaims, signJws } from '../../src/services/gatekeeper/signed-request.js';
import { FIRST_ADMIN_CODE_FILE } from '../../src/system/system.js';
import { api, login, race, testSystemFor, type Json } from './support.js';

const N = 8;
t.setTimeout(240_000);
const sys = await testSystemFor(t, undefined, { rateLimits: { activation: { max: 100, windowSeconds: 60 }, login: { max: 200, windowSeconds: 60 } } });
const { h1, h2 } = sys;
const [home, other] = sys.system.hospitals;
const bob = sys.system.provisioned['Hospital1MSP']!.find((u) => u.username === 'bob')!;
const bobId = (await api(h1, 'GET', '/me', { token: await login(h1, 'bob') })).json.participantId as string;


t.test(`external-id lookups ×${N} at the home, and resolves ×${N} through another hospital, at once`, async (t) => {
  const lookups = () => home!.audit.records(1, 100_000).filter((r) => r.category === LOOKUP_CATEGORY).length;
  const before = lookups();
  const grey = await login(h2, 'dr-grey');
  const blinds = Array.from({ length: N }, () => blindLookup('national-id', bob.externalId!));
  const signed = await Promise.all(blinds.map((b) => signJws(other!.service, EXTERNAL_ID_LOOKUP_TYP, { blinded: b.blinded, aud: h1, ...freshClaims() })));
  const [direct, resolved] = await Promise.all([
    race(t, 'POST /gatekeeper/external-id', N, (i) => api(h1, 'POST', '/gatekeeper/external-id', { rawBody: signed[i]!, headers: { 'content-type': JOSE_MEDIA_TYPE } })),
    race(t, 'POST /registrar/resolve at Hospital 2', N, () =>
      api(h2, 'POST', '/registrar/resolve', { token: grey, body: { externalIdKind: 'national-id', externalId: bob.externalId } }),
    ),
  ]);
  t.same(direct.map((a) => a.status), Array<number>(N).fill(200), 'every lookup is evaluated');
  const entry = home!.externalIds.own('national-id', bob.externalId!);
  t.ok(direct.every((a, i) => blinds[i]!.finish(a.json.evaluated as string) === entry), "each answer unblinds to bob's index entry at his home");
  t.same(
    resolved.map((a) => [a.status, a.json.participantId]),
    Array(N).fill([200, bobId]),
    "every resolve names bob's home participant",
  );
  t.equal(lookups() - before, 2 * N, 'each evaluation audited once: no record lost or doubled');
});

t.test(`the auditor's ledger check ×${N} while blocks commit: every check intact`, async (t) => {
  const audra = await login(h1, 'audra');
  const registrar = await login(h1, 'registrar');
  const height = async () => (await api(h1, 'GET', '/auditor/ledger/verify', { token: audra })).json.height as number;
  const before = await height();
  const [checks, writes] = await Promise.all([
    race(t, 'GET /auditor/ledger/verify', N, () => api(h1, 'GET', '/auditor/ledger/verify', { token: audra })),
    race(t, 'POST /registrar/activations', 4, (i) =>
      api(h1, 'POST', '/registrar/activations', {
        token: registrar,
        body: { username: `concurrent${i}`, role: 'patient', externalIdKind: 'national-id', externalId: `SYN-CONC-${String(i).padStart(6, '0')}` },
      }),
    ),
  ]);
  t.same(writes.map((a) => a.status), [201, 201, 201, 201], 'the writes beside the checks commit');
  for (const c of checks) {
    t.match(c, { status: 200, json: { ok: true, problems: [], checked: 'file' } }, 'an intact ledger');
    t.ok((c.json.height as number) >= before, `height ${c.json.height as number} ≥ ${before}`);
  }
  const after = (await api(h1, 'GET', '/auditor/ledger/verify', { token: audra })).json;
  t.match(after, { ok: true, problems: [] });
  t.ok((after.height as number) > before, 'the check after them reads the new block(s) too');
});

t.test(`one panel upload ×${N} at once with one Idempotency-Key: one job`, async (t) => {
  const dataDir = sys.system.config.hospitals[0]!.dataDir;
  const { code } = JSON.parse(readFileSync(join(dataDir, FIRST_ADMIN_CODE_FILE), 'utf8')) as { code: string };
  t.equal((await api(h1, 'POST', '/device/activations/redeem', { body: { code, password: 'concurrency-admin-pass' } })).status, 201);
  const admin = await login(h1, 'hospital-admin', 'concurrency-admin-pass');
  // Charts of the demo population that no demo user holds (as the onboarding test picks them).
  const people = demoPatients('hospital1');
  const rows = people.filter((p) => p.mrn !== bob.mrn && p !== people.find((q) => q.alsoAt)).slice(10, 13);
  const csv = ['mrn,national_id', ...rows.map((p) => `${p.mrn},${p.externalId}`)].join('\r\n');
  const { db } = home!.panels.deps;
  const jobs = () => (db.prepare('SELECT count(*) AS n FROM panel_jobs').get() as { n: number }).n;
  const before = jobs();
  const upload = () =>
    api(h1, 'POST', '/admin/panels', { token: admin, rawBody: csv, headers: { 'content-type': 'text/csv', 'idempotency-key': 'panel-2026-11-30' } });

  const answers = await race(t, 'POST /admin/panels', N, upload);
  const accepted = answers.filter((a) => a.status === 202);
  t.ok(accepted.length >= 1, 'the upload is accepted');
  t.ok(
    answers.every((a) => a.status === 202 || (a.status === 409 && a.json.code === 'IDEMPOTENCY_KEY_IN_USE')),
    'the others are the same answer replayed, or asked to retry while the first runs',
  );
  const id = accepted[0]!.json.id as string;
  t.ok(accepted.every((a) => a.json.id === id), 'every 202 names the same job');
  t.equal(jobs() - before, 1, 'one job was started');

  const retry = await upload();
  t.match(retry, { status: 202, json: { id } }, "a later retry answers the first upload's job");
  let job: Json = {};
  for (let i = 0; i < 600 && job.state !== 'done'; i++) {
    job = (await api(h1, 'GET', `/admin/panels/${id}`, { token: admin })).json;
    if (job.state !== 'done') await new Promise((r) => setTimeout(r, 100));
  }
  t.match(job, { state: 'done', rows: 3, registered: 3, failed: 0 }, 'the job registered each patient once');
  t.equal(jobs() - before, 1, 'still one job');
});

t.test(`the chart flow, POST /relationships {mrn} ×${N} at once for one bound chart: one relationship`, async (t) => {
  const registrar2 = await login(h2, 'registrar');
  const grey = await login(h2, 'dr-grey');
  // A Hospital 2 chart no demo user holds, bound to its delegate by the registrar (no patient identifier anywhere).
  const people = demoPatients('hospital2');
  const chart = people.filter((p) => !p.alsoAt).at(-3)!.mrn;
  const delegate = await api(h2, 'POST', '/registrar/delegates', { token: registrar2, body: { mrn: chart } });
  t.equal(delegate.status, 201, 'the chart is bound to a delegate');
  const answers = await race(t, 'POST /relationships {mrn}', N, () => api(h2, 'POST', '/relationships', { token: grey, body: { mrn: chart } }));
  const created = answers.filter((a) => a.status === 201);
  t.equal(created.length, 1, 'exactly one 201');
  const rel = created[0]!.json.relationshipId as string;
  for (const a of answers.filter((x) => x.status !== 201)) {
    t.match(a, { status: 409, json: { code: 'RELATIONSHIP_EXISTS', relationshipId: rel } }, 'the others name the one created');
  }
  const onLedger = await other!.client.evaluate(other!.service, Relationship.ofPatients([delegate.json.participantId as string]));
  t.same(onLedger, [rel], "the ledger holds that one relationship for the chart's participant at Hospital 2");
});

t.test('activations ×10 at once with the one-home check (the other home asked each time): no 5xx, each registered once', async (t) => {
  const registrar = await login(h1, 'registrar');
  const stamp = Date.now().toString(36).toUpperCase();
  const lookupsAtH2 = () => other!.audit.records(1, 100_000).filter((r) => r.category === LOOKUP_CATEGORY).length;
  const lookupsBefore = lookupsAtH2();
  const activate = (externalId: string, username: string) =>
    api(h1, 'POST', '/registrar/activations', { token: registrar, body: { username, role: 'patient', externalIdKind: 'national-id', externalId } });
  const distinct = await race(t, 'POST /registrar/activations, distinct people', 10, (i) => activate(`SYN-D${stamp}-${i}`, `dist-${stamp}-${i}`.toLowerCase()));
  t.same(distinct.map((a) => a.status), Array<number>(10).fill(201), 'ten people, ten registrations');
  t.equal(new Set(distinct.map((a) => a.json.participantId)).size, 10, 'ten participants');

  const same = `SYN-S${stamp}`;
  const once = await race(t, 'POST /registrar/activations, one national id', 5, (i) => activate(same, `same-${stamp}-${i}`.toLowerCase()));
  const registered = once.filter((a) => a.status === 201);
  t.equal(registered.length, 1, 'one registration for the one person');
  t.equal(lookupsAtH2() - lookupsBefore, 15, 'every one of the 15 asked the other home first (the one-home check ran)');
  const retry = await activate(same, `same-${stamp}-retry`.toLowerCase());
  t.equal(retry.status, 409, 'a later registration of the same id is refused');
  t.ok(
    once.filter((a) => a.status !== 201).every((a) => a.status === 409 && a.json.code === retry.json.code),
    // (a 201's `code` is its activation code: not printed)
    `the others got that same refusal (${once.map((a) => (a.status === 201 ? '201' : `${a.status} ${String(a.json.code)}`)).join(', ')})`,
  );
  const found = await api(h2, 'POST', '/registrar/resolve', { token: await login(h2, 'dr-grey'), body: { externalIdKind: 'national-id', externalId: same } });
  t.same([found.status, found.json.participantId], [200, registered[0]!.json.participantId], 'the id names that one participant, found from the other home');
  t.notOk(
    once.some((a, i) => a.status !== 201 && (home!.activations.issuedTo(`same-${stamp}-${i}`.toLowerCase()) || home!.accounts.exists(`same-${stamp}-${i}`.toLowerCase()))),
    'no code and no account under a refused username',
  );
});
