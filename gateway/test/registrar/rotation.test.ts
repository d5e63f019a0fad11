/**
 * A home rotates its external-id index key (issue 14, docs/privacy.md §2), over HTTP against two real
 * gateways on the embedded ledger running the real chaincode. Hospital 1 registers patients, its admin
 * begins a rotation and moves one chart's entry (then "crashes"), lookups keep working in the mixed
 * state, from Hospital 1 and blindly from Hospital 2; the rotation is resumed with every chart, then
 * completed: the old key's entries are gone from the ledger's state, Hospital 2 still finds every
 * patient by national id, the auditor's history shows the chain, each step is in the access log, and
 * every other role (and the ledger, for a non-registrar) is refused.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import '../../src/system/quiet-chaincode.js';
import { Registrar } from '../../src/contract/medrec.js';
import { ChaincodeError } from '../../src/ports/ledger.js';
import { IndexKeys, INDEX_KEY_FILE, NEXT_INDEX_KEY_FILE } from '../../src/services/registrar/index-keys.js';
import { ROTATION_CATEGORY } from '../../src/services/registrar/rotation.js';
import { FIRST_ADMIN_CODE_FILE } from '../../src/system/system.js';
import { demoPatients } from '../../demo/seed/population.js';
import { api, login, testSystemFor } from '../http/support.js';

t.setTimeout(240_000);

const KIND = 'national-id';
const sys = await testSystemFor(t);
const { h1, h2 } = sys;
const home = sys.system.hospitals[0]!;
const dataDir = sys.system.config.hospitals[0]!.dataDir;
const { code } = JSON.parse(readFileSync(join(dataDir, FIRST_ADMIN_CODE_FILE), 'utf8')) as { code: string };
await api(h1, 'POST', '/device/activations/redeem', { body: { code, password: 'rotation-admin-password' } });
const admin = await login(h1, 'hospital-admin', 'rotation-admin-password');
const registrar1 = await login(h1, 'registrar', 'registrar-demo-pass');
const registrar2 = await login(h2, 'registrar', 'registrar-demo-pass');
const audra = await login(h1, 'audra');

const people = demoPatients('hospital1').filter((p) => !p.alsoAt).slice(30, 33);
const pids: string[] = [];
for (const p of people) {
  const res = await api(h1, 'POST', '/registrar/activations', { token: registrar1, body: { role: 'patient', externalIdKind: KIND, externalId: p.externalId } });
  if (res.status !== 201) throw new Error(`activation → ${res.status} ${res.json.code}`);
  pids.push(res.json.participantId as string);
}
const oldHashes = people.map((p) => home.indexKeys.current.ownHash(KIND, p.externalId));

/** What the ledger's state says of an index entry (read as the records service, a provider). */
async function entry(hash: string): Promise<string | undefined> {
  try {
    return (await home.client.evaluate(home.service, Registrar.resolve(hash))).participantId;
  } catch (err) {
    if (err instanceof ChaincodeError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}
const resolveAt = async (base: string, token: string, externalId: string) =>
  (await api(base, 'POST', '/registrar/resolve', { token, body: { externalIdKind: KIND, externalId } })).json.participantId as string | undefined;
const step = (mrns: string[], token = admin) => api(h1, 'POST', '/admin/index-key/rotation/charts', { token, body: { mrns } });
const rotationsLogged = () => home.audit.records(1, 100_000).filter((r) => r.category === ROTATION_CATEGORY);

t.test('only the hospital admin rotates; nothing before a rotation begins', async (t) => {
  for (const [who, token] of [['a registrar', registrar1], ['an auditor', audra], ['a patient', await login(h1, 'alice')]] as const) {
    for (const path of ['/admin/index-key/rotation', '/admin/index-key/rotation/charts', '/admin/index-key/rotation/complete']) {
      const res = await api(h1, 'POST', path, { token, body: path.endsWith('charts') ? { mrns: [] } : undefined });
      t.equal(res.status, 403, `${who}: ${path} → 403`);
    }
  }
  t.equal((await api(h1, 'POST', '/admin/index-key/rotation')).status, 401, 'no session');
  t.same([(await step([people[0]!.mrn])).json.code, (await api(h1, 'POST', '/admin/index-key/rotation/complete', { token: admin })).json.code], ['ROTATION_NOT_STARTED', 'ROTATION_NOT_STARTED']);
  t.same((await api(h1, 'GET', '/admin/index-key/rotation', { token: admin })).json, { state: 'idle' });
  t.notOk(existsSync(join(dataDir, NEXT_INDEX_KEY_FILE)), 'no new key was made');
  t.equal(rotationsLogged().length, 0);
});

t.test('the ledger itself refuses a re-key by anyone but the home registrar', async (t) => {
  const refused = await home.client.submit(home.service, Registrar.rekey([{ oldHash: oldHashes[0]!, newHash: 'a'.repeat(64) }])).catch((e: unknown) => e);
  t.match(refused, { code: 'FORBIDDEN' }, 'the records service (a provider) is refused');
  t.equal(await entry(oldHashes[0]!), pids[0], 'and the entry is where it was');
});

t.test('begin, move one chart, "crash": lookups work in the mixed state, here and from another hospital', async (t) => {
  const begun = await api(h1, 'POST', '/admin/index-key/rotation', { token: admin });
  t.same([begun.status, begun.json], [200, { state: 'rotating' }]);
  t.equal(statSync(join(dataDir, NEXT_INDEX_KEY_FILE)).mode & 0o777, 0o600, 'the new key file is 0600');
  t.same((await api(h1, 'POST', '/admin/index-key/rotation', { token: admin })).json, { state: 'rotating' }, 'beginning again keeps the rotation under way');

  const first = await step([people[0]!.mrn]);
  t.equal(first.status, 200, JSON.stringify(first.json));
  t.ok(first.json.rekeyed >= 2, `moved the chart's entry and those of the staff and provisioned users: ${JSON.stringify(first.json)}`);
  const ada = home.indexKeys.previous!.ownHash('staff-id', 'H1.dr-ada');
  t.equal(await entry(ada), undefined, "a provisioned staff member's old entry (no chart: from the configuration) is gone too");
  t.ok(await entry(home.indexKeys.current.ownHash('staff-id', 'H1.dr-ada')), 'and her new one is there');
  t.equal(await entry(oldHashes[0]!), undefined, "the first patient's old entry is gone");
  t.equal(await entry(home.indexKeys.current.ownHash(KIND, people[0]!.externalId)), pids[0], 'her new one names her');
  t.equal(await entry(oldHashes[1]!), pids[1], 'the others are still under the old key');

  // The "crash": a gateway started on this data directory finds the rotation under way, with the same keys.
  const reopened = new IndexKeys(dataDir);
  t.ok(reopened.rotating);
  t.equal(reopened.current.ownHash(KIND, 'x'), home.indexKeys.current.ownHash(KIND, 'x'), 'and the same new key');
  t.equal(reopened.previous!.ownHash(KIND, people[0]!.externalId), oldHashes[0], 'its previous key is the key the patients were registered under');

  for (const [i, p] of people.entries()) {
    t.equal(await resolveAt(h2, registrar2, p.externalId), pids[i], `Hospital 2 finds patient ${i} blindly, moved or not`);
    t.equal(await resolveAt(h1, registrar1, p.externalId), pids[i], `Hospital 1 finds patient ${i}`);
  }
  const again = await api(h1, 'POST', '/registrar/activations', { token: registrar1, body: { role: 'patient', externalIdKind: KIND, externalId: people[1]!.externalId } });
  t.equal(again.status, 409, 'a person not yet moved cannot be registered a second time under the new key');
});

t.test('resume with every chart, then complete: old entries gone, found from elsewhere, history is the chain', async (t) => {
  // The operator's command retried, or run twice at once: eight identical calls together.
  const burst = await Promise.all(Array.from({ length: 8 }, () => step(people.map((p) => p.mrn))));
  t.same(burst.filter((r) => r.status !== 200 && r.status !== 409).map((r) => [r.status, r.json.code]), [], 'each 200, or 409 for a call that lost the race: never a 5xx');
  const resumedAll = burst.filter((r) => r.status === 200);
  t.ok(resumedAll.length >= 1, 'at least one call moved the charts');
  t.equal(resumedAll.reduce((n, r) => n + (r.json.rekeyed as number), 0), 2, 'the two charts not yet moved are moved once in all');
  const resumed = resumedAll.find((r) => r.json.rekeyed === 2)!;
  t.match(resumed.json, { state: 'rotating', rekeyed: 2, unreadable: 0 });
  t.ok(resumed.json.present >= 1, 'the chart moved before the crash is present, not moved twice');
  const unknown = await step(['H1-NO-SUCH-CHART']);
  t.match(unknown.json, { rekeyed: 0, unreadable: 1 }, 'a chart the EHR does not hold is counted, not fatal');

  const done = await api(h1, 'POST', '/admin/index-key/rotation/complete', { token: admin });
  t.same([done.status, done.json], [200, { state: 'idle' }]);
  t.notOk(existsSync(join(dataDir, NEXT_INDEX_KEY_FILE)), 'the new key is now the key');
  t.equal(statSync(join(dataDir, INDEX_KEY_FILE)).mode & 0o777, 0o600);
  t.notOk(home.indexKeys.rotating);
  for (const [i, p] of people.entries()) {
    t.equal(await entry(oldHashes[i]!), undefined, `patient ${i}: the old key's entry is gone from state`);
    t.equal(await resolveAt(h2, registrar2, p.externalId), pids[i], `patient ${i}: Hospital 2 still finds her by national id`);
  }
  const history = await api(h1, 'POST', '/auditor/identities/history', { token: audra, body: { externalIdKind: KIND, externalId: people[1]!.externalId } });
  t.equal(history.status, 200);
  t.same(
    (history.json.history as { value: { externalIdHash: string } }[]).map((h) => h.value.externalIdHash),
    [home.indexKeys.current.ownHash(KIND, people[1]!.externalId), oldHashes[1]],
    "the auditor reads the mapping's chain: the new entry, then the old one",
  );
  const logged = rotationsLogged();
  // One record per call that answered 200: the first chart, each of the burst's, the unknown chart.
  const rekeyCalls = 1 + resumedAll.length + 1;
  t.same(
    logged.map((r) => r.decision.split(':')[0]),
    ['rotation-begun', 'rotation-begun', ...Array<string>(rekeyCalls).fill('rekeyed'), 'rotation-completed'],
    'each step audited',
  );
  t.notOk(JSON.stringify(logged).includes(people[0]!.externalId), 'the log holds counts, never an id');
  t.equal((await api(h1, 'POST', '/admin/index-key/rotation/complete', { token: admin })).json.code, 'ROTATION_NOT_STARTED', 'completing twice is refused');
  t.equal((await step(['bad mrn!'])).status, 400);
});
