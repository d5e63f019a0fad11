/**
 * The signed-route factory every gatekeeper JWS route is built with (src/http/signed-routes.ts), on
 * a route of its own: one compact JWS body only; verified before anything runs; every answer to a
 * valid certificate, served or refused, audited first, one record per subject; no record, no answer;
 * a refusal of an unverified request counted, not audited; `authorize` before the per-certificate
 * budget; sealing on `Accept: application/jose`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { compactDecrypt } from 'jose';
import { createPrivateKey } from 'node:crypto';
import t from 'tap';
import { identityId } from '@medrec/chaincode/domain';
import errors from '../../src/http/plugins/errors.js';
import limits, { DEFAULT_RATE_LIMITS } from '../../src/http/plugins/limits.js';
import metrics from '../../src/http/plugins/metrics.js';
import signedRequests from '../../src/http/plugins/signed-requests.js';
import sessions from '../../src/http/plugins/sessions.js';
import type { HospitalRuntime } from '../../src/http/runtime.js';
import { signedScope } from '../../src/http/signed-routes.js';
import { TrustStore } from '../../src/pki/trust-store.js';
import { AuditLog } from '../../src/services/audit/log.js';
import { claimObject, envelope, type Envelope } from '../../src/services/gatekeeper/claims.js';
import { JOSE_MEDIA_TYPE, freshClaims, signJws } from '../../src/services/gatekeeper/signed-request.js';
import { forbidden } from '../../src/services/problem.js';
import { testCa } from '../support/test-ca.js';

const TYP = 'medrec-test+jws';
type NoteClaims = Envelope & { notes: string[] };
const NOTE = {
  typ: TYP,
  parse: (payload: unknown, audience: string, now: number): NoteClaims => {
    const p = claimObject(payload, ['notes', 'aud', 'iat', 'exp', 'jti']);
    return { notes: p['notes'] as string[], ...envelope(p, audience, now) };
  },
};
const CERTIFICATE_BUDGET = 3;

const dir = mkdtempSync(join(tmpdir(), 'medrec-signed-'));
const ca = await testCa('Hospital1MSP');
const alice = await ca.issue('alice', 'patient');
const victor = await ca.issue('victor', 'viewer');
const audit = AuditLog.open(join(dir, 'gateway.db'));
const trust = await TrustStore.fromMembers([{ mspId: 'Hospital1MSP', caCertificates: [ca.certificate] }]);
const hospital = { mspId: 'Hospital1MSP', publicUrl: '' };
const runtime = { audit, trust, hospital, settings: {} } as unknown as HospitalRuntime;

const app = Fastify({ logger: false });
await app.register(errors);
await app.register(sessions, { mspId: hospital.mspId, secret: 'x'.repeat(32), ttlSeconds: 60 });
await app.register(metrics, { mspId: hospital.mspId });
await app.register(limits, { limits: { ...DEFAULT_RATE_LIMITS, gatekeeperAudit: { max: CERTIFICATE_BUDGET, windowSeconds: 60 } } });
await app.register(signedRequests, { runtime });
await signedScope<NoteClaims>(
  app,
  { runtime, route: 'audit', bodyLimit: 4096, subjects: ({ claims }) => (claims?.notes.length ? claims.notes : [null]).map((n) => ({ relationshipId: n, category: 'Note', fields: null })) },
  ({ route }) =>
    route({
      url: '/notes',
      kind: NOTE,
      limit: 'gatekeeperAudit',
      authorize: (v) => {
        if (v.role !== 'patient') throw forbidden('ROLE_NOT_ALLOWED', 'patients only');
      },
      schema: { summary: 'notes', description: 'a test route', tags: ['test'], answer: { type: 'object', properties: { count: { type: 'integer' } } } as never },
      sealedCty: 'medrec-note+json',
      answer: async (v) => ({ decision: 'NOTED', body: { count: v.claims.notes.length } }),
    }),
);
const url = await app.listen({ host: '127.0.0.1', port: 0 });
hospital.publicUrl = url;
t.teardown(async () => {
  await app.close();
  await audit.close();
  rmSync(dir, { recursive: true, force: true });
});

const sign = (who = alice, notes = ['a'.repeat(64), 'b'.repeat(64)], typ = TYP) => signJws(who, typ, { notes, aud: url, ...freshClaims() });
const post = async (body: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/notes`, { method: 'POST', headers: { 'content-type': JOSE_MEDIA_TYPE, ...headers }, body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {} };
};
const records = () => audit.records(1, 10_000);
const unaudited = async () => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^medrec_gatekeeper_unaudited_refusals_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
};

t.test('served: the answer, after one audit record per subject naming who and what', async (t) => {
  const before = records().length;
  const jws = await sign();
  const res = await post(jws);
  t.match(res, { status: 200, json: { count: 2 } });
  const added = records().slice(before);
  t.same(added.map((r) => r.relationshipId), ['a'.repeat(64), 'b'.repeat(64)], 'one record per subject');
  t.match(added, [
    { requester: identityId('Hospital1MSP', 'alice'), mspId: 'Hospital1MSP', role: 'patient', category: 'Note', decision: 'NOTED', status: 200, hashMatches: null },
    { decision: 'NOTED', status: 200 },
  ]);
  t.ok(added.every((r) => r.jti !== null && r.exp !== null), 'with the request id and expiry (for the replay cache of a restart)');
  const again = await post(jws);
  t.match(again, { status: 401, json: { code: 'REPLAYED_REQUEST' } }, 'a replay is refused');
  t.same(records().slice(before + 2).map((r) => [r.decision, r.status]), [['REPLAYED_REQUEST', 401], ['REPLAYED_REQUEST', 401]], 'and audited: its certificate is valid');
});

t.test('sealed on request: a JWE of the route content type only the signer opens', async (t) => {
  const res = await post(await sign(), { accept: JOSE_MEDIA_TYPE });
  t.equal(res.status, 200);
  t.match(res.type, /application\/jose/);
  const opened = await compactDecrypt(res.text, createPrivateKey(alice.privateKey));
  t.equal(opened.protectedHeader.cty, 'medrec-note+json');
  t.same(JSON.parse(new TextDecoder().decode(opened.plaintext)), { count: 2 });
});

t.test('refusals of unverified requests are counted, not audited; JSON is 415', async (t) => {
  const before = records().length;
  const counted = await unaudited();
  t.match(await post('not.a.jws'), { status: 400, json: { code: 'MALFORMED_REQUEST' } });
  t.match(await post(await sign(alice, [], 'medrec-other+jws')), { status: 400, json: { code: 'MALFORMED_REQUEST' } }, 'another kind of token');
  const json = await fetch(`${url}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(json.status, 415);
  t.equal(records().length, before, 'nothing audited');
  t.equal((await unaudited()) - counted, 3, 'all three refusals counted');
});

t.test('authorize refuses before the budget; the budget then limits a certificate', async (t) => {
  const before = records().length;
  for (let i = 0; i <= CERTIFICATE_BUDGET; i++) t.match(await post(await sign(victor)), { status: 403, json: { code: 'ROLE_NOT_ALLOWED' } });
  t.same(records().slice(before).map((r) => [r.requester, r.decision, r.relationshipId]).slice(0, 2), [
    [identityId('Hospital1MSP', 'victor'), 'ROLE_NOT_ALLOWED', 'a'.repeat(64)],
    [identityId('Hospital1MSP', 'victor'), 'ROLE_NOT_ALLOWED', 'b'.repeat(64)],
  ], 'a refusal of a valid certificate is audited');
  const fresh = await ca.issue('carol', 'patient');
  const statuses: number[] = [];
  for (let i = 0; i <= CERTIFICATE_BUDGET; i++) statuses.push((await post(await sign(fresh, ['c'.repeat(64)]))).status);
  t.same(statuses, [...Array<number>(CERTIFICATE_BUDGET).fill(200), 429], `${CERTIFICATE_BUDGET} answers, then 429`);
});

t.test('no durable audit record, no answer: 503 AUDIT_UNAVAILABLE', async (t) => {
  const db = new Database(join(dir, 'gateway.db'));
  db.exec("CREATE TRIGGER refuse_all BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  const head = audit.currentHead();
  const res = await post(await sign(await ca.issue('dora', 'patient')));
  t.match(res, { status: 503, json: { code: 'AUDIT_UNAVAILABLE' } });
  t.notMatch(res.text, /count/, 'the answer was not sent');
  t.same(audit.currentHead(), head, 'nothing appended');
  db.exec('DROP TRIGGER refuse_all');
  db.close();
  t.equal((await post(await sign(await ca.issue('erin', 'patient')))).status, 200, 'answers resume once the log can be written');
});
