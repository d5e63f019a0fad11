import { createHmac } from 'node:crypto';
import t, { type Test } from 'tap';
import { api, isoIn, login, removeDir, startTestSystem, type Answer, type Json } from './support.js';

/**
 * Every refusal of the REST API over real sockets: a 4xx problem+json with a stable code, no data,
 * and nothing changed (ledger height and accounts are compared before and after).
 */

t.setTimeout(240_000);

const ROLES = ['patient', 'provider', 'registrar', 'viewer', 'auditor', 'researcher'] as const;
type Role = (typeof ROLES)[number];
const USER: Record<Role, string> = {
  patient: 'alice',
  provider: 'dr-ada',
  registrar: 'registrar',
  viewer: 'victor',
  auditor: 'audra',
  researcher: 'rhea',
};
const INJECTIONS = ["' OR '1'='1", "1; DROP TABLE accounts; --", '" OR 1=1 --', "x'); DELETE FROM patients; --", '<script>alert(1)</script>'];
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const hs256 = (header: object, payload: object, secret: string) => {
  const head = `${b64(header)}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
};

function isProblem(t: Test, res: Answer, status: number, code: string, name: string) {
  t.equal(res.status, status, `${name}: status`);
  t.equal(res.json.code, code, `${name}: code`);
  t.match(res.type, /^application\/problem\+json/, `${name}: problem+json`);
  t.notOk('bundle' in res.json || 'entries' in res.json || 'token' in res.json || 'grants' in res.json, `${name}: no data`);
}

t.test('refusals', async (t) => {
  const sys = await startTestSystem();
  t.teardown(async () => {
    await sys.close();
    removeDir(sys.dir);
  });
  const { h1, h2 } = sys;
  const H1 = sys.system.hospitals[0]!;
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) tokens[role] = await login(h1, USER[role], USER[role] === 'registrar' ? 'registrar-demo-pass' : undefined);
  const pid = async (token: string, base = h1) => (await api(base, 'GET', '/me', { token })).json.participantId as string;
  const aliceId = await pid(tokens.patient);
  const victorId = await pid(tokens.viewer);
  const aliceMrn = sys.system.provisioned['Hospital1MSP']!.find((u) => u.username === 'alice')!.mrn!;
  const created = await api(h1, 'POST', '/relationships', { token: tokens.provider, body: { patientId: aliceId, mrn: aliceMrn } });
  t.equal(created.status, 201);
  const rel = created.json.relationshipId as string;
  t.equal((await api(h1, 'POST', `/relationships/${rel}/accept`, { token: tokens.patient })).status, 200);

  const grantBody = { viewerId: victorId, items: [{ category: 'Observation', fields: ['code'] }], validUntil: isoIn(86_400_000), purpose: 'FAMRQT' };
  const newUser = { username: 'erin', role: 'patient', externalIdKind: 'national-id', externalId: 'SYN-000-999999' };
  const routes: { method: string; path: string; body?: Json; roles: readonly Role[] }[] = [
    { method: 'POST', path: '/registrar/activations', body: newUser, roles: ['registrar'] },
    { method: 'POST', path: '/registrar/resolve', body: { externalIdKind: 'national-id', externalId: 'SYN-000-000001' }, roles: ['registrar', 'provider', 'auditor'] },
    { method: 'POST', path: '/relationships', body: { patientId: aliceId, mrn: aliceMrn }, roles: ['provider'] },
    { method: 'POST', path: `/relationships/${rel}/pointers`, body: {}, roles: ['provider'] },
    { method: 'POST', path: `/relationships/${rel}/accept`, roles: ['patient'] },
    { method: 'POST', path: `/relationships/${rel}/reject`, roles: ['patient'] },
    { method: 'POST', path: `/relationships/${rel}/acknowledge`, roles: ['patient'] },
    { method: 'DELETE', path: `/relationships/${rel}`, roles: ['patient'] },
    { method: 'POST', path: `/relationships/${rel}/grants`, body: grantBody, roles: ['patient'] },
    { method: 'DELETE', path: `/relationships/${rel}/grants/${victorId}`, roles: ['patient'] },
    { method: 'GET', path: `/auditor/relationships/${rel}/history`, roles: ['auditor'] },
    { method: 'POST', path: '/auditor/identities/history', body: { externalIdKind: 'national-id', externalId: 'SYN-000-000001' }, roles: ['auditor'] },
    { method: 'GET', path: `/auditor/participants/${aliceId}/summary`, roles: ['auditor'] },
    { method: 'GET', path: '/auditor/anchors/Hospital1MSP', roles: ['auditor'] },
  ];
  const height = () => sys.system.ledger.height();

  t.test('wrong role for each route: 403 ROLE_FORBIDDEN, nothing written', async (t) => {
    const before = await height();
    const accounts = H1.accounts.count();
    for (const route of routes) {
      for (const role of ROLES.filter((r) => !route.roles.includes(r))) {
        const res = await api(h1, route.method, route.path, { token: tokens[role], body: route.body });
        isProblem(t, res, 403, 'ROLE_FORBIDDEN', `${role} ${route.method} ${route.path}`);
      }
    }
    t.equal(await height(), before, 'no transaction');
    t.equal(H1.accounts.count(), accounts, 'no account');
  });

  t.test('no token, and tampered, expired or foreign tokens: 401', async (t) => {
    const secret = H1.settings.jwtSecret;
    const now = Math.floor(Date.now() / 1000);
    const me = (await api(h1, 'GET', '/me', { token: tokens.patient })).json;
    const claims = { ...me, jti: 'forged', iss: 'Hospital1MSP', iat: now, exp: now + 300 };
    const [head, body, sig] = tokens.patient.split('.');
    const escalated = `${head}.${b64({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), role: 'auditor' })}.${sig}`;
    const carol = await login(h2, 'carol');
    const cases: [string, string | undefined, string][] = [
      ['no token', undefined, 'UNAUTHENTICATED'],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, role: 'auditor' })}.`, 'TOKEN_INVALID'],
      ['wrong key', hs256({ alg: 'HS256', typ: 'JWT' }, claims, 'x'.repeat(43)), 'TOKEN_INVALID'],
      ['payload edited (role escalated)', escalated, 'TOKEN_INVALID'],
      ['expired', hs256({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now - 600, exp: now - 300 }, secret), 'TOKEN_EXPIRED'],
      ["hospital 2's token", carol, 'TOKEN_INVALID'],
      ['not a JWT', "' OR 1=1 --", 'TOKEN_INVALID'],
    ];
    for (const [name, token, code] of cases) {
      for (const [method, path] of [['GET', '/me/summary'], ['GET', `/auditor/relationships/${rel}/history`], ['GET', '/notifications/stream']]) {
        isProblem(t, await api(h1, method!, path!, { token }), 401, code, `${name} ${path}`);
      }
    }
    // A token with the right key but never issued (no session key in memory) cannot sign.
    isProblem(t, await api(h1, 'GET', '/me/summary', { token: hs256({ alg: 'HS256', typ: 'JWT' }, claims, secret) }), 401, 'SESSION_ENDED', 'forged with the real secret');
    isProblem(t, await api(h2, 'GET', '/me/summary', { token: tokens.patient }), 401, 'TOKEN_INVALID', "hospital 1's token at hospital 2");
  });

  t.test("another patient's relationship, and non-parties: refused by the ledger", async (t) => {
    const before = await height();
    const bob = await login(h1, 'bob');
    const grey = await login(h2, 'dr-grey');
    const asBob: [string, string, Json?][] = [
      ['GET', `/relationships/${rel}`],
      ['GET', `/relationships/${rel}/grants`],
      ['POST', `/relationships/${rel}/accept`],
      ['POST', `/relationships/${rel}/reject`],
      ['POST', `/relationships/${rel}/acknowledge`],
      ['DELETE', `/relationships/${rel}`],
      ['POST', `/relationships/${rel}/grants`, grantBody],
      ['DELETE', `/relationships/${rel}/grants/${victorId}`],
    ];
    for (const [method, path, body] of asBob) isProblem(t, await api(h1, method, path, { token: bob, body }), 403, 'FORBIDDEN', `bob ${method} ${path}`);
    isProblem(t, await api(h1, 'POST', '/records/fetch', { token: bob, body: { relationshipId: rel, category: 'Observation' } }), 403, 'NOT_A_PARTY', 'bob fetches');
    isProblem(t, await api(h2, 'POST', `/relationships/${rel}/pointers`, { token: grey, body: {} }), 403, 'FORBIDDEN', 'another provider updates pointers');
    isProblem(t, await api(h1, 'GET', `/relationships/${rel}`, { token: tokens.viewer }), 403, 'FORBIDDEN', 'viewer without a grant');
    t.equal(await height(), before, 'no transaction');
  });

  t.test('SQL injection and markup in every field, param and query: 400, nothing changed', async (t) => {
    const before = await height();
    const accounts = H1.accounts.count();
    const bodies: [Role, string, string, Json][] = [
      ['registrar', 'POST', '/registrar/activations', newUser],
      ['registrar', 'POST', '/registrar/resolve', { externalIdKind: 'national-id', externalId: 'SYN-000-000001' }],
      ['provider', 'POST', '/relationships', { patientId: aliceId, mrn: aliceMrn }],
      ['patient', 'POST', `/relationships/${rel}/grants`, grantBody],
      ['auditor', 'POST', '/auditor/identities/history', { externalIdKind: 'national-id', externalId: 'SYN-000-000001' }],
    ];
    for (const [role, method, path, body] of bodies) {
      for (const field of Object.keys(body)) {
        if (field === 'password') continue; // free text by nature; see the login case below
        for (const attack of INJECTIONS) {
          const res = await api(h1, method, path, { token: tokens[role], body: { ...body, [field]: attack } });
          isProblem(t, res, 400, 'VALIDATION_FAILED', `${path} ${field}`);
          t.notOk(res.text.includes(attack), `${path} ${field}: the attack string is not echoed`);
        }
      }
    }
    for (const attack of INJECTIONS) {
      const nested: Json[] = [
        { ...grantBody, items: [{ category: attack, fields: ['code'] }] },
        { ...grantBody, items: [{ category: 'Observation', fields: [attack] }] },
      ];
      for (const body of nested) isProblem(t, await api(h1, 'POST', `/relationships/${rel}/grants`, { token: tokens.patient, body }), 400, 'VALIDATION_FAILED', 'grant item');
      isProblem(t, await api(h1, 'POST', `/relationships/${rel}/pointers`, { token: tokens.provider, body: { categories: [attack] } }), 400, 'VALIDATION_FAILED', 'pointer category');
      const enc = encodeURIComponent(attack);
      const params: [Role, string, string][] = [
        ['patient', 'GET', `/relationships/${enc}`],
        ['patient', 'POST', `/relationships/${enc}/accept`],
        ['patient', 'DELETE', `/relationships/${rel}/grants/${enc}`],
        ['auditor', 'GET', `/auditor/participants/${enc}/summary`],
        ['auditor', 'GET', `/auditor/anchors/${enc}`],
        ['patient', 'GET', `/me/notifications?after=${enc}`],
        ['patient', 'GET', `/me/notifications?limit=${enc}`],
      ];
      for (const [role, method, path] of params) isProblem(t, await api(h1, method, path, { token: tokens[role] }), 400, 'VALIDATION_FAILED', `${method} ${path}`);
      isProblem(t, await api(h1, 'POST', '/auth/login', { body: { username: attack, password: 'whatever-long' } }), 400, 'VALIDATION_FAILED', 'login username');
      isProblem(t, await api(h1, 'POST', '/auth/login', { body: { username: 'alice', password: `${attack}-padding` } }), 401, 'LOGIN_FAILED', 'login password');
    }
    t.equal(await height(), before, 'no transaction');
    t.equal(H1.accounts.count(), accounts, 'no account');
    const still = await api(h1, 'POST', '/records/fetch', { token: tokens.patient, body: { relationshipId: rel, category: 'Patient' } });
    t.equal(still.status, 200, 'the EHR still answers');
    t.equal(still.json.hashMatches, true, 'and its data is unchanged');
  });

  t.test('oversized, malformed and unexpected bodies', async (t) => {
    const before = await height();
    const huge = { ...newUser, externalId: 'A'.repeat(200_000) };
    isProblem(t, await api(h1, 'POST', '/registrar/activations', { token: tokens.registrar, body: huge }), 413, 'BODY_TOO_LARGE', 'oversized body');
    isProblem(t, await api(h1, 'POST', '/auth/login', { body: { username: 'alice', password: 'p'.repeat(300) } }), 400, 'VALIDATION_FAILED', 'oversized field');
    isProblem(t, await api(h1, 'POST', '/auth/login', { rawBody: '{"username":' }), 400, 'MALFORMED_JSON', 'malformed JSON');
    isProblem(t, await api(h1, 'POST', '/auth/login', { body: { username: 'alice', password: 'alice-demo-pass', role: 'auditor' } }), 400, 'VALIDATION_FAILED', 'unexpected property');
    isProblem(t, await api(h1, 'POST', '/auth/login', { body: { username: 'alice', password: 1234567890123 } }), 400, 'VALIDATION_FAILED', 'wrong type is not coerced');
    const many = { ...grantBody, items: Array.from({ length: 8 }, () => ({ category: 'Observation', fields: ['code'] })) };
    isProblem(t, await api(h1, 'POST', `/relationships/${rel}/grants`, { token: tokens.patient, body: many }), 400, 'VALIDATION_FAILED', 'too many items');
    t.equal(await height(), before, 'no transaction');
  });

  t.test('unknown categories, bad ids, unknown ids, bad values', async (t) => {
    const before = await height();
    const unknownCategory = { ...grantBody, items: [{ category: 'Genome', fields: ['code'] }] };
    isProblem(t, await api(h1, 'POST', `/relationships/${rel}/grants`, { token: tokens.patient, body: unknownCategory }), 400, 'VALIDATION_FAILED', 'grant of an unknown category');
    isProblem(t, await api(h1, 'POST', `/relationships/${rel}/pointers`, { token: tokens.provider, body: { categories: ['Genome'] } }), 400, 'VALIDATION_FAILED', 'pointer of an unknown category');
    isProblem(t, await api(h1, 'POST', '/records/fetch', { token: tokens.patient, body: { relationshipId: rel, category: 'Genome' } }), 400, 'VALIDATION_FAILED', 'fetch of an unknown category');
    for (const bad of ['abc', rel.toUpperCase(), `${rel}0`, rel.slice(1)]) {
      isProblem(t, await api(h1, 'GET', `/relationships/${bad}`, { token: tokens.patient }), 400, 'VALIDATION_FAILED', `relationship id ${bad.slice(0, 8)}`);
      isProblem(t, await api(h1, 'POST', '/relationships', { token: tokens.provider, body: { patientId: bad, mrn: aliceMrn } }), 400, 'VALIDATION_FAILED', 'patient id');
      isProblem(t, await api(h1, 'POST', `/relationships/${rel}/grants`, { token: tokens.patient, body: { ...grantBody, viewerId: bad } }), 400, 'VALIDATION_FAILED', 'viewer id');
    }
    const unknown = 'f'.repeat(64);
    isProblem(t, await api(h1, 'GET', `/relationships/${unknown}`, { token: tokens.patient }), 404, 'NOT_FOUND', 'unknown relationship');
    isProblem(t, await api(h1, 'POST', '/relationships', { token: tokens.provider, body: { patientId: unknown, mrn: aliceMrn } }), 422, 'CHART_NOT_PATIENT', "unregistered patient: alice's chart is not theirs");
    isProblem(t, await api(h1, 'POST', '/relationships', { token: tokens.provider, body: { patientId: victorId, mrn: 'H1-999999' } }), 404, 'PATIENT_NOT_FOUND', 'unknown MRN');
    isProblem(t, await api(h1, 'POST', '/registrar/resolve', { token: tokens.provider, body: { externalIdKind: 'national-id', externalId: 'SYN-000-424242' } }), 404, 'NOT_FOUND', 'unknown external id');
    isProblem(t, await api(h1, 'POST', `/relationships/${rel}/grants`, { token: tokens.patient, body: { ...grantBody, validUntil: '2020-01-01T00:00:00Z' } }), 400, 'VALID_UNTIL_PAST', 'grant in the past');
    isProblem(t, await api(h1, 'POST', `/relationships/${rel}/grants`, { token: tokens.patient, body: { ...grantBody, validUntil: '2030-13-45' } }), 400, 'VALIDATION_FAILED', 'not an instant');
    isProblem(t, await api(h1, 'POST', `/relationships/${rel}/grants`, { token: tokens.patient, body: { ...grantBody, purpose: 'MARKETING' } }), 400, 'VALIDATION_FAILED', 'unknown purpose');
    isProblem(t, await api(h1, 'POST', `/relationships/${rel}/grants`, { token: tokens.patient, body: { ...grantBody, items: [{ category: 'Observation', fields: ['text'] }] } }), 400, 'INVALID_ARGUMENT', 'field outside the allowlist');
    isProblem(t, await api(h1, 'POST', '/registrar/activations', { token: tokens.registrar, body: { ...newUser, role: 'auditor' } }), 400, 'VALIDATION_FAILED', 'a registrar cannot make auditors');
    isProblem(t, await api(h1, 'GET', '/no/such/route'), 404, 'ROUTE_NOT_FOUND', 'unknown route');
    t.equal(await height(), before, 'no transaction');
  });

  t.test('login refusals', async (t) => {
    isProblem(t, await api(h1, 'POST', '/auth/login', { body: { username: 'alice', password: 'wrong-password' } }), 401, 'LOGIN_FAILED', 'wrong password');
    isProblem(t, await api(h1, 'POST', '/auth/login', { body: { username: 'nobody', password: 'wrong-password' } }), 401, 'LOGIN_FAILED', 'unknown user');
    isProblem(t, await api(h2, 'POST', '/auth/login', { body: { username: 'alice', password: 'alice-demo-pass' } }), 401, 'LOGIN_FAILED', 'not the home hospital');
    const { readFileSync } = await import('node:fs');
    const serviceSecret = readFileSync(`${sys.system.config.hospitals[0]!.dataDir}/service.secret`, 'utf8').trim();
    isProblem(t, await api(h1, 'POST', '/auth/login', { body: { username: 'records-service', password: serviceSecret } }), 401, 'LOGIN_FAILED', 'the records service has no session');
    const session = await login(h1, 'bob');
    t.equal((await api(h1, 'GET', '/me', { token: session })).status, 200);
    t.equal((await api(h1, 'POST', '/auth/logout', { token: session })).status, 204, 'logout');
    for (const path of ['/me', '/me/summary', '/me/notifications', '/notifications/stream']) {
      isProblem(t, await api(h1, 'GET', path, { token: session }), 401, 'SESSION_ENDED', `after logout ${path}`);
    }
  });

  t.test('ops endpoints: health, OpenAPI, metrics', async (t) => {
    t.same((await api(h1, 'GET', '/health')).json, { status: 'ok' });
    const ready = await api(h1, 'GET', '/ready');
    t.equal(ready.status, 200);
    t.equal(ready.json.status, 'ready');
    const doc = await api(h1, 'GET', '/docs/json');
    t.equal(doc.json.openapi, '3.0.3');
    for (const path of ['/auth/login', '/relationships', '/relationships/{id}/grants', '/notifications/stream', '/records/fetch', '/gatekeeper/query']) {
      t.ok(doc.json.paths[path], `OpenAPI documents ${path}`);
    }
    t.ok(doc.json.paths['/relationships'].post.requestBody, 'request schema from TypeBox');
    const mine = Object.entries(doc.json.paths as Record<string, Record<string, Json>>).filter(([path]) => !path.startsWith('/gatekeeper') && !path.startsWith('/records'));
    t.ok(mine.length >= 20);
    for (const [path, ops] of mine) {
      for (const [method, op] of Object.entries(ops)) {
        t.ok(Object.keys(op.responses ?? {}).some((s) => /^2/.test(s)), `${method} ${path} documents its answer`);
        if (path !== '/auth/login' && !path.startsWith('/health') && !path.startsWith('/ready')) {
          t.ok(op.responses['401'] || op.responses['400'], `${method} ${path} documents its refusals`);
        }
      }
    }
    const metrics = await api(h1, 'GET', '/metrics');
    t.match(metrics.text, /medrec_http_problems_total\{code="ROLE_FORBIDDEN",hospital="Hospital1MSP"\} \d+/);
    t.match(metrics.text, /medrec_http_request_duration_seconds_bucket\{[^}]*route="\/relationships\/:id"/);
  });

  t.test('an expired grant: the viewer is refused with EXPIRED and gets no data', async (t) => {
    const granted = await api(h1, 'POST', `/relationships/${rel}/grants`, {
      token: tokens.patient,
      body: { ...grantBody, validUntil: isoIn(3000) },
    });
    t.equal(granted.status, 201);
    const live = await api(h1, 'GET', `/relationships/${rel}`, { token: tokens.viewer });
    t.equal(live.status, 200, 'readable while the grant lives');
    await new Promise((r) => setTimeout(r, 4000));
    isProblem(t, await api(h1, 'GET', `/relationships/${rel}`, { token: tokens.viewer }), 410, 'EXPIRED', 'relationship after expiry');
    const fetched = await api(h1, 'POST', '/records/fetch', { token: tokens.viewer, body: { relationshipId: rel, category: 'Observation', fields: ['code'] } });
    t.ok(fetched.status >= 400 && fetched.status < 500, 'fetch after expiry is refused');
    t.notOk('bundle' in fetched.json, 'with no data');
  });

  t.test('ledger down: 503 and fail closed; EHR down: not ready', async (t) => {
    const accounts = H1.accounts.count();
    await sys.system.hospitals[1]!.ehr.close();
    const h2ready = await api(h2, 'GET', '/ready');
    isProblem(t, h2ready, 503, 'NOT_READY', 'EHR down');
    t.match(h2ready.json.detail, /ehr/);
    await sys.system.ledger.close();
    isProblem(t, await api(h1, 'GET', '/me/summary', { token: tokens.patient }), 503, 'LEDGER_UNAVAILABLE', 'summary');
    isProblem(t, await api(h1, 'POST', `/relationships/${rel}/grants`, { token: tokens.patient, body: grantBody }), 503, 'LEDGER_UNAVAILABLE', 'grant');
    isProblem(t, await api(h1, 'POST', '/records/fetch', { token: tokens.patient, body: { relationshipId: rel, category: 'Patient' } }), 503, 'LEDGER_UNAVAILABLE', 'fetch');
    isProblem(t, await api(h1, 'POST', '/registrar/activations', { token: tokens.registrar, body: newUser }), 503, 'LEDGER_UNAVAILABLE', 'registration');
    t.equal(H1.accounts.count(), accounts, 'no account without a ledger identity');
    isProblem(t, await api(h1, 'GET', '/ready'), 503, 'NOT_READY', 'ledger down');
    t.equal((await api(h1, 'GET', '/health')).status, 200, 'the process itself is alive');
  });
});
