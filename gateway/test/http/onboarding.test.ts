/**
 * Panel onboarding (issue 15, item 2), over HTTP as a hospital admin uses it: a CSV panel and a FHIR
 * Bundle of the same people, a job with progress, refused rows with their problem codes, the
 * letter-merge CSV of activation codes, each patient's relationship opened with the chart's current
 * pointers (a device's gatekeeper read verifies the hash), a re-run that writes no block and issues
 * no code, a job stopped after a ledger transaction (registrations, or relationships) and resumed
 * without duplicates, a job stopped by a ledger outage that retries by itself (bounded), and codes redeemed by the device flow (the CA registers the patient only then)
 * — and every refusal: no session, each non-admin role, a panel that cannot be read.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import '../../src/system/quiet-chaincode.js';
import { api, login, testSystemFor, type Json } from './support.js';
import { GatewayClient, Wallet, enrolByActivation, fetchRecords, login as deviceLogin } from '@medrec/client';
import { Registrar, Relationship } from '../../src/contract/medrec.js';
import { MedrecClient } from '../../src/contract/client.js';
import { LedgerTimeoutError, LedgerUnavailableError, type LedgerPort } from '../../src/ports/ledger.js';
import { registrarCredentials } from '../../src/services/enrolment/bootstrap.js';
import { PanelOnboarding, type PanelJob } from '../../src/services/onboarding/onboarding.js';
import { FIRST_ADMIN_CODE_FILE } from '../../src/system/system.js';
import { demoPatients } from '../../demo/seed/population.js';

t.setTimeout(240_000);

const sys = await testSystemFor(t, undefined, { rateLimits: { activation: { max: 500, windowSeconds: 60 }, login: { max: 500, windowSeconds: 60 } } });
const { h1 } = sys;
const runtime = sys.system.hospitals[0]!;
const dataDir = sys.system.config.hospitals[0]!.dataDir;

const { code: adminCode } = JSON.parse(readFileSync(join(dataDir, FIRST_ADMIN_CODE_FILE), 'utf8')) as { code: string };
await api(h1, 'POST', '/device/activations/redeem', { body: { code: adminCode, password: 'onboarding-admin-pass' } });
const admin = await login(h1, 'hospital-admin', 'onboarding-admin-pass');
const registrarToken = await login(h1, 'registrar', 'registrar-demo-pass');

const people = demoPatients('hospital1');
const bob = people.find((p) => !p.alsoAt)!; // the demo user bob's chart: registered already, as bob
const panel = people.filter((p) => p !== bob && p !== people.find((q) => q.alsoAt)).slice(10, 50);

const csv = (rows: string[]) => ['mrn,national_id', ...rows].join('\r\n');
const upload = (body: string, type = 'text/csv', token = admin, query = '') =>
  api(h1, 'POST', `/admin/panels${query}`, { token, rawBody: body, headers: { 'content-type': type } });

async function finished(id: string): Promise<PanelJob> {
  for (let i = 0; i < 600; i++) {
    const job = (await api(h1, 'GET', `/admin/panels/${id}`, { token: admin })).json as PanelJob;
    if (job.state === 'done') return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

function letters(text: string): Json[] {
  const [header, ...lines] = text.trim().split('\n');
  const keys = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i], v])));
}

const resolve = (nationalId: string) =>
  runtime.client.evaluate(runtime.service, Registrar.resolve(runtime.externalIds.own('national-id', nationalId)));
const relationshipOf = (mrn: string) => runtime.links.relationshipsOf([mrn]).get(mrn);

t.test('only the hospital admin onboards a panel', async (t) => {
  const body = csv([`${panel[0]!.mrn},`]);
  t.equal((await upload(body, 'text/csv', '')).status, 401, 'no session');
  for (const username of ['registrar', 'dr-ada', 'audra', 'bob', 'rhea']) {
    const token = await login(h1, username);
    const res = await upload(body, 'text/csv', token);
    t.equal(res.status, 403, `${username} → 403`);
    t.equal(res.json.code, 'ROLE_FORBIDDEN');
    t.equal((await api(h1, 'GET', '/admin/panels/00000000-0000-4000-8000-000000000000', { token })).status, 403);
  }
  await t.rejects(resolve(panel[0]!.externalId), { code: 'NOT_FOUND' }, 'nobody was registered');
});

t.test('a panel that cannot be read is refused whole and starts no job', async (t) => {
  const height = await runtime.ledger.height();
  for (const [what, body, type, code] of [
    ['no mrn column', 'name,national_id\r\nx,y', 'text/csv', 'PANEL_MALFORMED'],
    ['no rows', 'mrn\r\n', 'text/csv', 'PANEL_MALFORMED'],
    ['an open quote', 'mrn\r\n"H1-1', 'text/csv', 'PANEL_MALFORMED'],
    ['not a Bundle', JSON.stringify({ resourceType: 'Patient' }), 'application/fhir+json', 'PANEL_MALFORMED'],
    ['not a panel type', 'mrn\nH1-1', 'text/plain', 'PANEL_TYPE'],
  ] as const) {
    const res = await upload(body, type);
    t.equal(res.status, 400, what);
    t.equal(res.json.code, code, what);
    t.match(res.type, /application\/problem\+json/);
  }
  for (const query of ['?batchSize=501', '?batchSize=0', '?batchSize=x', '?ttlDays=366', '?other=1']) {
    t.equal((await upload(csv([panel[0]!.mrn + ',']), 'text/csv', admin, query)).status, 400, query);
  }
  t.equal(await runtime.ledger.height(), height, 'no block');
});

let letterRows: Json[] = [];

t.test('a CSV panel: good rows registered in batches with a code each, bad rows refused with their codes', async (t) => {
  const height = await runtime.ledger.height();
  const rows = [
    ...panel.slice(0, 20).map((p, i) => `${p.mrn},${i % 2 === 0 ? p.externalId : ''}`),
    `${panel[20]!.mrn},SOMEONE-ELSE`, // row 21: the national id is not the chart's
    ',', // 22: no MRN
    `${panel[0]!.mrn},`, // 23: the same MRN again
    'H1-NO-SUCH-CHART,', // 24: no chart holds it
    `${bob.mrn},`, // 25: bob is registered already, as bob: linked, no code
    'a,b,c', // 26: too many fields
    'H1 ;DROP,', // 27: not an MRN
  ];
  const res = await upload(csv(rows), 'text/csv', admin, '?batchSize=7');
  t.equal(res.status, 202, JSON.stringify(res.json));
  t.match(res.json, { state: /running|done/, rows: 27, batchSize: 7 });
  const job = await finished(res.json.id as string);
  t.match(job, { rows: 27, registered: 20, linked: 1, existing: 0, failed: 6, pending: 0, relationships: 21 });
  // 20 patients in batches of 7: three registrations and three relationship transactions, however the rows fell
  t.ok((await runtime.ledger.height()) - height <= 7n, 'a few blocks, not one per patient');
  const errors = (await api(h1, 'GET', `/admin/panels/${job.id}/errors`, { token: admin })).json as unknown as Json[];
  t.same(
    errors.map((e) => [e.row, e.status, e.code]),
    [
      [21, 422, 'CHART_NOT_PATIENT'],
      [22, 400, 'MRN_MISSING'],
      [23, 400, 'DUPLICATE_ROW'],
      [24, 422, 'CHART_NOT_PATIENT'],
      [26, 400, 'ROW_MALFORMED'],
      [27, 400, 'ROW_MALFORMED'],
    ],
  );
  t.ok(errors.every((e) => typeof e.detail === 'string' && e.detail.length > 0), 'each with a detail');
  const download = await api(h1, 'GET', `/admin/panels/${job.id}/letters`, { token: admin });
  t.equal(download.status, 200);
  t.match(download.type, /text\/csv/);
  letterRows = letters(download.text);
  t.equal(letterRows.length, 20, 'one letter per registered patient');
  t.same(letterRows.map((l) => l.mrn), panel.slice(0, 20).map((p) => p.mrn));
  t.ok(letterRows.every((l) => /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/.test(l.activation_code as string)), 'each with a code');
  const file = join(dataDir, 'panels', `${job.id}.letters.csv`);
  t.equal(statSync(file).mode & 0o777, 0o600, 'the codes file is owner-only');
  const service = runtime.panels.deps.service;
  for (const p of panel.slice(0, 20)) {
    const resolved = await resolve(p.externalId);
    t.equal(resolved.role, 'patient');
    t.equal(runtime.links.get(resolved.participantId), p.mrn, 'linked to its chart');
    const view = await runtime.client.evaluate(service, Relationship.get(relationshipOf(p.mrn)!));
    t.match(view, { patientId: resolved.participantId, providerMspId: 'Hospital1MSP', status: 'new', endpoint: runtime.hospital.publicUrl }, 'its relationship here');
    const expected = await runtime.relationships.pointersFor(p.mrn);
    t.ok(expected.length > 0, 'the chart holds records');
    t.same(view.pointers.map((x) => [x.category, x.hash, x.version]).sort(), expected.map((x) => [x.category, x.hash, 1]).sort(), "with the chart's current pointers");
  }
  await t.rejects(resolve(panel[20]!.externalId), { code: 'NOT_FOUND' }, 'a refused row registers nobody');
  t.equal(relationshipOf(panel[20]!.mrn), undefined, 'and opens no relationship');
  const bobId = (await resolve(bob.externalId)).participantId;
  const [bobs] = await runtime.client.evaluate(service, Relationship.ofPatients([bobId]));
  t.equal(relationshipOf(bob.mrn), bobs, "bob's relationship here is the one he had, not a second");
  t.equal(runtime.links.get(bobId), bob.mrn, 'bob keeps his one identity, linked to his chart');
  t.equal(runtime.accounts.get('bob')?.participantId, bobId);
  t.equal((await api(h1, 'GET', `/admin/panels/${job.id}/letters`, { token: registrarToken })).status, 403, 'letters are for the admin only');
});

t.test('re-running the panel (CSV or FHIR) changes nothing: no block, no code', async (t) => {
  const height = await runtime.ledger.height();
  const again = await finished((await upload(csv(panel.slice(0, 20).map((p) => `${p.mrn},`)))).json.id as string);
  t.match(again, { registered: 0, existing: 20, failed: 0, relationships: 20 });
  const bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: panel.slice(0, 20).map((p) => ({
      resource: { resourceType: 'Patient', identifier: [{ type: { coding: [{ code: 'MR' }] }, value: p.mrn }, { type: { coding: [{ code: 'NI' }] }, value: p.externalId }] },
    })),
  };
  const fhir = await finished((await upload(JSON.stringify(bundle), 'application/fhir+json')).json.id as string);
  t.match(fhir, { format: 'fhir-bundle', registered: 0, existing: 20, failed: 0 });
  t.equal(await runtime.ledger.height(), height, 'no block');
  t.equal(letters((await api(h1, 'GET', `/admin/panels/${fhir.id}/letters`, { token: admin })).text).length, 0, 'no new code');
  const ndjson = panel
    .slice(20, 22)
    .map((p) => JSON.stringify({ resourceType: 'Patient', identifier: [{ type: { coding: [{ code: 'MR' }] }, value: p.mrn }] }))
    .concat(['{"resourceType":"Observation"}', 'not json'])
    .join('\n');
  const nd = await finished((await upload(ndjson, 'application/fhir+ndjson')).json.id as string);
  t.match(nd, { format: 'ndjson', registered: 2, failed: 2 });
});

t.test('activation codes are redeemed by the device flow; the CA registers the patient only then', async (t) => {
  const first = letterRows[0]!;
  const ca = sys.system.identities.get('Hospital1MSP')!.identity;
  const registrar = await registrarCredentials(runtime.enrolment, 'registrar-demo-pass');
  // Registering an id the CA knows is a CONFLICT; one it does not know succeeds (the probe spends letter 5).
  const caRegistered = async (id: string) =>
    ca.register(registrar, { enrollmentId: id, role: 'patient' }).then(() => false, (e: { code?: string }) => e.code === 'CONFLICT');
  t.notOk(await caRegistered(letterRows[5]!.username as string), 'onboarding did no CA registration');
  const wallet = await Wallet.fromPhrase(Wallet.newPhrase());
  const gateway = new GatewayClient(h1);
  const me = await enrolByActivation(wallet, 'h1', gateway, first.activation_code as string);
  const enrolled = me.enrolled();
  t.equal(enrolled.enrollmentId, first.username);
  t.equal(enrolled.participantId, (await resolve(panel[0]!.externalId)).participantId, 'the participant onboarding registered');
  const session = await deviceLogin(me, gateway);
  t.ok(session.token, 'the patient logs in with the device key');
  const [pointer] = await runtime.relationships.pointersFor(first.mrn as string);
  const read = await fetchRecords(gateway, me, { relationshipId: relationshipOf(first.mrn as string)!, category: pointer!.category });
  t.equal(read.answer.decision, 'ALLOWED_PATIENT', 'the patient reads the record the panel job pointed to');
  t.ok((read.answer.bundle.total ?? 0) > 0);
  t.equal(read.check.matches, true, "the device's hash of the gatekeeper's answer is the ledger pointer the job wrote");
  const again = await api(h1, 'POST', '/device/activations/redeem', { body: { code: first.activation_code, password: 'a-password-of-mine' } });
  t.equal(again.json.code, 'ACTIVATION_USED', 'a code redeems once');
  const second = letterRows[1]!;
  const byPassword = await api(h1, 'POST', '/device/activations/redeem', { body: { code: second.activation_code, password: 'a-password-of-mine' } });
  t.equal(byPassword.status, 201, 'or with a password');
  t.ok(await login(h1, second.username as string, 'a-password-of-mine'));
  t.ok(await caRegistered(first.username as string), 'the redemption registered the patient at the CA');
});

t.test('a job stopped between its ledger transaction and its own records resumes without duplicates', async (t) => {
  const rows = panel.slice(22, 24);
  const crashing = new MedrecClient(runtime.ledger);
  const submit = crashing.submit.bind(crashing);
  crashing.submit = (async (...args: Parameters<typeof submit>) => {
    await submit(...args);
    throw new Error('the gateway stopped here');
  }) as typeof submit;
  const stopped = new PanelOnboarding({ ...runtime.panels.deps, client: crashing });
  const job = stopped.submit('csv', csv(rows.map((p) => `${p.mrn},`)), 'hospital-admin');
  t.match(await stopped.settled(job.id), { state: 'running', pending: 2, registered: 0 }, 'the job is left running');
  const registered = await resolve(rows[0]!.externalId);
  t.equal(registered.role, 'patient', 'the ledger has the patients');
  const height = await runtime.ledger.height();
  t.equal((await api(h1, 'POST', `/admin/panels/${job.id}/resume`, { token: registrarToken })).status, 403, 'only the admin resumes');
  const resumed = await api(h1, 'POST', `/admin/panels/${job.id}/resume`, { token: admin });
  t.equal(resumed.status, 202);
  const done = await finished(job.id);
  t.match(done, { registered: 2, existing: 0, failed: 0, relationships: 2 });
  t.equal((await resolve(rows[0]!.externalId)).participantId, registered.participantId, 'the same participant, not a second one');
  t.ok((await runtime.ledger.height()) <= height + 2n, 'at most the transaction answering the registered ones, and the relationships');
  const codes = letters((await api(h1, 'GET', `/admin/panels/${job.id}/letters`, { token: admin })).text);
  t.equal(codes.length, 2, 'and each gets its code');
  const redeemed = await api(h1, 'POST', '/device/activations/redeem', { body: { code: codes[0]!.activation_code, password: 'resumed-pass-1' } });
  t.equal(redeemed.status, 201);
  t.equal(redeemed.json.participantId, registered.participantId);
  t.equal((await api(h1, 'POST', '/admin/panels/00000000-0000-4000-8000-000000000000/resume', { token: admin })).json.code, 'PANEL_JOB_UNKNOWN');
});

t.test('a job stopped between its relationship transaction and its own records resumes without a second relationship', async (t) => {
  const rows = panel.slice(24, 30);
  const crashing = new MedrecClient(runtime.ledger);
  const submit = crashing.submit.bind(crashing);
  crashing.submit = (async (...args: Parameters<typeof submit>) => {
    const result = await submit(...args);
    if (args[1].name === 'Relationship.createBatch') throw new Error('the gateway stopped here');
    return result;
  }) as typeof submit;
  const stopped = new PanelOnboarding({ ...runtime.panels.deps, client: crashing });
  const job = stopped.submit('csv', csv(rows.map((p) => `${p.mrn},`)), 'hospital-admin', { batchSize: 4 });
  t.match(await stopped.settled(job.id), { state: 'running', pending: 0, registered: 6, relationships: 0 }, 'registered, the relationships committed but not recorded');
  const pids = await Promise.all(rows.map(async (p) => (await resolve(p.externalId)).participantId));
  const onLedger = await runtime.client.evaluate(runtime.service, Relationship.ofPatients(pids));
  t.ok(onLedger[0] !== null && onLedger[4] === null, 'the first batch of relationships is on the ledger, the second never ran');
  const height = await runtime.ledger.height();
  const done = await runtime.panels.settled(runtime.panels.resumeJob(job.id).id);
  t.match(done, { state: 'done', registered: 6, failed: 0, relationships: 6 });
  t.equal(await runtime.ledger.height(), height + 1n, 'one block: the second batch; the first is found on the ledger, not created again');
  const after = await runtime.client.evaluate(runtime.service, Relationship.ofPatients(pids));
  t.same(after.slice(0, 4), onLedger.slice(0, 4), 'the relationships the crashed run opened are the ones recorded');
  rows.forEach((p, i) => t.equal(relationshipOf(p.mrn), after[i], 'recorded for the watcher'));
  const rerunHeight = await runtime.ledger.height();
  const again = await runtime.panels.settled(runtime.panels.submit('csv', csv(rows.map((p) => `${p.mrn},`)), 'hospital-admin').id);
  t.match(again, { existing: 6, relationships: 6 });
  t.equal(await runtime.ledger.height(), rerunHeight, 'a re-run writes no block');
});

/** The hospital's ledger, its submits failing as a peer that is down fails them while `down` > 0. */
function flakyLedger(state: { down: number; calls: number }, onCall: () => void = () => undefined): LedgerPort {
  const ledger = runtime.ledger;
  return new Proxy(ledger, {
    get(target, prop) {
      if (prop === 'submit') {
        return async (...args: Parameters<LedgerPort['submit']>) => {
          state.calls++;
          onCall();
          if (state.down > 0) {
            state.down--;
            throw new LedgerUnavailableError('peer down');
          }
          return target.submit(...args);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

t.test('a batch the ledger times out on is halved and tried again; the job goes on at the smaller size', async (t) => {
  const rows = panel.slice(35, 38);
  t.equal(rows.length, 3);
  const sizes: Record<string, number[]> = { registerPanel: [], createBatch: [] };
  const ledger = runtime.ledger;
  // A ledger whose endorsement deadline one patient's work fits in, and no more.
  const tight = new Proxy(ledger, {
    get(target, prop) {
      if (prop === 'submit') {
        return async (...args: Parameters<LedgerPort['submit']>) => {
          const [, , fn, fnArgs] = args;
          const n = (JSON.parse(fnArgs[0]!) as unknown[]).length;
          sizes[fn]?.push(n);
          if (n > 1) throw new LedgerTimeoutError('4 DEADLINE_EXCEEDED: endorsement took too long');
          return target.submit(...args);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const panels = new PanelOnboarding({ ...runtime.panels.deps, client: new MedrecClient(tight), retry: { attempts: 0, firstDelayMs: 1, maxDelayMs: 1 } });
  const done = await panels.settled(panels.submit('csv', csv(rows.map((p) => `${p.mrn},`)), 'hospital-admin', { batchSize: 3 }).id);
  t.match(done, { state: 'done', registered: 3, relationships: 3, failed: 0, fault: null, batchSize: 1 }, 'every patient onboarded; the job keeps the size that fit');
  t.same(sizes.registerPanel, [3, 2, 1, 1, 1], 'registrations: 3 and 2 timed out, then one at a time');
  t.same(sizes.createBatch, [1, 1, 1], 'relationships at the size that fit');
  for (const p of rows) t.ok(relationshipOf(p.mrn), 'one relationship each');
  await panels.close();
});

t.test('a job stopped by a ledger outage runs again by itself after a backoff, a bounded number of times', async (t) => {
  const retry = { attempts: 3, firstDelayMs: 20, maxDelayMs: 100 };
  const rows = panel.slice(30, 33);
  const passing = { down: 2, calls: 0 };
  const seen: (PanelJob['fault'] | undefined)[] = [];
  let jobId = '';
  const recovering = new PanelOnboarding({ ...runtime.panels.deps, client: new MedrecClient(flakyLedger(passing, () => seen.push(jobId ? recovering.job(jobId).fault : undefined))), retry });
  jobId = recovering.submit('csv', csv(rows.map((p) => `${p.mrn},`)), 'hospital-admin').id;
  const done = await recovering.settled(jobId);
  t.match(done, { state: 'done', registered: 3, relationships: 3, failed: 0, fault: null }, 'finished without a resume');
  t.equal(passing.calls, 4, 'two refused submits, then the registration and the relationships');
  t.match(seen[1], { code: 'LEDGER_UNAVAILABLE', retries: 0, waiting: 'retry' }, 'while it waits, the job says why and that it will retry');

  const outage = { down: 1_000, calls: 0 };
  const more = panel.slice(33, 35);
  const stuck = new PanelOnboarding({ ...runtime.panels.deps, client: new MedrecClient(flakyLedger(outage)), retry });
  const stopped = await stuck.settled(stuck.submit('csv', csv(more.map((p) => `${p.mrn},`)), 'hospital-admin').id);
  t.match(stopped, { state: 'running', pending: 2, registered: 0, relationships: 0, fault: { code: 'LEDGER_UNAVAILABLE', retries: 3, waiting: 'resume' } }, 'a longer outage: it waits for resume');
  t.equal(outage.calls, 4, 'the first run and three retries, no more');
  await t.rejects(resolve(more[0]!.externalId), { code: 'NOT_FOUND' }, 'nothing was written');
  outage.down = 0;
  const resumed = await stuck.settled(stuck.resumeJob(stopped.id).id);
  t.match(resumed, { state: 'done', registered: 2, relationships: 2, fault: null }, 'and resumes once the ledger is back');
  await stuck.close();
  await recovering.close();
});
