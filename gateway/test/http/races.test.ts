/**
 * Ordinary races never answer 5xx (issue 9, item 5). A harness fires N identical or conflicting
 * requests at once through HTTP and checks that every answer is a success or a clear 4xx, and that
 * the final state is consistent: one relationship per patient and hospital, one live grant, a
 * relationship in one of the requested states, pointers equal to the EHR's hash, one redemption of
 * a code, one winning password.
 */
import t from 'tap';
import { api, isoIn, login, race, testSystemFor, type Answer, type Json } from './support.js';

const N = 8;
const sys = await testSystemFor(t, undefined, {
  rateLimits: { activation: { max: 100, windowSeconds: 60 }, login: { max: 200, windowSeconds: 60 } },
});
const { h1 } = sys;
const runtime = sys.system.hospitals[0]!;
const users = sys.system.provisioned['Hospital1MSP']!;
const ada = await login(h1, 'dr-ada');
const bob = await login(h1, 'bob');
const victor = await login(h1, 'victor');
const bobId = (await api(h1, 'GET', '/me', { token: bob })).json.participantId as string;
const victorId = (await api(h1, 'GET', '/me', { token: victor })).json.participantId as string;
const bobMrn = users.find((u) => u.username === 'bob')!.mrn!;

const statuses = (answers: Answer[]) => answers.map((a) => a.status);

let rel = '';

t.test(`create the same relationship ×${N}: one is created, every other answer names it`, async (t) => {
  const answers = await race(t, 'create', N, () => api(h1, 'POST', '/relationships', { token: ada, body: { patientId: bobId, mrn: bobMrn } }));
  const created = answers.filter((a) => a.status === 201);
  t.equal(created.length, 1, 'exactly one 201');
  rel = created[0]!.json.relationshipId as string;
  for (const a of answers.filter((x) => x.status !== 201)) {
    t.equal(a.status, 409);
    t.equal(a.json.code, 'RELATIONSHIP_EXISTS');
    t.equal(a.json.relationshipId, rel, 'the 409 names the relationship that exists');
  }
  const retry = await api(h1, 'POST', '/relationships', { token: ada, body: { patientId: bobId, mrn: bobMrn } });
  t.match(retry, { status: 409, json: { code: 'RELATIONSHIP_EXISTS', relationshipId: rel } }, "a client's retry: the same answer, nothing created");
  const mine = (await api(h1, 'GET', '/me/summary', { token: bob })).json.entries as Json[];
  t.equal(mine.filter((e) => e.providerMspId === 'Hospital1MSP').length, 1, 'the ledger holds one relationship for bob at Hospital 1');
});

t.test(`accept ×${N} and accept/reject ×${N}: settled, never a server error`, async (t) => {
  const accepted = await race(t, 'accept', N, () => api(h1, 'POST', `/relationships/${rel}/accept`, { token: bob }));
  t.same(new Set(statuses(accepted)), new Set([200]), 'every identical accept succeeds');
  t.equal(accepted.filter((a) => a.json.txId !== null).length, 1, 'one transaction; the others found it done');
  const mixed = await race(t, 'accept/reject', N, (i) => api(h1, 'POST', `/relationships/${rel}/${i % 2 ? 'reject' : 'accept'}`, { token: bob }));
  t.ok(statuses(mixed).every((s) => s === 200 || s === 409), 'each is done, found done, or refused as a conflict');
  const status = (await api(h1, 'GET', `/relationships/${rel}`, { token: bob })).json.status;
  t.ok(status === 'accepted' || status === 'rejected', `final status ${status}`);
  await api(h1, 'POST', `/relationships/${rel}/accept`, { token: bob });
  t.equal((await api(h1, 'GET', `/relationships/${rel}`, { token: bob })).json.status, 'accepted');
});

const grant = (validUntil = isoIn(86_400_000)) => ({
  viewerId: victorId,
  items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }],
  validUntil,
  purpose: 'TREAT',
});

t.test(`grant ×${N} identical: one grant, every answer a success`, async (t) => {
  const body = grant();
  const answers = await race(t, 'grant', N, () => api(h1, 'POST', `/relationships/${rel}/grants`, { token: bob, body }));
  t.ok(statuses(answers).every((s) => s === 201 || s === 200), 'created once, found identical by the others');
  t.ok(answers.filter((a) => a.status === 201).length >= 1);
  const grants = (await api(h1, 'GET', `/relationships/${rel}/grants`, { token: bob })).json.grants as Json[];
  t.equal(grants.filter((g) => g.viewerId === victorId && g.status === 'granted').length, 1, 'one live grant');
});

t.test(`grant/revoke ×${N}: the final state is one of them, and the viewer is served accordingly`, async (t) => {
  const answers = await race(t, 'grant/revoke', N, (i) =>
    i % 2
      ? api(h1, 'DELETE', `/relationships/${rel}/grants/${victorId}`, { token: bob })
      : api(h1, 'POST', `/relationships/${rel}/grants`, { token: bob, body: grant(isoIn(86_400_000 + i * 1000)) }),
  );
  t.ok(statuses(answers).every((s) => [200, 201, 409].includes(s)), 'each done, found done, or a conflict');
  const g = ((await api(h1, 'GET', `/relationships/${rel}/grants`, { token: bob })).json.grants as Json[]).find((x) => x.viewerId === victorId)!;
  const fetched = await api(h1, 'POST', '/records/fetch', { token: victor, body: { relationshipId: rel, category: 'Observation' } });
  if (g.status === 'granted') t.equal(fetched.status, 200, 'granted: the viewer is served');
  else t.match(fetched, { status: 403, json: { code: 'GRANT_REVOKED' } }, 'revoked: the viewer is refused');
});

t.test(`re-point ×${N}: the pointers end at the EHR's hash`, async (t) => {
  const answers = await race(t, 're-point', N, () => api(h1, 'POST', `/relationships/${rel}/pointers`, { token: ada, body: { categories: ['Observation'] } }));
  t.ok(statuses(answers).every((s) => s === 200), 'each re-point is done or found done');
  const expected = (await runtime.relationships.pointersFor(bobMrn, ['Observation']))[0]!.hash;
  const view = (await api(h1, 'GET', `/relationships/${rel}`, { token: bob })).json;
  t.equal((view.pointers as Json[]).find((p) => p.category === 'Observation')!.hash, expected);
});

t.test(`redeem one activation code ×${N}: exactly one enrolment`, async (t) => {
  const registrar = await login(h1, 'registrar', 'registrar-demo-pass');
  const issued = (await api(h1, 'POST', '/registrar/activations', { token: registrar, body: { username: 'racer', role: 'viewer', externalIdKind: 'staff-id', externalId: 'RACE-1' } })).json;
  const answers = await race(t, 'redeem', N, (i) => api(h1, 'POST', '/device/activations/redeem', { body: { code: issued.code, password: `racer-password-${i}` } }));
  const won = answers.findIndex((a) => a.status === 201);
  t.equal(answers.filter((a) => a.status === 201).length, 1, 'one redemption');
  t.ok(answers.filter((a) => a.status !== 201).every((a) => a.status === 409 && a.json.code === 'ACTIVATION_USED'), 'the others: ACTIVATION_USED');
  t.ok(await login(h1, 'racer', `racer-password-${won}`), "the winner's password opens the account");
});

t.test(`change a password ×${N} at once: exactly one wins`, async (t) => {
  const token = await login(h1, 'racer', `racer-password-${(await findRacerPassword())}`);
  const current = `racer-password-${await findRacerPassword()}`;
  const answers = await race(t, 'password change', N, (i) => api(h1, 'POST', '/auth/password', { token, body: { currentPassword: current, newPassword: `changed-password-${i}` } }));
  const won = answers.findIndex((a) => a.status === 204);
  t.equal(answers.filter((a) => a.status === 204).length, 1, 'one change');
  t.ok(answers.filter((a) => a.status !== 204).every((a) => a.status === 409 || a.status === 401), 'the others: a conflict or a wrong current password');
  t.ok(await login(h1, 'racer', `changed-password-${won}`), 'the winning password opens the account');
  t.equal((await api(h1, 'POST', '/auth/login', { body: { username: 'racer', password: current } })).status, 401, 'the old one does not');
});

async function findRacerPassword(): Promise<number> {
  for (let i = 0; i < N; i++) {
    if ((await api(h1, 'POST', '/auth/login', { body: { username: 'racer', password: `racer-password-${i}` } })).status === 200) return i;
  }
  throw new Error('no racer password works');
}
