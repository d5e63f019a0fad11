import '../../src/system/quiet-chaincode.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import t from 'tap';
import { AccountStore } from '../../src/services/accounts/accounts.js';
import { hashPassword } from '../../src/services/accounts/passwords.js';
import { vaultSealer } from '../../src/services/accounts/sealer.js';
import sessions from '../../src/http/plugins/sessions.js';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, type LoginThrottleSettings } from '../../src/services/accounts/throttle.js';
import { ConfigError, loadConfig } from '../../src/system/config.js';
import errors from '../../src/http/plugins/errors.js';
import { LoginService } from '../../src/services/accounts/login.js';
import { authRoutes } from '../../src/http/routes/auth.js';
import type { PasswordChange } from '../../src/services/accounts/password-change.js';

/**
 * POST /auth/login under the login throttle, over inject with a controllable clock: lockout after
 * N failures, 429 TOO_MANY_ATTEMPTS with Retry-After, no login while locked (even with the right
 * password), unlock after the back-off, reset on success, unknown usernames alike, the per-address cap.
 */

const SETTINGS: LoginThrottleSettings = { maxFailures: 3, lockoutSeconds: 2, maxLockoutSeconds: 5, ipMaxFailures: 12, ipWindowSeconds: 60 };
const sealer = vaultSealer({ N: 1024, r: 8, p: 1 });

async function gateway() {
  let clock = 1_000_000;
  const accounts = new AccountStore(new Database(':memory:'));
  accounts.insert({
    username: 'alice',
    passwordHash: await hashPassword('alice-right-pass'),
    role: 'patient',
    enrollmentId: 'alice',
    participantId: 'a'.repeat(64),
    identityId: 'b'.repeat(64),
    certificate: 'CERT',
    sealedKey: await sealer.seal('KEY', 'alice-right-pass'),
    createdAt: new Date().toISOString(),
  });
  let lookups = 0;
  const counting = Object.assign(Object.create(accounts) as AccountStore, {
    get: (username: string) => {
      lookups += 1;
      return accounts.get(username);
    },
  });
  const login = new LoginService('Hospital1MSP', counting, sealer, new LoginThrottle(SETTINGS, () => clock), () => undefined);
  const app = Fastify();
  await app.register(errors);
  await app.register(sessions, { mspId: 'Hospital1MSP', secret: 's'.repeat(32), ttlSeconds: 60 });
  await app.register(authRoutes, { login, passwords: {} as PasswordChange });
  await app.ready();
  const attempt = async (username: string, password: string, remoteAddress = '10.0.0.1') => {
    const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password }, remoteAddress });
    return { status: res.statusCode, type: res.headers['content-type'], retryAfter: res.headers['retry-after'], body: res.json() as Record<string, unknown> };
  };
  return {
    app,
    login: attempt,
    advance: (seconds: number) => (clock += seconds * 1000),
    lookups: () => lookups,
  };
}

t.test('a username is locked after N failures, whether or not it exists', async (t) => {
  const g = await gateway();
  t.teardown(() => g.app.close());
  const refusals: Record<string, unknown>[] = [];
  for (const username of ['alice', 'nobody']) {
    for (let i = 0; i < SETTINGS.maxFailures; i++) {
      t.equal((await g.login(username, 'wrong-password')).body.code, 'LOGIN_FAILED', `${username}: failure ${i + 1} is an ordinary 401`);
    }
    const before = g.lookups();
    const locked = await g.login(username, username === 'alice' ? 'alice-right-pass' : 'wrong-password');
    t.equal(locked.status, 429, `${username}: locked`);
    t.equal(locked.body.code, 'TOO_MANY_ATTEMPTS', `${username}: code`);
    t.match(locked.type, /^application\/problem\+json/, `${username}: problem+json`);
    t.equal(locked.retryAfter, String(SETTINGS.lockoutSeconds), `${username}: Retry-After is the back-off`);
    t.notOk('token' in locked.body, `${username}: no token`);
    t.equal(g.lookups(), before, `${username}: refused before the account is looked up or a password hashed`);
    refusals.push(locked.body);
  }
  t.same(refusals[0], refusals[1], 'an existing and an unknown username are refused alike');
  t.equal((await g.login('alice', 'alice-right-pass', '10.9.9.9')).status, 429, 'the lock is on the username, not the address');
});

t.test('the lock ends after the back-off; a success resets the count', async (t) => {
  const g = await gateway();
  t.teardown(() => g.app.close());
  for (let i = 0; i < SETTINGS.maxFailures; i++) await g.login('alice', 'wrong-password');
  g.advance(SETTINGS.lockoutSeconds - 1);
  t.equal((await g.login('alice', 'alice-right-pass')).status, 429, 'still locked just before the back-off ends');
  g.advance(1);
  const ok = await g.login('alice', 'alice-right-pass');
  t.equal(ok.status, 200, 'the right password works once the back-off is over');
  t.type(ok.body.token, 'string');
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < SETTINGS.maxFailures - 1; i++) t.equal((await g.login('alice', 'wrong-password')).status, 401);
    t.equal((await g.login('alice', 'alice-right-pass')).status, 200, `round ${round}: success resets, so N-1 failures never lock`);
  }
});

t.test('each further lockout doubles the back-off, up to the cap', async (t) => {
  const g = await gateway();
  t.teardown(() => g.app.close());
  for (let i = 0; i < SETTINGS.maxFailures; i++) await g.login('nobody', 'wrong-password');
  const waits: string[] = [];
  for (let lockout = 0; lockout < 3; lockout++) {
    const refused = await g.login('nobody', 'wrong-password');
    t.equal(refused.status, 429);
    waits.push(String(refused.retryAfter));
    g.advance(Number(refused.retryAfter));
    t.equal((await g.login('nobody', 'wrong-password')).status, 401, 'one more guess after the back-off ...');
  }
  t.same(waits, ['2', '4', '5'], '... and it locks again, twice as long, capped at maxLockoutSeconds');
});

t.test('failures from one address are capped across usernames', async (t) => {
  const g = await gateway();
  t.teardown(() => g.app.close());
  for (let i = 0; i < SETTINGS.ipMaxFailures; i++) {
    t.equal((await g.login(`user${i}`, 'wrong-password')).status, 401, `guess ${i + 1} at a fresh username`);
  }
  const capped = await g.login('alice', 'alice-right-pass');
  t.equal(capped.status, 429, 'the address is refused, even with a right password');
  t.equal(capped.body.code, 'TOO_MANY_ATTEMPTS');
  t.equal(capped.retryAfter, String(SETTINGS.ipWindowSeconds), 'Retry-After: until the oldest failure leaves the window');
  t.equal((await g.login('alice', 'alice-right-pass', '10.0.0.2')).status, 200, 'another address is not affected');
  g.advance(SETTINGS.ipWindowSeconds);
  t.equal((await g.login('alice', 'alice-right-pass')).status, 200, 'the address may log in once the window has passed');
});

t.test('successful logins do not count against the address', async (t) => {
  const g = await gateway();
  t.teardown(() => g.app.close());
  for (let i = 0; i < SETTINGS.ipMaxFailures * 2; i++) t.equal((await g.login('alice', 'alice-right-pass')).status, 200);
});

t.test('the limits come from the configuration: defaults, then the file, then the environment', async (t) => {
  t.same(loadConfig({}).loginThrottle, DEFAULT_LOGIN_THROTTLE);
  t.same(DEFAULT_LOGIN_THROTTLE, { maxFailures: 10, lockoutSeconds: 30, maxLockoutSeconds: 900, ipMaxFailures: 20, ipWindowSeconds: 60 });
  const file = join(t.testdir(), 'medrec.json');
  writeFileSync(file, JSON.stringify({ loginThrottle: { maxFailures: 4, ipWindowSeconds: 120 } }));
  const c = loadConfig({ MEDREC_CONFIG: file, MEDREC_LOGIN_MAX_FAILURES: '7', MEDREC_LOGIN_LOCKOUT: '10', MEDREC_LOGIN_LOCKOUT_MAX: '60', MEDREC_LOGIN_IP_MAX_FAILURES: '50' });
  t.same(c.loginThrottle, { maxFailures: 7, lockoutSeconds: 10, maxLockoutSeconds: 60, ipMaxFailures: 50, ipWindowSeconds: 120 }, 'env beats the file, the file beats the defaults');
  t.throws(() => loadConfig({ MEDREC_LOGIN_MAX_FAILURES: '0' }), ConfigError, 'zero failures would lock everyone out');
  t.throws(() => loadConfig({ MEDREC_LOGIN_IP_WINDOW: 'soon' }), ConfigError, 'not a number');
  t.throws(() => loadConfig({ MEDREC_LOGIN_LOCKOUT: '600', MEDREC_LOGIN_LOCKOUT_MAX: '60' }), ConfigError, 'a cap below the first lockout');
});
