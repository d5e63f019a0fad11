/**
 * A person has one home (docs/privacy.md §2, issue 14): since each home's external-id entries are
 * under its own key, the ledger cannot refuse the same national id registered at a second home, so
 * `POST /registrar/activations` asks the other homes first (blinded lookups at their
 * `POST /gatekeeper/external-id`, signed by the registrar). Over HTTP on three gateways: an id held
 * at another home → 409 EXTERNAL_ID_REGISTERED_ELSEWHERE naming it, also when a third home is down;
 * an id held here → the ledger's own refusal; a home not answering (down) → 502
 * EXTERNAL_ID_HOME_UNREACHABLE naming it; a home refusing the registrar's lookups for its budget (429)
 * → 503 EXTERNAL_ID_LOOKUP_BUSY with the home's Retry-After; and in every refusal nothing is
 * registered anywhere.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { demoUsersFor } from '../../demo/users.js';
import { defaultHospitals, type HospitalConfig } from '../../src/system/config.js';
import { mappingFile } from '../../src/services/records/hospitals.js';
import { api, login, removeDir, startTestSystem } from '../http/support.js';

t.setTimeout(240_000);

/** Lookups by one registrar a window (10 minutes here: longer than the test) before a home refuses it; a registration asks every other home once. */
const LIMIT = 6;
const dir = mkdtempSync(join(tmpdir(), 'medrec-one-home-'));
const [first, second] = defaultHospitals(dir, '127.0.0.1', 0) as [HospitalConfig, HospitalConfig];
const third: HospitalConfig = {
  ...second,
  mspId: 'Hospital3MSP',
  name: 'Hospital 3',
  dataDir: resolve(dir, 'hospital3'),
  ehr: { adapter: 'sqlite', mappingFile: mappingFile('hospital3'), demoSeed: 'hospital3' },
};
const sys = await startTestSystem(dir, { hospitals: [first, second, third], rateLimits: { externalIdLookup: { max: LIMIT, windowSeconds: 600 } } });
t.teardown(async () => {
  await sys.close();
  removeDir(dir);
});
const [h1, h2, h3] = sys.gateways.map((g) => g.url) as [string, string, string];
const [registrar1, registrar2, registrar3] = await Promise.all([h1, h2, h3].map((h) => login(h, 'registrar', 'registrar-demo-pass')));
const ada = await login(h1, 'dr-ada');
const grey = await login(h2, 'dr-grey');

const freshId = () => `SYN-${randomBytes(5).toString('hex')}`;
const activate = (base: string, token: string, externalId: string, username = `p-${randomBytes(4).toString('hex')}`) =>
  api(base, 'POST', '/registrar/activations', { token, body: { username, role: 'patient', externalIdKind: 'national-id', externalId } });
const resolveAt = (base: string, token: string, externalId: string) =>
  api(base, 'POST', '/registrar/resolve', { token, body: { externalIdKind: 'national-id', externalId } });

const dana = freshId();
let danaPid = '';

t.test('an id no home holds is registered, after the other homes answered', async (t) => {
  const res = await activate(h1, registrar1, dana, 'dana');
  t.equal(res.status, 201);
  danaPid = res.json.participantId as string;
  const found = await resolveAt(h2, grey, dana);
  t.same([found.status, found.json.participantId, found.json.mspId], [200, danaPid, 'Hospital1MSP'], 'Hospital 2 finds her at her home');
});

t.test('an id another home holds: 409 EXTERNAL_ID_REGISTERED_ELSEWHERE naming it, and nothing registered', async (t) => {
  for (const [base, token] of [[h2, registrar2], [h3, registrar3]] as const) {
    const res = await activate(base, token, dana, 'dana-again');
    t.equal(res.status, 409);
    t.equal(res.json.code, 'EXTERNAL_ID_REGISTERED_ELSEWHERE');
    t.equal(res.json.home, 'Hospital1MSP');
    t.match(res.type, /application\/problem\+json/);
  }
  t.equal((await activate(h2, registrar2, freshId(), 'dana-again')).status, 201, 'the username was not taken by the refused request');
  const found = await resolveAt(h3, registrar3, dana);
  t.same([found.json.participantId, found.json.mspId], [danaPid, 'Hospital1MSP'], 'the id still names her home participant only');
});

t.test("an id this hospital holds: the ledger's own refusal, not another home's", async (t) => {
  const res = await activate(h1, registrar1, dana);
  t.equal(res.status, 409);
  t.not(res.json.code, 'EXTERNAL_ID_REGISTERED_ELSEWHERE');
});

t.test('a demo person registered at first start is refused at another home too', async (t) => {
  const alice = demoUsersFor('hospital1').find((u) => u.username === 'alice')!;
  const refused = await activate(h3, registrar3, alice.externalId);
  t.same([refused.status, refused.json.code, refused.json.home], [409, 'EXTERNAL_ID_REGISTERED_ELSEWHERE', 'Hospital1MSP']);
});

t.test("a home that refuses the registrar's lookups (its rate limit): 503 busy with its Retry-After, nothing registered", async (t) => {
  // Registrar 2 has asked Hospitals 1 and 3 twice each above (2 of LIMIT); each registration asks each once more.
  const answers: { status: number; code?: string; busy?: string[]; unreachable?: string[]; retryAfter?: string | null; wait?: number }[] = [];
  const ids: string[] = [];
  for (let i = 0; i < LIMIT; i++) {
    ids.push(freshId());
    const res = await activate(h2, registrar2, ids[i]!);
    answers.push({
      status: res.status,
      ...(res.status === 201
        ? {}
        : { code: res.json.code, busy: res.json.busy, unreachable: res.json.unreachable, retryAfter: res.headers.get('retry-after'), wait: res.json.retryAfterSeconds }),
    });
    if (res.status !== 201) break;
  }
  const refused = answers.at(-1)!;
  t.match(refused, { status: 503, code: 'EXTERNAL_ID_LOOKUP_BUSY', busy: ['Hospital1MSP', 'Hospital3MSP'], unreachable: undefined }, 'both answered 429: up, but not now');
  t.equal(refused.retryAfter, String(refused.wait), 'Retry-After is the body\'s retryAfterSeconds');
  t.ok(refused.wait! > 0 && refused.wait! <= 600, `the homes' window says when (${refused.wait} s of 600)`);
  t.ok(answers.slice(0, -1).every((a) => a.status === 201), 'registrations within the limit went through');
  t.equal(answers.length, LIMIT - 2 + 1, 'the limit was reached exactly where the count says');
  // A provider of Hospital 2 (its own budget) finds the refused id nowhere: nothing was registered.
  const lookup = await resolveAt(h2, grey, ids[answers.length - 1]!);
  t.same([lookup.status, lookup.json.code], [404, 'NOT_FOUND']);
});

t.test('a home down: an id another home holds is still refused (409); otherwise 502 naming the silent one, nothing registered', async (t) => {
  await sys.gateways[2]!.app.close();
  const carol = demoUsersFor('hospital2').find((u) => u.username === 'carol')!;
  const held = await activate(h1, registrar1, carol.externalId);
  t.same([held.status, held.json.code, held.json.home], [409, 'EXTERNAL_ID_REGISTERED_ELSEWHERE', 'Hospital2MSP'], 'Hospital 2 answered: she is at home there');
  const id = freshId();
  const unknown = await activate(h1, registrar1, id, 'never-registered');
  t.same([unknown.status, unknown.json.code, unknown.json.unreachable], [502, 'EXTERNAL_ID_HOME_UNREACHABLE', ['Hospital3MSP']]);
  // Hospital 1 looks at its own entry first: had it registered the id, it would be found (200) despite Hospital 3.
  const mine = await resolveAt(h1, ada, id);
  t.same([mine.status, mine.json.code], [502, 'EXTERNAL_ID_HOME_UNREACHABLE'], 'not registered at Hospital 1 (nor Hospital 2, which answered)');
  const runtime = sys.system.hospitals[0]!;
  t.notOk(runtime.activations.issuedTo('never-registered') || runtime.accounts.exists('never-registered'), 'no code and no account under the refused username');
});
