/**
 * What the gateway adds for the MedRec app (issue 11): the app's files under /app/ with its security
 * headers, the grant form's field catalogue, share codes, and the refusals of the audit relay. The app
 * itself is driven end to end in headless Chromium by app/test/figure2.test.mjs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import t from 'tap';
import { CATEGORY_FIELDS, PURPOSES } from '@medrec/chaincode/domain';
import appStatic from '../../src/http/plugins/app-static.js';
import { api, login, removeDir, startTestSystem, testSystemFor } from './support.js';

const sys = await testSystemFor(t);
const { h1, h2 } = sys;

t.test('the field catalogue: every grantable field of every category, the coded purposes, this hospital', async (t) => {
  const res = await api(h1, 'GET', '/app-api/catalogue');
  t.equal(res.status, 200);
  t.same(res.json.hospital.mspId, 'Hospital1MSP');
  t.same(
    Object.fromEntries(res.json.categories.map((c: { category: string; fields: string[] }) => [c.category, c.fields])),
    CATEGORY_FIELDS,
    'the chaincode catalogue, as is',
  );
  t.same(res.json.purposes.map((p: { code: string }) => p.code), PURPOSES);
  t.ok(res.json.purposes.every((p: { label: string }) => p.label.length > 0), 'each purpose has a plain name');
  t.match(await api(h1, 'GET', '/app-api/catalogue?patient=x'), { status: 400 }, 'a parameter it does not take is refused');
  t.same(
    [...res.json.hospitals].sort((a: { mspId: string }, b: { mspId: string }) => a.mspId.localeCompare(b.mspId)),
    [
      { mspId: 'Hospital1MSP', gateway: new URL(h1).origin },
      { mspId: 'Hospital2MSP', gateway: new URL(h2).origin },
    ],
    "the consortium's gateways, from the ledger's directory: where the app redeems a delegate code",
  );
});

t.test("CORS: another member's gateway origin may call this gateway from the app, no one else; the app may connect to the members", async (t) => {
  const preflight = (origin: string) =>
    fetch(`${h1}/transactions/prepare`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
  const member = await preflight(new URL(h2).origin);
  t.equal(member.headers.get('access-control-allow-origin'), new URL(h2).origin, "Hospital 2's app may call Hospital 1");
  t.match(member.headers.get('access-control-allow-headers') ?? '', /authorization/);
  t.equal(member.headers.get('access-control-allow-credentials'), null, 'never with credentials: the API takes bearer tokens, no cookie');
  for (const origin of ['https://elsewhere.example', `${new URL(h2).protocol}//127.0.0.2:${new URL(h2).port}`]) {
    const foreign = await preflight(origin);
    t.equal(foreign.headers.get('access-control-allow-origin'), null, `${origin}: not a member, no CORS answer (the browser refuses the call)`);
  }
  const read = await fetch(`${h1}/app-api/catalogue`, { headers: { origin: new URL(h2).origin } });
  t.equal(read.headers.get('access-control-allow-origin'), new URL(h2).origin, 'the actual answer carries it too');
  const csp = (await fetch(`${h1}/app/`)).headers.get('content-security-policy') ?? '';
  t.match(csp, new RegExp(`connect-src 'self'[^;]* ${new URL(h2).origin.replace(/[.]/g, '\\.')}`), "the app may connect to Hospital 2's gateway");
  t.notMatch(csp, /elsewhere/);
});

t.test('share codes: a short code stands for the viewer, a new one replaces the old, unknown codes are refused', async (t) => {
  t.equal((await api(h1, 'POST', '/app-api/share-codes')).status, 401, 'only with a session');
  const victor = await login(h1, 'victor');
  const alice = await login(h1, 'alice');
  const victorId = (await api(h1, 'GET', '/me', { token: victor })).json.participantId;
  const first = await api(h1, 'POST', '/app-api/share-codes', { token: victor });
  t.equal(first.status, 201);
  t.match(first.json.code, /^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
  t.ok(Date.parse(first.json.expiresAt) > Date.now() + 23 * 3600_000, 'lives a day');
  const resolved = await api(h1, 'POST', '/app-api/share-codes/resolve', { token: alice, body: { code: first.json.code } });
  t.same(resolved.json, { participantId: victorId, role: 'viewer', mspId: 'Hospital1MSP' });
  const undashed = await api(h1, 'POST', '/app-api/share-codes/resolve', { token: alice, body: { code: first.json.code.replace('-', '') } });
  t.equal(undashed.json.participantId, victorId, 'the dash is optional');
  const second = await api(h1, 'POST', '/app-api/share-codes', { token: victor });
  t.not(second.json.code, first.json.code);
  const old = await api(h1, 'POST', '/app-api/share-codes/resolve', { token: alice, body: { code: first.json.code } });
  t.match(old, { status: 404, json: { code: 'SHARE_CODE_UNKNOWN' } }, 'the old code no longer resolves');
  const bad = await api(h1, 'POST', '/app-api/share-codes/resolve', { token: alice, body: { code: 'IOIO-0101' } });
  t.equal(bad.status, 400, 'look-alike characters are not in the alphabet');
  t.equal((await api(h1, 'POST', '/app-api/share-codes/resolve', { body: { code: second.json.code } })).status, 401, 'resolving needs a session');
});

t.test('the audit relay forwards only the caller’s own queries about relationships it has read', async (t) => {
  const alice = await login(h1, 'alice');
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const jws = (header: unknown, claims: unknown) => `${b64(header)}.${b64(claims)}.c2ln`;
  const rel = 'ab'.repeat(32);
  const relay = (body: unknown) => api(h1, 'POST', '/app-api/audit/relay', { token: alice, body });
  t.equal((await api(h1, 'POST', '/app-api/audit/relay', { body: { jws: jws({}, {}) } })).status, 401);
  t.match(await relay({ jws: 'not a jws' }), { status: 400 });
  t.match(await relay({ jws: jws({ alg: 'ES256', x5c: ['AAAA'] }, { rels: [], aud: h1 }) }), { status: 400, json: { code: 'MALFORMED_REQUEST' } }, 'names no relationship');
  t.match(await relay({ jws: `${b64({ alg: 'ES256' })}.bm90IGpzb24.c2ln` }), { status: 400, json: { code: 'MALFORMED_REQUEST' } }, 'claims that are not JSON');
  t.match(await relay({ jws: jws({ alg: 'ES256', x5c: ['AAAA'] }, { rels: [rel], aud: h1 }) }), { status: 403, json: { code: 'RELAY_NOT_YOURS' } }, 'not signed with the session’s certificate');
});

t.test('the app under /app/: its pages, its files, its headers', async (t) => {
  t.equal((await fetch(`${h1}/`, { redirect: 'manual' })).headers.get('location'), '/app/', '/ leads to the app');
  const dir = mkdtempSync(join(tmpdir(), 'medrec-app-'));
  t.teardown(() => removeDir(dir));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(dir, 'main.js'), 'export {};');
  const app = Fastify();
  await app.register(appStatic, { root: dir });
  t.teardown(() => app.close());
  const index = await app.inject({ url: '/app/' });
  t.equal(index.statusCode, 200);
  t.match(index.headers['content-security-policy'], /default-src 'self'/);
  t.equal(index.headers['referrer-policy'], 'no-referrer');
  const page = await app.inject({ url: '/app/contracts' });
  t.equal(page.body, '<!doctype html><title>app</title>', "the app's own routes get index.html");
  t.equal((await app.inject({ url: '/app/main.js' })).body, 'export {};');
  t.equal((await app.inject({ url: '/app/missing.js' })).statusCode, 404, 'a missing file is 404, not the page');

  const bare = Fastify();
  await bare.register(appStatic, { root: join(dir, 'nothing-here') });
  t.teardown(() => bare.close());
  const unbuilt = await bare.inject({ url: '/app/' });
  t.equal(unbuilt.statusCode, 503);
  t.match(unbuilt.body, /npm run build/, 'says how to build it');
});

t.test('a share code still resolves after the gateway restarts (gateway.db, not memory)', async (t) => {
  const victor = await login(sys.h1, 'victor');
  const victorId = (await api(sys.h1, 'GET', '/me', { token: victor })).json.participantId;
  const issued = await api(sys.h1, 'POST', '/app-api/share-codes', { token: victor });
  t.equal(issued.status, 201);
  await sys.close();
  const again = await startTestSystem(sys.dir);
  sys.close = () => again.close();
  const alice = await login(again.h1, 'alice');
  const resolved = await api(again.h1, 'POST', '/app-api/share-codes/resolve', { token: alice, body: { code: issued.json.code } });
  t.equal(resolved.status, 200, resolved.text);
  t.same(resolved.json, { participantId: victorId, role: 'viewer', mspId: 'Hospital1MSP' });
});
