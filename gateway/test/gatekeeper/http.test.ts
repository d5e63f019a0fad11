import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { CompactSign } from 'jose';
import t from 'tap';
import Fastify from 'fastify';
import { checkLogAgainstLedger } from '../support/audit-check.js';
import limits from '../../src/http/plugins/limits.js';
import metrics from '../../src/http/plugins/metrics.js';
import signedRequests from '../../src/http/plugins/signed-requests.js';
import sessions from '../../src/http/plugins/sessions.js';
import { validateFhir } from '../support/fhir-schema.js';
import gatekeeper from '../../src/http/routes/gatekeeper.js';
import { isSubsetted } from '../../src/services/records/records.js';
import { AUDIT_QUERY_TYP } from '../../src/services/gatekeeper/audit-claims.js';
import { REQUEST_TYP, freshClaims, signJws, signRequest, type RequestSpec } from '../../src/services/gatekeeper/signed-request.js';
import errors from '../../src/http/plugins/errors.js';
import type { Signer } from '../../src/ports/ledger.js';
import { leaked, withheld } from '../ehr/leaks.js';
import { testCa } from '../support/test-ca.js';
import { openWorld, type Hospital, type Person } from '../support/world.js';

const world = await openWorld();
t.teardown(() => world.close());
const { h1, h2, ledger } = world;
const H2 = { endorsingOrganizations: ['Hospital2MSP'] };

// Hospital2 treats them under delegates (docs/privacy.md §3); her home relationship is her home identity's.
const patient = await world.delegate(h2, 'pat.one');
const patientHome = await world.enrol(h1, 'pat.one.home', 'patient');
const otherPatient = await world.delegate(h2, 'pat.two');
const doctor = await world.enrol(h2, 'dr.house', 'provider');
const doctor1 = await world.enrol(h1, 'dr.grey', 'provider');
const viewer = await world.enrol(h1, 'viewer.live', 'viewer');
const revokedViewer = await world.enrol(h2, 'viewer.revoked', 'viewer');
const expiringViewer = await world.enrol(h1, 'viewer.expiring', 'viewer');
const auditor = await world.enrol(h1, 'auditor.one', 'auditor');

const record = h2.patients[0]!;
const rel = await world.relationship(h2, doctor, patient, record.mrn, ['Observation', 'Condition', 'Patient']);
const otherRel = await world.relationship(h2, doctor, otherPatient, h2.patients[1]!.mrn, ['Observation']);
const homeRel = await world.relationship(h1, doctor1, patientHome, h1.patients[0]!.mrn, ['Observation']);
await ledger.submit(patient.signer, 'Relationship', 'accept', [rel], H2);

const grant = (v: Person, validUntil: Date) =>
  ledger.submit(
    patient.signer,
    'Relationship',
    'grant',
    [
      rel,
      v.participantId,
      JSON.stringify({
        items: [{ category: 'Observation', fields: ['code', 'valueQuantity', 'effectiveDateTime'] }],
        validUntil: validUntil.toISOString(),
        purpose: 'TREAT',
      }),
    ],
    H2,
  );
await grant(viewer, new Date(Date.now() + 86400_000));
await grant(revokedViewer, new Date(Date.now() + 86400_000));
await ledger.submit(patient.signer, 'Relationship', 'revoke', [rel, revokedViewer.participantId], H2);
const expiresAt = Date.now() + 3000;
await grant(expiringViewer, new Date(expiresAt));

/** Strings that would betray medical data or a plain identifier if they showed up in a refusal or the audit log. */
const PHI = [record.mrn, record.family, record.given, record.phone];
let h2Requests = 0;

interface Answer {
  status: number;
  type: string;
  body: Record<string, any>;
  raw: string;
}

async function http(url: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(url, init);
  const raw = await res.text();
  let body: Record<string, any> = {};
  try {
    body = JSON.parse(raw) as Record<string, any>;
  } catch {
    // leave empty: asserted by the caller
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', body, raw };
}

/** Refusals before a valid certificate's signature is proven: counted in metrics, never audited. */
const UNVERIFIED = new Set(['MALFORMED_REQUEST', 'ALG_NOT_ALLOWED', 'CERTIFICATE_UNTRUSTED', 'CERTIFICATE_EXPIRED', 'CERTIFICATE_REVOKED', 'SIGNATURE_INVALID', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']);
let h2Unverified = 0;

async function query(h: Hospital, body: string, contentType = 'application/jose', headers: Record<string, string> = {}) {
  const answer = await http(`${h.url}/gatekeeper/query`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
  if (h === h2) {
    if (UNVERIFIED.has(String(answer.body['code']))) h2Unverified++;
    else h2Requests++;
  }
  return answer;
}

function fetchAs(h: Hospital, token: string, body: unknown) {
  return http(`${h.url}/records/fetch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

const sign = (who: Person | Signer, over: Partial<RequestSpec> = {}, opts: Parameters<typeof signRequest>[2] = {}) =>
  signRequest('signer' in who ? who.signer : who, { rel, cat: 'Observation', fields: [], aud: h2.url, ...over }, opts);

type Assert = Pick<typeof t, 'equal' | 'match' | 'notOk' | 'ok'>;

function refused(t: Assert, r: Answer, status: number, code: string) {
  t.equal(r.status, status, `status ${status} for ${code}`);
  t.equal(r.body['code'], code);
  t.match(r.type, /^application\/problem\+json/);
  t.notOk('bundle' in r.body, 'no data');
  for (const s of PHI) t.notOk(r.raw.includes(s), 'nothing of the record leaks');
}

/** Every served resource shows exactly the granted elements plus those always included (test/ehr/leaks.ts), and is marked SUBSETTED. */
async function onlyGranted(t: Assert, h: Hospital, mrn: string, category: string, bundle: any, granted: string[]) {
  const sources = new Map((await h.records.fetch(category, mrn)).map((r) => [r.id, r]));
  for (const e of bundle.entry as any[]) {
    const leaks = leaked(sources.get(e.resource.id)!, e.resource, granted);
    t.equal(leaks.length, 0, `${e.resource.id}: only ${granted.join(', ')} and the elements always included (leaked: ${leaks.join(', ')})`);
    const missing = withheld(sources.get(e.resource.id)!, e.resource, granted);
    t.equal(missing.length, 0, `${e.resource.id}: the elements always included, with their values (withheld: ${missing.join(', ')})`);
    t.ok(isSubsetted(e.resource), 'tagged SUBSETTED');
  }
}

t.test('the patient fetches at the hospital that treats her (under its delegate) and at her home: complete data, hash matches, valid FHIR', async (t) => {
  const token = await world.login(h2, patient);
  const r = await fetchAs(h2, token, { relationshipId: rel, category: 'Observation' });
  h2Requests++;
  t.equal(r.status, 200);
  t.equal(r.body['gatekeeper'], h2.url, "asked the relationship's gatekeeper");
  t.equal(r.body['decision'], 'ALLOWED_PATIENT');
  t.equal(r.body['hashMatches'], true);
  t.equal(r.body['sourceHash'], r.body['ledgerHash']);
  t.equal(r.body['projected'], false);
  t.same(r.body['check'], { ledgerHash: r.body['ledgerHash'], localHash: r.body['ledgerHash'], matches: true });
  t.equal(r.body['version'], 1);
  const bundle = r.body['bundle'];
  t.ok(bundle.entry.length > 0, 'the seeded patient has observations');
  t.ok(bundle.entry.every((e: any) => e.resource.resourceType === 'Observation'));
  t.same(
    bundle.meta.tag.map((c: any) => c.code),
    ['ALLOWED_PATIENT', 'source-hash-match', 'complete'],
  );
  const v = validateFhir(bundle);
  t.ok(v.valid, `valid FHIR R4 Bundle ${v.errors.join('; ')}`);
  for (const e of bundle.entry) {
    t.equal(e.fullUrl, `${h2.url}/fhir/Observation/${e.resource.id}`, "fullUrl under the holding hospital's FHIR base");
    t.match(e.resource.meta, { lastUpdated: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/ }, 'lastUpdated from the EHR row');
    t.notOk(isSubsetted(e.resource), 'complete, not SUBSETTED');
  }
  t.same(bundle.link, [{ relation: 'self', url: `${h2.url}/fhir/Observation?relationship=${rel}` }]);

  const own = await fetchAs(h2, token, { relationshipId: rel, category: 'Patient' });
  h2Requests++;
  t.equal(own.status, 200);
  t.equal(own.body['bundle'].entry[0].resource.identifier[0].value, record.mrn, 'the patient sees their own record');
  t.ok(validateFhir(own.body['bundle']).valid);

  const home = await fetchAs(h1, await world.login(h1, patientHome), { relationshipId: homeRel, category: 'Observation' });
  t.equal(home.status, 200, "and from their home hospital's own gatekeeper");
  t.equal(home.body['gatekeeper'], h1.url);
  t.equal(home.body['check'].matches, true);
});

t.test('a viewer gets exactly the granted fields', async (t) => {
  const token = await world.login(h1, viewer);
  const all = await fetchAs(h1, token, { relationshipId: rel, category: 'Observation' });
  h2Requests++;
  t.equal(all.status, 200);
  t.equal(all.body['decision'], 'ALLOWED_VIEWER');
  t.same(all.body['fields'], ['code', 'valueQuantity', 'effectiveDateTime']);
  t.equal(all.body['projected'], true);
  t.equal(all.body['hashMatches'], true, 'the gatekeeper checked the full record against the ledger');
  t.same(all.body['check'], { ledgerHash: all.body['ledgerHash'], localHash: null, matches: null });
  await onlyGranted(t, h2, record.mrn, 'Observation', all.body['bundle'], ['code', 'valueQuantity', 'effectiveDateTime']);
  t.ok(validateFhir(all.body['bundle']).valid, 'a projected bundle is still valid FHIR');
  t.ok(all.body['bundle'].entry.every((e: any) => e.resource.status), 'status, which FHIR requires, comes along');
  t.same(all.body['bundle'].link, [{ relation: 'self', url: `${h2.url}/fhir/Observation?relationship=${rel}&_elements=code,valueQuantity,effectiveDateTime` }]);

  const some = await fetchAs(h1, token, { relationshipId: rel, category: 'Observation', fields: ['code'] });
  h2Requests++;
  t.equal(some.status, 200);
  await onlyGranted(t, h2, record.mrn, 'Observation', some.body['bundle'], ['code']);
  t.notOk(some.raw.includes('valueQuantity'), 'no value comes along with the code');
});

t.test('editing a row in the hospital database makes the next fetch report the mismatch', async (t) => {
  const token = await world.login(h2, patient);
  const before = await fetchAs(h2, token, { relationshipId: rel, category: 'Patient' });
  h2Requests++;
  t.equal(before.body['hashMatches'], true);
  const db = new Database(h2.ehrFile);
  const changed = db.prepare("UPDATE person SET home_phone = '555-0000' WHERE med_rec_no = ?").run(record.mrn).changes;
  db.close();
  t.equal(changed, 1);
  const after = await fetchAs(h2, token, { relationshipId: rel, category: 'Patient' });
  h2Requests++;
  t.equal(after.status, 200, 'the data is still served, marked as altered');
  t.equal(after.body['hashMatches'], false);
  t.not(after.body['sourceHash'], after.body['ledgerHash']);
  t.equal(after.body['check'].matches, false, "the patient's own recomputation disagrees with the ledger too");
  t.ok(after.body['bundle'].meta.tag.some((c: any) => c.code === 'source-hash-mismatch'));
});

t.test('ledger decisions refuse with their code and no data', async (t) => {
  refused(t, await query(h2, await sign(revokedViewer)), 403, 'GRANT_REVOKED');
  refused(t, await query(h2, await sign(viewer, { fields: ['code', 'note'] })), 403, 'FIELD_NOT_GRANTED');
  refused(t, await query(h2, await sign(viewer, { cat: 'Condition' })), 403, 'CATEGORY_NOT_GRANTED');
  refused(t, await query(h2, await sign(otherPatient)), 403, 'NOT_A_PARTY');
  refused(t, await query(h2, await sign(patient, { rel: otherRel })), 403, 'NOT_A_PARTY');
  refused(t, await query(h2, await sign(patient, { cat: 'Immunization' })), 404, 'NO_POINTER');
  refused(t, await query(h2, await sign(patient, { rel: 'f'.repeat(64) })), 404, 'NOT_FOUND');
  // Hospital 2's gatekeeper may not even ask about a relationship Hospital 1 keeps: the chaincode refuses it.
  refused(t, await query(h2, await sign(doctor1, { rel: homeRel, aud: h2.url })), 403, 'FORBIDDEN');

  const token = await world.login(h2, patient);
  const viaFetch = await fetchAs(h2, token, { relationshipId: otherRel, category: 'Observation' });
  refused(t, viaFetch, 403, 'NOT_A_PARTY');
  // Through /records/fetch a revoked viewer hears the ledger's own reason, as from the gatekeeper.
  const revokedToken = await world.login(h2, revokedViewer);
  refused(t, await fetchAs(h2, revokedToken, { relationshipId: rel, category: 'Observation' }), 403, 'GRANT_REVOKED');

  await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 500)));
  refused(t, await query(h2, await sign(expiringViewer)), 403, 'GRANT_EXPIRED');
  const viewerToken = await world.login(h1, expiringViewer);
  // Through /records/fetch: the ledger's decision code too, not a generic refusal.
  refused(t, await fetchAs(h1, viewerToken, { relationshipId: rel, category: 'Observation' }), 403, 'GRANT_EXPIRED');
});

t.test('signature, certificate and token refusals', async (t) => {
  const forgedKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  refused(t, await query(h2, await sign({ ...patient.signer, privateKey: forgedKey.toString() })), 401, 'SIGNATURE_INVALID');

  const rogue = await testCa('Hospital1MSP', 'rogue');
  refused(t, await query(h2, await sign(await rogue.issue('pat.one', 'patient'))), 401, 'CERTIFICATE_UNTRUSTED');

  const once = await sign(patient);
  t.equal((await query(h2, once)).status, 200);
  refused(t, await query(h2, once), 401, 'REPLAYED_REQUEST');

  const now = Math.floor(Date.now() / 1000);
  refused(t, await query(h2, await sign(patient, {}, { nowSeconds: now - 200, lifetimeSeconds: 60 })), 401, 'REQUEST_EXPIRED');
  refused(t, await query(h2, await sign(patient, {}, { lifetimeSeconds: 600 })), 400, 'LIFETIME_TOO_LONG');
  refused(t, await query(h2, await sign(patient, { aud: h1.url })), 401, 'AUDIENCE_MISMATCH');
  refused(t, await query(h1, await sign(patient)), 401, 'AUDIENCE_MISMATCH');

  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const x5c = [new X509Certificate(patient.signer.certificate).raw.toString('base64')];
  const claims = { rel, cat: 'Observation', fields: [], aud: h2.url, iat: now, exp: now + 60, jti: 'alg-none-request-0001' };
  refused(t, await query(h2, `${b64({ alg: 'none', typ: REQUEST_TYP, x5c })}.${b64(claims)}.`), 401, 'ALG_NOT_ALLOWED');
  const hs = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'HS256', typ: REQUEST_TYP, x5c })
    .sign(new TextEncoder().encode('0123456789abcdef0123456789abcdef'));
  refused(t, await query(h2, hs), 401, 'ALG_NOT_ALLOWED');

  const session = await world.login(h2, patient);
  refused(t, await query(h2, session), 401, 'ALG_NOT_ALLOWED');
  refused(
    t,
    await query(h2, JSON.stringify({ rel, cat: 'Observation' }), 'application/json', { authorization: `Bearer ${session}` }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  );
  const h2Session = await world.login(h2, doctor);
  refused(t, await fetchAs(h1, h2Session, { relationshipId: rel, category: 'Observation' }), 401, 'TOKEN_INVALID');
  const craftedKey = createPrivateKey(patient.signer.privateKey);
  const wrongTyp = await new CompactSign(new TextEncoder().encode(JSON.stringify({ ...claims, jti: 'wrong-typ-request-0001' })))
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c })
    .sign(craftedKey);
  refused(t, await query(h2, wrongTyp), 400, 'MALFORMED_REQUEST');
});

t.test('bad input: injection strings in every claim, unknown category, malformed and oversized bodies', async (t) => {
  const counts = () => {
    const db = new Database(h2.ehrFile, { readonly: true });
    const n = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get();
    const people = db.prepare('SELECT count(*) FROM person').pluck().get();
    db.close();
    return [n, people];
  };
  const before = counts();
  const evil = ["' OR '1'='1", "x'; DROP TABLE person; --", '1 UNION SELECT * FROM person'];
  for (const s of evil) {
    refused(t, await query(h2, await sign(patient, { rel: s })), 400, 'INVALID_RELATIONSHIP_ID');
    refused(t, await query(h2, await sign(patient, { cat: s as never })), 400, 'UNKNOWN_CATEGORY');
    refused(t, await query(h2, await sign(patient, { fields: [s] })), 400, 'UNKNOWN_FIELD');
    refused(t, await query(h2, await sign(patient, {}, { jti: s })), 400, 'INVALID_CLAIMS');
    refused(t, await query(h2, await sign(patient, { aud: s })), 401, 'AUDIENCE_MISMATCH');
    const token = await world.login(h2, patient);
    for (const body of [
      { relationshipId: s, category: 'Observation' },
      { relationshipId: rel, category: s },
      { relationshipId: rel, category: 'Observation', fields: [s] },
    ]) {
      refused(t, await fetchAs(h2, token, body), 400, 'VALIDATION_FAILED');
    }
  }
  const now = Math.floor(Date.now() / 1000);
  const x5c = [new X509Certificate(patient.signer.certificate).raw.toString('base64')];
  for (const claim of ['iat', 'exp']) {
    const claims = { rel, cat: 'Observation', fields: [], aud: h2.url, iat: now, exp: now + 60, jti: `inject-${claim}-0000000000`, [claim]: evil[0] };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'ES256', typ: REQUEST_TYP, x5c })
      .sign(createPrivateKey(patient.signer.privateKey));
    refused(t, await query(h2, jws), 400, 'INVALID_CLAIMS');
  }
  t.same(counts(), before, 'the EHR database is untouched');

  refused(t, await query(h2, await sign(patient, { cat: 'Secrets' as never })), 400, 'UNKNOWN_CATEGORY');
  refused(t, await query(h2, 'not a jws'), 400, 'MALFORMED_REQUEST');
  refused(t, await query(h2, `${Buffer.from('[1]').toString('base64url')}.e30.`), 400, 'MALFORMED_REQUEST');
  refused(t, await query(h2, 'e30.e30.'), 401, 'ALG_NOT_ALLOWED');
  refused(t, await query(h2, 'a'.repeat(20_000) + '.b.c'), 413, 'BODY_TOO_LARGE');
  const token = await world.login(h2, patient);
  refused(t, await fetchAs(h2, token, { relationshipId: rel, category: 'Observation', pad: 'x'.repeat(2_000_000) }), 413, 'BODY_TOO_LARGE');
});

t.test('every gatekeeper answer was audited, without medical data, and anchored on the ledger', async (t) => {
  const report = h2.audit.verify();
  t.ok(report.ok, 'the hash chain is intact');
  t.equal(report.count, h2Requests, 'one record per request signed with a valid certificate, served or refused');
  t.ok(h2Unverified > 5, `${h2Unverified} unverified requests were sent`);
  const metrics = await (await fetch(`${h2.url}/metrics`)).text();
  const unaudited = [...metrics.matchAll(/^medrec_gatekeeper_unaudited_refusals_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  t.equal(unaudited, h2Unverified, 'and every unverified one counted in the metrics instead');
  const recs = h2.audit.records(1, 10_000);
  const text = JSON.stringify(recs);
  for (const s of PHI) t.notOk(text.includes(s), 'no medical data or plain identifier in the log');
  t.ok(recs.some((r) => r.decision === 'ALLOWED_PATIENT' && r.requester === patient.identityId && r.hashMatches === true));
  t.ok(recs.some((r) => r.decision === 'ALLOWED_PATIENT' && r.category === 'Patient' && r.hashMatches === false));
  t.ok(recs.some((r) => r.decision === 'GRANT_REVOKED' && r.requester === revokedViewer.identityId && r.status === 403));
  t.ok(recs.some((r) => r.decision === 'REPLAYED_REQUEST' && r.requester === patient.identityId));
  t.ok(recs.every((r) => r.requester !== null && r.mspId !== null), 'every record names a proven requester');

  let check = await checkLogAgainstLedger(h2.audit, world.client, auditor.signer, 'Hospital2MSP');
  for (let i = 0; i < 50 && check.anchoredTo < 10; i++) {
    await new Promise((r) => setTimeout(r, 100));
    check = await checkLogAgainstLedger(h2.audit, world.client, auditor.signer, 'Hospital2MSP');
  }
  t.ok(check.ok, 'the ledger anchors match the log');
  t.ok(check.anchoredTo >= 10, `anchors reached the ledger (up to seq ${check.anchoredTo})`);
});

t.test('a restarted gatekeeper still refuses a replay of a request it answered before', async (t) => {
  const jws = await sign(patient);
  t.equal((await query(h2, jws)).status, 200);
  const restarted = Fastify({ logger: false });
  await restarted.register(errors);
  await restarted.register(sessions, { mspId: h2.mspId, secret: 'x'.repeat(32), ttlSeconds: 60 });
  await restarted.register(metrics, { mspId: h2.mspId });
  await restarted.register(limits, { limits: h2.runtime.settings.rateLimits });
  const runtime = { ...h2.runtime, settings: { ...h2.runtime.settings, anchoring: false as const } };
  await restarted.register(signedRequests, { runtime });
  await restarted.register(gatekeeper, { runtime });
  const url = await restarted.listen({ host: '127.0.0.1', port: 0 });
  const r = await http(`${url}/gatekeeper/query`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: jws });
  refused(t, r, 401, 'REPLAYED_REQUEST');
  await restarted.close();
});

t.test('one replay cache for every signed route: a jti used on /gatekeeper/query is refused on /gatekeeper/audit', async (t) => {
  const audit = (body: string) => http(`${h2.url}/gatekeeper/audit`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body });
  const auditQuery = (jti?: string) =>
    signJws(patient.signer, AUDIT_QUERY_TYP, { rels: [rel], requester: null, since: null, until: null, before: null, limit: 1, aud: h2.url, ...freshClaims(jti ? { jti } : {}) });
  const jti = `cross-route-${Date.now()}`;
  const data = await sign(patient, {}, { jti });
  t.equal((await query(h2, data)).status, 200, 'the data request is served');
  // What keeps a JWS to one route: its typ (each route accepts one) — the audience is the hospital's, the same for all.
  refused(t, await audit(data), 400, 'MALFORMED_REQUEST');
  refused(t, await audit(await auditQuery(jti)), 401, 'REPLAYED_REQUEST');
  t.equal((await audit(await auditQuery())).status, 200, 'the same audit query with a fresh jti is answered');
});

t.test('a relationship whose patient this hospital cannot find: 404, nothing read', async (t) => {
  // A delegate of Hospital 2's whom no chart there is bound to.
  const stranger = await world.delegate(h2, 'pat.unlinked');
  const created = await ledger.submit(doctor.signer, 'Relationship', 'create', [stranger.participantId, h2.url], H2);
  const orphan = (JSON.parse(Buffer.from(created.result).toString('utf8')) as { relationshipId: string }).relationshipId;
  await ledger.submit(doctor.signer, 'Relationship', 'putPointer', [orphan, 'Observation', 'a'.repeat(64)], H2);
  refused(t, await query(h2, await sign(stranger, { rel: orphan })), 404, 'PATIENT_NOT_LINKED');
});

t.test('no durable audit record, no data: 503', async (t) => {
  const db = new Database(`${world.dir}/hospital2/gateway.db`);
  db.exec("CREATE TRIGGER refuse_all BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  const before = h2.audit.currentHead();
  const r = await query(h2, await sign(patient));
  h2Requests--;
  refused(t, r, 503, 'AUDIT_UNAVAILABLE');
  t.same(h2.audit.currentHead(), before, 'nothing was appended');
  db.exec('DROP TRIGGER refuse_all');
  db.close();
  t.equal((await query(h2, await sign(patient))).status, 200, 'serving resumes once the log can be written');
});

t.test('EHR down: 503 and no data', async (t) => {
  const h2b = h2;
  await h2b.store.close();
  refused(t, await query(h2, await sign(patient)), 503, 'EHR_UNAVAILABLE');
});

t.test('ledger down: 503 and no data, from both sides', async (t) => {
  await ledger.close();
  refused(t, await query(h2, await sign(patient)), 503, 'LEDGER_UNAVAILABLE');
  const token = await world.login(h2, patient);
  refused(t, await fetchAs(h2, token, { relationshipId: rel, category: 'Observation' }), 503, 'LEDGER_UNAVAILABLE');
  const last = h2.audit.records(h2.audit.currentHead().seq, 1)[0];
  t.equal(last?.decision, 'LEDGER_UNAVAILABLE', 'the refusal was audited too');
});

t.test('the audit chain shows an edited and a deleted row', async (t) => {
  const db = new Database(`${world.dir}/hospital2/gateway.db`);
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  db.prepare("UPDATE audit_log SET decision = 'ALLOWED_VIEWER' WHERE decision = 'GRANT_REVOKED'").run();
  const edited = h2.audit.verify();
  t.notOk(edited.ok);
  t.ok(edited.problems.some((p) => p.kind === 'edited'));
  db.prepare('DELETE FROM audit_log WHERE seq = 4').run();
  db.close();
  const deleted = h2.audit.verify();
  t.ok(deleted.problems.some((p) => p.kind === 'missing' && p.seq === 4));
});
