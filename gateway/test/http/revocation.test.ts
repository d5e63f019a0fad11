/**
 * A revoked certificate acts nowhere from the next request on (issue 9, item 1): its owner cannot
 * log in (even with the right password), an open session is refused with CERTIFICATE_REVOKED (403)
 * and its notification stream closes, its transactions are refused by the ledger with 403 (never a
 * 500), /records/fetch refuses with 403, and the gatekeeper with 401 — through the product as
 * `npm start` runs it, revoking at the hospital's embedded CA (which publishes its CRL to the
 * channel configuration).
 */
import t from 'tap';
import { Registrar } from '../../src/contract/medrec.js';
import { AccessDeniedError } from '../../src/ports/ledger.js';
import { toProblem } from '../../src/http/plugins/errors.js';
import { api, login, startTestSystem, testSystemFor } from './support.js';

const sys = await testSystemFor(t);
const { h1 } = sys;
const runtime = sys.system.hospitals[0]!;
const ca = sys.system.identities.get('Hospital1MSP')!;
/** The CA knows the person by the certificate's opaque enrollment id; the username is the gateway's. */
const revoke = async (username: string) =>
  ca.identity.revoke(await ca.caAdmin(runtime.accounts, runtime.sealer), runtime.accounts.get(username)!.enrollmentId, 'keyCompromise');

t.test('an open session, its stream, its transactions and its fetches stop at once; so does its login', async (t) => {
  const bob = await login(h1, 'bob');
  t.equal((await api(h1, 'GET', '/me/summary', { token: bob })).status, 200, 'bob works before');
  const stream = await fetch(`${h1}/notifications/stream`, { headers: { authorization: `Bearer ${bob}` } });
  const reader = stream.body!.getReader();
  await reader.read();
  const closed = (async () => {
    for (;;) if ((await reader.read()).done) return true;
  })();
  const account = runtime.accounts.get('bob')!;
  const signer = { mspId: 'Hospital1MSP', certificate: account.certificate, privateKey: await runtime.sealer.open(account.sealedKey, 'bob-demo-pass') };

  await revoke('bob');

  const within = (ms: number) => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref());
  t.ok(await Promise.race([closed, within(10_000)]), 'the notification stream closed');
  for (const [method, path, body] of [
    ['GET', '/me/summary', undefined],
    ['GET', '/me', undefined],
    ['POST', '/records/fetch', { relationshipId: 'a'.repeat(64), category: 'Observation' }],
    ['POST', `/relationships/${'a'.repeat(64)}/accept`, undefined],
  ] as const) {
    const res = await api(h1, method, path, { token: bob, body });
    t.equal(res.status, 403, `${method} ${path}: 403`);
    t.equal(res.json.code, 'CERTIFICATE_REVOKED', `${method} ${path}: CERTIFICATE_REVOKED`);
  }
  const relogin = await api(h1, 'POST', '/auth/login', { body: { username: 'bob', password: 'bob-demo-pass' } });
  t.equal(relogin.status, 403, 'the right password no longer opens a session');
  t.equal(relogin.json.code, 'CERTIFICATE_REVOKED');
  const guess = await api(h1, 'POST', '/auth/login', { body: { username: 'bob', password: 'a-wrong-password' } });
  t.equal(guess.json.code, 'LOGIN_FAILED', 'a wrong password learns nothing about the certificate');

  // The ledger itself refuses the revoked creator: a 403 problem, never a server error.
  const refused = await runtime.client.evaluate(signer, Registrar.whoami()).catch((err: unknown) => err);
  t.type(refused, AccessDeniedError);
  t.match(toProblem(refused), { status: 403, code: 'CERTIFICATE_REVOKED' });
  const submitted = await runtime.client.submit(signer, Registrar.register('b'.repeat(64), 'nobody', 'patient')).catch((err: unknown) => err);
  t.match(toProblem(submitted), { status: 403, code: 'CERTIFICATE_REVOKED' }, 'a transaction signed with it: 403');

  const alice = await login(h1, 'alice');
  t.equal((await api(h1, 'GET', '/me/summary', { token: alice })).status, 200, 'other people of the same CA are unaffected');
});

t.test('the revocation holds after a restart', async (t) => {
  await sys.close();
  const again = await startTestSystem(sys.dir);
  t.teardown(() => again.close());
  const res = await api(again.h1, 'POST', '/auth/login', { body: { username: 'bob', password: 'bob-demo-pass' } });
  t.equal(res.status, 403);
  t.equal(res.json.code, 'CERTIFICATE_REVOKED');
  sys.close = async () => undefined;
});
