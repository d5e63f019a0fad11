/**
 * A session lives exactly as long as configured, and everything it holds dies with it: the token's
 * exp − iat is the configured TTL (seconds, not milliseconds), the user's unsealed key is dropped at
 * expiry by the session's own timer (no request needed), and the notification stream closes at
 * logout, at expiry and when the channel stops trusting the session's certificate.
 */
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import t from 'tap';
import { sessionUser, standInSigner } from '../support/session-user.js';
import errors from '../../src/http/plugins/errors.js';
import sessions from '../../src/http/plugins/sessions.js';
import { authRoutes } from '../../src/http/routes/auth.js';
import { notificationRoutes } from '../../src/http/routes/notifications.js';
import type { LedgerPort } from '../../src/ports/ledger.js';
import type { LoginService } from '../../src/services/accounts/login.js';
import type { PasswordChange } from '../../src/services/accounts/password-change.js';
import { NotificationFeed } from '../../src/services/notifications/feed.js';
import { NotificationStore } from '../../src/services/notifications/store.js';
import { forbidden } from '../../src/services/problem.js';

const user = sessionUser;
const signer = standInSigner;

async function gateway(ttlSeconds: number, options: { revoked?: () => boolean } = {}) {
  const app = Fastify({ logger: false });
  const trustListeners = new Set<() => void>();
  await app.register(errors);
  await app.register(sessions, {
    mspId: 'Hospital1MSP',
    secret: 's'.repeat(32),
    ttlSeconds,
    certificateProblem: () => (options.revoked?.() ? forbidden('CERTIFICATE_REVOKED', 'revoked') : undefined),
    onTrustChange: (listener) => {
      trustListeners.add(listener);
      return () => trustListeners.delete(listener);
    },
  });
  await app.register(authRoutes, { login: {} as LoginService, passwords: {} as PasswordChange });
  const store = new NotificationStore(new Database(':memory:'));
  const feed = new NotificationFeed({} as LedgerPort, store, () => true, app.log);
  await app.register(notificationRoutes, { feed, notifications: store });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}`, trustChanged: () => trustListeners.forEach((l) => l()) };
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };

/** Opens the stream and resolves with how long it stayed open once it ends. */
async function stream(url: string, token: string) {
  const opened = Date.now();
  const res = await fetch(`${url}/notifications/stream`, { headers: { authorization: `Bearer ${token}` } });
  const reader = res.body!.getReader();
  const first = await reader.read();
  // Bounded: a stream that never ends counts as lasting forever instead of hanging the test.
  const ended = Promise.race([
    (async () => {
      for (;;) if ((await reader.read()).done) return Date.now() - opened;
    })(),
    new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 15_000).unref()),
  ]);
  return { status: res.status, first: new TextDecoder().decode(first.value), ended };
}

t.test('the issued token lives exactly the configured TTL, in seconds', async (t) => {
  for (const ttl of [900, 7]) {
    const g = await gateway(ttl);
    const { token, expiresAt } = await g.app.startSession(user, signer);
    const { iat, exp } = claimsOf(token);
    t.equal(exp - iat, ttl, `exp − iat = ${ttl} s`);
    t.equal(Date.parse(expiresAt) / 1000, exp, 'expiresAt is the token exp');
    await g.app.close();
  }
});

t.test("the unsealed key is dropped at expiry by the session's own timer, without any request", async (t) => {
  const g = await gateway(1);
  t.teardown(() => g.app.close());
  await g.app.startSession(user, signer);
  t.equal(g.app.sessionKeys.size, 1, 'held while the session lives');
  await new Promise((resolve) => setTimeout(resolve, 2200));
  t.equal(g.app.sessionKeys.size, 0, 'gone once it expired');
});

t.test('the notification stream closes at logout', async (t) => {
  const g = await gateway(60);
  t.teardown(() => g.app.close());
  const { token } = await g.app.startSession(user, signer);
  const s = await stream(g.url, token);
  t.equal(s.status, 200);
  t.match(s.first, /medrec notifications/);
  const out = await fetch(`${g.url}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  t.equal(out.status, 204);
  t.ok((await s.ended) < 10_000, 'the stream ended with the session');
  const again = await fetch(`${g.url}/notifications/stream`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(again.status, 401, 'and the token no longer opens one');
  t.equal(((await again.json()) as { code: string }).code, 'SESSION_ENDED');
});

t.test('the notification stream closes when the session expires', async (t) => {
  const g = await gateway(2);
  t.teardown(() => g.app.close());
  const { token } = await g.app.startSession(user, signer);
  const s = await stream(g.url, token);
  const lasted = await s.ended;
  t.ok(lasted >= 1000 && lasted < 10_000, `ended at expiry (${lasted} ms after opening)`);
});

t.test("a session whose certificate the channel stops trusting ends at once: stream closed, key dropped, next request refused", async (t) => {
  let revoked = false;
  const g = await gateway(60, { revoked: () => revoked });
  t.teardown(() => g.app.close());
  const { token } = await g.app.startSession(user, signer);
  const s = await stream(g.url, token);
  revoked = true;
  g.trustChanged();
  t.ok((await s.ended) < 10_000, 'the stream ended on the trust change');
  t.equal(g.app.sessionKeys.size, 0, 'the key is gone');
  const ended = await fetch(`${g.url}/me`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(ended.status, 403, 'its token is answered with the reason');
  t.equal(((await ended.json()) as { code: string }).code, 'CERTIFICATE_REVOKED');

  const second = await g.app.startSession(user, signer);
  const res = await fetch(`${g.url}/me`, { headers: { authorization: `Bearer ${second.token}` } });
  t.equal(res.status, 403, 'a session checked on its next request is refused');
  t.equal(((await res.json()) as { code: string }).code, 'CERTIFICATE_REVOKED');
  t.equal(g.app.sessionKeys.size, 0, 'and its key dropped');
});
