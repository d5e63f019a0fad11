/**
 * Safe retries (issue 16, item 5): an Idempotency-Key on a state-changing route replays the first
 * final answer instead of changing anything again; a change whose outcome is unknown answers 503
 * OUTCOME_UNKNOWN with its transaction id and a status route, and the client's retry with the same
 * key creates no duplicate.
 */
import t from 'tap';
import { TransactionOutcomeUnknownError, type LedgerPort } from '../../src/ports/ledger.js';
import { api, isoIn, login, testSystemFor, type Answer, type Json } from './support.js';

const sys = await testSystemFor(t, undefined, {
  rateLimits: { activation: { max: 100, windowSeconds: 60 }, login: { max: 200, windowSeconds: 60 } },
});
const { h1 } = sys;
const ledger: LedgerPort = sys.system.ledger;
const users = sys.system.provisioned['Hospital1MSP']!;
const ada = await login(h1, 'dr-ada');
const bob = await login(h1, 'bob');
const victor = await login(h1, 'victor');
const bobId = (await api(h1, 'GET', '/me', { token: bob })).json.participantId as string;
const victorId = (await api(h1, 'GET', '/me', { token: victor })).json.participantId as string;
const bobMrn = users.find((u) => u.username === 'bob')!.mrn!;
const withKey = (key: string) => ({ 'idempotency-key': key });
const relationshipsOfBob = async () =>
  ((await api(h1, 'GET', '/me/summary', { token: bob })).json.entries as Json[]).filter((e) => e.providerMspId === 'Hospital1MSP');

let rel = '';

t.test('a change committed but answered as unknown: 503 with its id, its status, and a retry with the same key duplicates nothing', async (t) => {
  // The ledger commits the transaction and then the answer is lost, as when the orderers go quiet
  // after taking it: the gateway cannot tell, and must say so.
  const submit = ledger.submit.bind(ledger);
  let lost = 0;
  ledger.submit = async (...args) => {
    const done = await submit(...args);
    lost++;
    throw new TransactionOutcomeUnknownError(done.txId, 'no commit status within the bound');
  };
  let first: Answer;
  try {
    first = await api(h1, 'POST', '/relationships', { token: ada, body: { patientId: bobId, mrn: bobMrn }, headers: withKey('create-bob-1') });
  } finally {
    ledger.submit = submit;
  }
  t.equal(lost, 1, 'the transaction was committed');
  t.equal(first.status, 503);
  t.match(first.json, { code: 'OUTCOME_UNKNOWN', txId: /^[0-9a-f]{64}$/, statusUrl: `/transactions/${first.json.txId}` });
  t.notOk('relationshipId' in first.json, 'no result is claimed');

  const status = await api(h1, 'GET', first.json.statusUrl as string, { token: ada });
  t.match(status, { status: 200, json: { txId: first.json.txId, status: 'committed', validationCode: 'VALID' } }, 'its status route says it committed');

  const retry = await api(h1, 'POST', '/relationships', { token: ada, body: { patientId: bobId, mrn: bobMrn }, headers: withKey('create-bob-1') });
  t.equal(retry.status, 409, 'the retry with the same key creates nothing');
  t.match(retry.json, { code: 'RELATIONSHIP_EXISTS', relationshipId: /^[0-9a-f]{64}$/ });
  rel = retry.json.relationshipId as string;
  t.equal((await relationshipsOfBob()).length, 1, 'one relationship for bob at Hospital1');

  const height = await ledger.height();
  const again = await fetch(`${h1}/relationships`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ada}`, 'content-type': 'application/json', ...withKey('create-bob-1') },
    body: JSON.stringify({ patientId: bobId, mrn: bobMrn }),
  });
  t.equal(again.status, 409, 'a further retry: the stored answer');
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.equal(((await again.json()) as Json).relationshipId, rel);
  t.equal(await ledger.height(), height, 'replayed without a transaction');
});

t.test('a completed change is replayed for its key, not repeated', async (t) => {
  t.equal((await api(h1, 'POST', `/relationships/${rel}/accept`, { token: bob })).status, 200);
  const grant = { viewerId: victorId, items: [{ category: 'Observation', fields: ['code'] }], validUntil: isoIn(86_400_000), purpose: 'FAMRQT' };
  const first = await api(h1, 'POST', `/relationships/${rel}/grants`, { token: bob, body: grant, headers: withKey('grant-victor') });
  t.equal(first.status, 201);
  const height = await ledger.height();
  const replay = await api(h1, 'POST', `/relationships/${rel}/grants`, { token: bob, body: grant, headers: withKey('grant-victor') });
  t.equal(replay.status, first.status);
  t.same(replay.json, first.json, 'the same answer, transaction id included');
  t.equal(await ledger.height(), height, 'no new transaction');

  const other = await api(h1, 'POST', `/relationships/${rel}/grants`, {
    token: bob,
    body: { ...grant, purpose: 'CAREMGT' },
    headers: withKey('grant-victor'),
  });
  t.match(other, { status: 422, json: { code: 'IDEMPOTENCY_KEY_REUSED' } }, 'the key with another request is refused');
  const grants = (await api(h1, 'GET', `/relationships/${rel}/grants`, { token: bob })).json.grants as Json[];
  t.same(grants.map((g) => g.purpose), ['FAMRQT'], 'and changed nothing');

  // Keys are the caller's own: another person's request with the same key is theirs alone.
  const revoke = await api(h1, 'DELETE', `/relationships/${rel}/grants/${victorId}`, { token: bob, headers: withKey('revoke-victor') });
  t.equal(revoke.status, 200);
  const refused = await api(h1, 'DELETE', `/relationships/${rel}/grants/${victorId}`, { token: ada, headers: withKey('revoke-victor') });
  t.not(refused.json.txId, revoke.json.txId, "another caller's key of the same name is not bob's answer");
});

t.test('concurrent requests with one key: one runs, the others wait their turn or get its answer, never a 5xx', async (t) => {
  const grant = { viewerId: victorId, items: [{ category: 'Observation', fields: ['code'] }], validUntil: isoIn(86_400_000), purpose: 'TREAT' };
  const answers = await Promise.all(
    Array.from({ length: 6 }, () => api(h1, 'POST', `/relationships/${rel}/grants`, { token: bob, body: grant, headers: withKey('grant-race') })),
  );
  t.same(answers.filter((a) => a.status >= 500), [], 'no 5xx');
  const ran = answers.filter((a) => a.status === 201);
  t.ok(ran.length >= 1, 'the first ran');
  t.equal(new Set(ran.map((a) => a.json.txId)).size, 1, 'every success is the same transaction');
  for (const a of answers.filter((x) => x.status !== 201)) t.match(a.json, { code: 'IDEMPOTENCY_KEY_IN_USE' });
});

t.test('bad keys and routes that only read', async (t) => {
  const bad = await api(h1, 'POST', `/relationships/${rel}/accept`, { token: bob, headers: withKey('x'.repeat(256)) });
  t.match(bad, { status: 400, json: { code: 'IDEMPOTENCY_KEY_INVALID' } });
  const resolve = { externalIdKind: 'national-id', externalId: 'SYN-NOT-THERE' };
  const registrar = await login(h1, 'registrar', 'registrar-demo-pass');
  const first = await api(h1, 'POST', '/registrar/resolve', { token: registrar, body: resolve, headers: withKey('read') });
  const second = await api(h1, 'POST', '/registrar/resolve', { token: registrar, body: { ...resolve, externalId: 'SYN-OTHER' }, headers: withKey('read') });
  t.equal(first.status, 404);
  t.equal(second.status, 404, 'a read is not bound to its key (no 422)');
});

t.test("an activation's replay names the person but never carries the one-time code", async (t) => {
  const registrar = await login(h1, 'registrar', 'registrar-demo-pass');
  const body = { username: 'idem-person', role: 'patient', externalIdKind: 'national-id', externalId: 'SYN-IDEM-000001' };
  const first = await api(h1, 'POST', '/registrar/activations', { token: registrar, body, headers: withKey('vouch-1') });
  t.equal(first.status, 201);
  t.match(first.json, { code: /./, participantId: /^[0-9a-f]{64}$/ });
  const replay = await api(h1, 'POST', '/registrar/activations', { token: registrar, body, headers: withKey('vouch-1') });
  t.equal(replay.status, 201);
  t.equal(replay.json.participantId, first.json.participantId, 'the same person, not a second one');
  t.notOk('code' in replay.json, 'the code was shown once');
});
