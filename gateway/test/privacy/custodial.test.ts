/**
 * Delegates of a custodial (password) patient, held by her home gateway (docs/privacy.md §3), end
 * to end over HTTP against two real gateways on the embedded ledger running the real chaincode.
 * Paula logs in with a password at her home, Hospital 1; Hospital 2's registrar registers a
 * delegate for her chart there and hands her its code; she redeems it through her home
 * (`POST /me/delegates`), which keeps the delegate's key in its vault and signs for it at Hospital
 * 2's gateway: accept, grant, revoke, record fetch, and her summary, which shows both hospitals.
 * On the ledger the Hospital 2 relationship names the delegate, never her home participant. Every
 * refusal changes nothing stored.
 */
import t from 'tap';
import { demoPatients } from '../../demo/seed/population.js';
import { api, isoIn, login, testSystemFor, type Answer } from '../http/support.js';

t.setTimeout(300_000);

const sys = await testSystemFor(t, undefined, { rateLimits: { activation: { max: 200, windowSeconds: 60 }, login: { max: 200, windowSeconds: 60 } } });
const { h1, h2 } = sys;
const home = sys.system.hospitals[0]!;
const person = demoPatients('hospital1').filter((p) => p.alsoAt)[1]!;
const registrar1 = await login(h1, 'registrar', 'registrar-demo-pass');
const registrar2 = await login(h2, 'registrar', 'registrar-demo-pass');
const ada = await login(h1, 'dr-ada');
const grey = await login(h2, 'dr-grey');

const outcome = (res: Answer) => ({ status: res.status, code: res.json.code as string | undefined });
/** What the home's vault holds for its password patients' delegates. */
const rows = () => (home as unknown as { custodial: { deps: { db: { prepare(s: string): { all(): unknown[] } } } } }).custodial.deps.db.prepare('SELECT * FROM custodial_delegates').all();

async function delegateCode(base: string, token: string, mrn: string) {
  const res = await api(base, 'POST', '/registrar/delegates', { token, body: { mrn } });
  if (res.status !== 201) throw new Error(`delegate → ${res.status} ${res.json.code}`);
  return res.json as { code: string; participantId: string };
}

// Paula: a password account at her home.
const activation = await api(h1, 'POST', '/registrar/activations', {
  token: registrar1,
  body: { username: 'paula', role: 'patient', externalIdKind: 'national-id', externalId: person.externalId },
});
const homeCode = activation.json.code as string;
const redeemed = await api(h1, 'POST', '/device/activations/redeem', { body: { code: homeCode, password: 'paula-long-password' } });
if (redeemed.status !== 201) throw new Error(`redeem → ${redeemed.status} ${redeemed.json.code}`);
const paula = await login(h1, 'paula', 'paula-long-password');
const homePid = activation.json.participantId as string;
const issued = await delegateCode(h2, registrar2, person.alsoAt!.mrn);
const add = (body: unknown, token: string | null = paula, headers: Record<string, string> = {}) =>
  api(h1, 'POST', '/me/delegates', { ...(token ? { token } : {}), body, headers });

t.test('the inspect answer says which kind a code is', async (t) => {
  const spare = await delegateCode(h2, registrar2, demoPatients('hospital2')[20]!.mrn);
  t.match((await api(h2, 'POST', '/device/activations/inspect', { body: { code: spare.code } })).json, { kind: 'delegate', role: 'patient', mspId: 'Hospital2MSP' });
  const other = await api(h1, 'POST', '/registrar/activations', {
    token: registrar1,
    body: { role: 'patient', externalIdKind: 'national-id', externalId: demoPatients('hospital1')[30]!.externalId },
  });
  t.match((await api(h1, 'POST', '/device/activations/inspect', { body: { code: other.json.code } })).json, { kind: 'home', role: 'patient' });
});

t.test('every refusal changes nothing stored and has its code', async (t) => {
  const before = JSON.stringify(rows());
  const h1Home = await api(h1, 'POST', '/registrar/activations', {
    token: registrar1,
    body: { role: 'patient', externalIdKind: 'national-id', externalId: demoPatients('hospital1')[31]!.externalId },
  });
  const h2Home = await api(h2, 'POST', '/registrar/activations', {
    token: registrar2,
    body: { role: 'patient', externalIdKind: 'national-id', externalId: demoPatients('hospital2')[31]!.externalId },
  });
  t.equal(h2Home.status, 201);
  const used = await delegateCode(h2, registrar2, demoPatients('hospital2')[21]!.mrn);
  t.equal((await api(h2, 'POST', '/device/activations/redeem', { body: { code: used.code, password: 'someone-elses-pass' } })).status, 201);
  const h1Delegate = await delegateCode(h1, registrar1, demoPatients('hospital1')[32]!.mrn);

  t.same(outcome(await add({ hospital: 'Hospital2MSP', code: 'AAAAA-BBBBB-CCCCC-DDDDD' })), { status: 404, code: 'ACTIVATION_UNKNOWN' }, 'a wrong code');
  t.same(outcome(await add({ hospital: 'Hospital2MSP', code: used.code })), { status: 409, code: 'ACTIVATION_USED' }, 'a used code');
  t.same(outcome(await add({ hospital: 'Hospital2MSP', code: h2Home.json.code })), { status: 422, code: 'NOT_A_DELEGATE_CODE' }, "Hospital 2's home activation code");
  t.same(outcome(await add({ hospital: 'Hospital2MSP', code: h1Delegate.code })), { status: 404, code: 'ACTIVATION_UNKNOWN' }, "another hospital's delegate code");
  t.same(outcome(await add({ hospital: 'Hospital1MSP', code: h1Delegate.code })), { status: 422, code: 'HOME_HOSPITAL' }, 'her home hospital');
  t.same(outcome(await add({ hospital: 'Hospital9MSP', code: issued.code })), { status: 404, code: 'HOSPITAL_UNKNOWN' }, 'an unknown hospital');
  t.same(outcome(await add({ hospital: 'Hospital2MSP', code: issued.code }, null)), { status: 401, code: 'UNAUTHENTICATED' }, 'no session');
  t.same(outcome(await add({ hospital: 'Hospital2MSP', code: issued.code }, ada)), { status: 403, code: 'ROLE_FORBIDDEN' }, 'a provider');
  t.same(outcome(await add({ hospital: 'Hospital2MSP', code: issued.code }, registrar1)), { status: 403, code: 'ROLE_FORBIDDEN' }, 'a registrar');
  t.same(outcome(await api(h1, 'GET', '/me/delegates', { token: ada })), { status: 403, code: 'ROLE_FORBIDDEN' }, 'a provider lists none');
  t.same(outcome(await add({ hospital: 'Hospital2MSP', code: 'short' })), { status: 400, code: 'VALIDATION_FAILED' }, 'a malformed code');
  t.equal(JSON.stringify(rows()), before, 'nothing stored');
  t.same((await api(h1, 'GET', '/me/delegates', { token: paula })).json, { delegates: [] });
  // the refused codes are still usable where they belong: nothing was redeemed
  t.match((await api(h2, 'POST', '/device/activations/inspect', { body: { code: h2Home.json.code } })).json, { kind: 'home' });
  t.match((await api(h1, 'POST', '/device/activations/inspect', { body: { code: h1Delegate.code } })).json, { kind: 'delegate' });
  t.ok(h1Home.status === 201);
});

let relationshipId = '';
let delegatePid = '';

t.test('two identical requests at once: one delegate, no 5xx', async (t) => {
  const both = await Promise.all([1, 2].map(() => add({ hospital: 'Hospital2MSP', code: issued.code })));
  t.same(both.map((r) => r.status).sort(), [200, 201], 'one redeems, the other is answered its delegate');
  t.equal(both[0]!.json.participantId, both[1]!.json.participantId);
  t.match(both[0]!.json, { hospital: 'Hospital2MSP', participantId: issued.participantId, state: 'certified', relationships: [] });
  t.equal(rows().length, 1, 'one delegate stored');
  delegatePid = issued.participantId;
  const again = await add({ hospital: 'Hospital2MSP', code: issued.code }, paula, { 'idempotency-key': 'paula-retry-1' });
  t.equal(again.status, 200, 'a later retry: the same delegate');
  const replayed = await add({ hospital: 'Hospital2MSP', code: issued.code }, paula, { 'idempotency-key': 'paula-retry-1' });
  t.same([replayed.status, replayed.json], [200, again.json], 'the same Idempotency-Key: the first answer again');
  const reused = await add({ hospital: 'Hospital2MSP', code: 'AAAAA-BBBBB-CCCCC-DDDDD' }, paula, { 'idempotency-key': 'paula-retry-1' });
  t.same([reused.status, reused.json.code], [422, 'IDEMPOTENCY_KEY_REUSED'], 'the key with another body is refused, as on every POST');
  const stored = rows()[0] as Record<string, string>;
  t.notOk(stored.sealed_key.includes('PRIVATE KEY'), 'the key is sealed');
  t.notOk(JSON.stringify(stored).includes(issued.code), 'the code is not stored in the clear');
});

t.test("Hospital 2's provider creates by chart; she accepts, grants and fetches through her home, signed by the delegate", async (t) => {
  const created = await api(h2, 'POST', '/relationships', { token: grey, body: { mrn: person.alsoAt!.mrn } });
  t.equal(created.status, 201);
  t.equal(created.json.patientId, delegatePid, 'the relationship names the delegate');
  relationshipId = created.json.relationshipId;
  const homeRel = await api(h1, 'POST', '/relationships', { token: ada, body: { patientId: homePid, mrn: person.mrn } });
  t.equal(homeRel.status, 201, 'and one at home under her home identity');

  const summary = await api(h1, 'GET', '/me/summary', { token: paula });
  t.equal(summary.status, 200);
  t.same(summary.json.unreachable, []);
  t.same(summary.json.entries.map((e: { providerMspId: string; patientId: string }) => [e.providerMspId, e.patientId]).sort(), [
    ['Hospital1MSP', homePid],
    ['Hospital2MSP', delegatePid],
  ], 'her summary shows both hospitals');

  const accepted = await api(h1, 'POST', `/relationships/${relationshipId}/accept`, { token: paula });
  t.match(accepted.json, { relationshipId, status: 'accepted', txId: /.+/ });
  t.equal(accepted.status, 200);
  t.match((await api(h1, 'POST', `/relationships/${homeRel.json.relationshipId}/accept`, { token: paula })).json, { status: 'accepted' }, 'her home relationship by her home identity');

  const view = await api(h1, 'GET', `/relationships/${relationshipId}`, { token: paula });
  t.match(view.json, { relationshipId, patientId: delegatePid, providerMspId: 'Hospital2MSP', status: 'accepted' });

  const fetched = await api(h1, 'POST', '/records/fetch', { token: paula, body: { relationshipId, category: 'Observation' } });
  t.equal(fetched.status, 200, `a record fetch signed by the delegate at Hospital 2 ${fetched.text.slice(0, 300)}`);
  t.equal(fetched.json.decision, 'ALLOWED_PATIENT');
  t.equal(fetched.json.check?.hashMatches ?? fetched.json.hashMatches, true);

  const victor = await login(h1, 'victor');
  const victorId = (await api(h1, 'GET', '/me', { token: victor })).json.participantId as string;
  const grant = { viewerId: victorId, items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }], validUntil: isoIn(86_400_000), purpose: 'FAMRQT' };
  const granted = await api(h1, 'POST', `/relationships/${relationshipId}/grants`, { token: paula, body: grant });
  t.equal(granted.status, 201);
  t.equal((await api(h1, 'POST', '/records/fetch', { token: victor, body: { relationshipId, category: 'Observation' } })).status, 200, 'the viewer reads');
  t.match((await api(h1, 'GET', `/relationships/${relationshipId}/grants`, { token: paula })).json.grants, [{ viewerId: victorId }]);
  t.equal((await api(h1, 'DELETE', `/relationships/${relationshipId}/grants/${victorId}`, { token: paula })).status, 200);
  t.equal((await api(h1, 'POST', '/records/fetch', { token: victor, body: { relationshipId, category: 'Observation' } })).status, 403, 'revoked');

  const listed = await api(h1, 'GET', '/me/delegates', { token: paula });
  t.match(listed.json.delegates, [{ hospital: 'Hospital2MSP', participantId: delegatePid, state: 'certified', relationships: [{ relationshipId, status: 'accepted' }] }]);
});

t.test('on the ledger the Hospital 2 relationship names the delegate, signed by it; never her home pid', async (t) => {
  const otto = await login(h2, 'otto');
  const history = await api(h2, 'GET', `/auditor/relationships/${relationshipId}/history`, { token: otto });
  t.equal(history.status, 200);
  t.equal(history.json.relationship.length, 2, 'created, then accepted: the chaincode let only its patient, the delegate, accept');
  const versions = history.json.relationship as { value: { patientId: string; status: string } }[];
  t.same(versions.map((v) => v.value.status).sort(), ['accepted', 'new']);
  t.ok(versions.every((v) => v.value.patientId === delegatePid), 'every version names the delegate');
  const text = history.text;
  t.notOk(text.includes(homePid), 'her home participant is nowhere in its history');
});

t.test('Hospital 2 down: summary reports it per entry; a new code stores nothing (503)', async (t) => {
  const spare = await delegateCode(h2, registrar2, demoPatients('hospital2')[22]!.mrn);
  await sys.gateways[1]!.app.close();
  const summary = await api(h1, 'GET', '/me/summary', { token: paula });
  t.equal(summary.status, 200, 'never blanks the summary');
  t.same(summary.json.unreachable, [{ hospital: 'Hospital2MSP', code: 'HOSPITAL_UNREACHABLE' }]);
  t.same(summary.json.entries.map((e: { providerMspId: string }) => e.providerMspId), ['Hospital1MSP']);
  const before = JSON.stringify(rows());
  t.same(outcome(await add({ hospital: 'Hospital2MSP', code: spare.code })), { status: 503, code: 'HOSPITAL_UNREACHABLE' });
  t.equal(JSON.stringify(rows()), before, 'nothing stored');
  t.match((await api(h1, 'GET', '/me/delegates', { token: paula })).json.delegates, [{ hospital: 'Hospital2MSP', unreachable: 'HOSPITAL_UNREACHABLE' }]);
  t.same(outcome(await api(h1, 'POST', `/relationships/${relationshipId}/reject`, { token: paula })), { status: 503, code: 'HOSPITAL_UNREACHABLE' });
});
