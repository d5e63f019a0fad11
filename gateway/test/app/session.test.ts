import { createHmac } from 'node:crypto';
import Fastify from 'fastify';
import t from 'tap';
import { sessionUser, standInSigner } from '../support/session-user.js';
import sessions from '../../src/http/plugins/sessions.js';
import errors from '../../src/http/plugins/errors.js';

const SECRET_1 = 'hospital-one-secret-0123456789abcdef';
const SECRET_2 = 'hospital-two-secret-0123456789abcdef';
const user = sessionUser;
const signer = standInSigner;

async function hospital(mspId: string, secret: string, ttlSeconds = 60) {
  const app = Fastify();
  await app.register(errors);
  await app.register(sessions, { mspId, secret, ttlSeconds });
  app.get('/patient-only', { preHandler: app.requireRole('patient') }, async (request) => ({
    sub: request.user.sub,
    key: (await app.signerFor(request)).privateKey,
  }));
  app.get('/auditor-only', { preHandler: app.requireRole('auditor') }, async () => ({ secret: 'data' }));
  await app.ready();
  return app;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function hs256(header: object, payload: object, secret: string) {
  const head = `${b64(header)}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

async function call(app: Awaited<ReturnType<typeof hospital>>, url: string, token?: string) {
  const res = await app.inject({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, type: res.headers['content-type'], body: res.json() as Record<string, unknown> };
}

t.test('a session token opens the routes of its role and yields the user\'s own signer', async (t) => {
  const app = await hospital('Hospital1MSP', SECRET_1);
  t.teardown(() => app.close());
  const { token } = await app.startSession(user, signer);
  const ok = await call(app, '/patient-only', token);
  t.equal(ok.status, 200);
  t.same(ok.body, { sub: 'alice', key: 'KEY' });
  const wrongRole = await call(app, '/auditor-only', token);
  t.equal(wrongRole.status, 403);
  t.equal(wrongRole.body.code, 'ROLE_FORBIDDEN');
  t.notOk('secret' in wrongRole.body);
  t.match(wrongRole.type, /application\/problem\+json/);
});

t.test('tampered, foreign, expired and missing tokens are refused with 401 and a stable code', async (t) => {
  const one = await hospital('Hospital1MSP', SECRET_1);
  const two = await hospital('Hospital2MSP', SECRET_2);
  t.teardown(async () => {
    await one.close();
    await two.close();
  });
  const now = Math.floor(Date.now() / 1000);
  const claims = { ...user, jti: 'j1', iss: 'Hospital1MSP', iat: now, exp: now + 60 };

  const cases: [string, string | undefined, string][] = [
    ['no token', undefined, 'UNAUTHENTICATED'],
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, 'TOKEN_INVALID'],
    ['wrong key', hs256({ alg: 'HS256', typ: 'JWT' }, claims, 'not-the-hospital-secret-0123456789'), 'TOKEN_INVALID'],
    ['HS512 with the right key', hs256({ alg: 'HS512', typ: 'JWT' }, claims, SECRET_1), 'TOKEN_INVALID'],
    ['expired', hs256({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now - 120, exp: now - 60 }, SECRET_1), 'TOKEN_EXPIRED'],
    ['other issuer', hs256({ alg: 'HS256', typ: 'JWT' }, { ...claims, iss: 'Hospital2MSP' }, SECRET_1), 'TOKEN_INVALID'],
    ['garbage', 'not.a.jwt', 'TOKEN_INVALID'],
  ];
  for (const [name, token, code] of cases) {
    const res = await call(one, '/patient-only', token);
    t.equal(res.status, 401, name);
    t.equal(res.body.code, code, name);
    t.notOk('key' in res.body, `${name}: no data`);
  }

  const foreign = await two.startSession({ ...user, mspId: 'Hospital2MSP' }, signer);
  const res = await call(one, '/patient-only', foreign.token);
  t.equal(res.status, 401, "another hospital's token");
  t.equal(res.body.code, 'TOKEN_INVALID');
});

t.test('a valid token whose in-memory key is gone (restart) cannot sign', async (t) => {
  const first = await hospital('Hospital1MSP', SECRET_1);
  const { token } = await first.startSession(user, signer);
  await first.close();
  const restarted = await hospital('Hospital1MSP', SECRET_1);
  t.teardown(() => restarted.close());
  const res = await call(restarted, '/patient-only', token);
  t.equal(res.status, 401);
  t.equal(res.body.code, 'SESSION_ENDED');
});
