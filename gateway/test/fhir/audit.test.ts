import Fastify from 'fastify';
import t from 'tap';
import errors from '../../src/http/plugins/errors.js';
import limits, { DEFAULT_RATE_LIMITS } from '../../src/http/plugins/limits.js';
import metrics from '../../src/http/plugins/metrics.js';
import signedRequests from '../../src/http/plugins/signed-requests.js';
import sessions from '../../src/http/plugins/sessions.js';
import gatekeeperAudit from '../../src/http/routes/gatekeeper-audit.js';
import { recordHash } from '../../src/services/audit/record.js';
import { AUDIT_QUERY_TYP } from '../../src/services/gatekeeper/audit-claims.js';
import { JOSE_MEDIA_TYPE, REQUEST_TYP, freshClaims, signJws, signRequest } from '../../src/services/gatekeeper/signed-request.js';
import type { Signer } from '../../src/ports/ledger.js';
import { api, login, type Json } from '../http/support.js';
import { ALICE_AT_2_PASSWORD, entriesOf, originOf as origin, scenarioFor, type Entry } from './scenario.js';

/**
 * Issue 13 item 5: each gatekeeper's access log as FHIR AuditEvent (IHE BALP's PatientQuery
 * pattern) — a patient's own across both hospitals, an auditor's of any patient, paged newest first,
 * every audit read itself audited — and the signed audit route on the gatekeeper with its refusals.
 */
t.setTimeout(300_000);

const s = await scenarioFor(t);
const { h1, h2 } = s.sys;
const [rt1, rt2] = s.sys.system.hospitals as [(typeof s.sys.system.hospitals)[0], (typeof s.sys.system.hospitals)[0]];
const matches = (bundle: Json) => entriesOf(bundle);
const agent = (event: Json, code: string) => (event['agent'] as Json[]).find((a) => a['type'].coding[0].code === code);
const entity = (event: Json, role: string) => (event['entity'] as Json[] | undefined)?.find((e) => e['role'].code === role);

async function signerOf(rt: typeof rt1, username: string, password = `${username}-demo-pass`): Promise<Signer> {
  const account = rt.accounts.get(username)!;
  return { mspId: rt.hospital.mspId, certificate: account.certificate, privateKey: await rt.sealer.open(account.sealedKey, password) };
}

/** Alice's identity at each hospital: her home one at Hospital 1, her delegate at Hospital 2 (docs/privacy.md §3). */
const identities = [
  { key: 'h1', rt: rt1, base: h1, who: s.alice, rel: s.rels.h1 },
  { key: 'h2', rt: rt2, base: h2, who: s.aliceAt2, rel: s.rels.h2 },
] as const;

// Traffic to audit: each of alice's identities reads everything at its hospital, victor his subset of both.
for (const { base, who } of identities) {
  await s.fhir(base, who.token).operation({ name: 'everything', resourceType: 'Patient', id: who.pid, method: 'GET' });
  await s.fhir(h1, s.victor.token).operation({ name: 'everything', resourceType: 'Patient', id: who.pid, method: 'GET' });
}

t.test("a patient reads who looked at her records, from the log of the hospital that treats her there, as AuditEvents", async (t) => {
  const victorIid = (await api(h1, 'GET', '/me', { token: s.victor.token })).json['identityId'] as string;
  const events: Entry[] = [];
  for (const { key, rt, base, who, rel } of identities) {
    const bundle = (await s.fhir(base, who.token).search({ resourceType: 'AuditEvent', searchParams: { patient: who.pid, _count: '100' } })) as Json;
    const here = matches(bundle);
    t.same([...new Set(here.map((e) => origin(e.fullUrl)))], [base], `${key}: from that hospital's gatekeeper`);
    const recorded = here.map((e) => e.resource['recorded'] as string);
    t.same(recorded, [...recorded].sort().reverse(), 'newest first');
    // Exactly the records of her relationship in that hospital's own log.
    const [ownRead, ...logged] = rt.audit.search({ rels: [rel], requester: null, since: null, until: null, before: null, limit: 1000 });
    t.match(ownRead, { category: 'AuditEvent', decision: 'ALLOWED_PATIENT' }, 'the search itself was logged after it answered');
    t.same(here.map((e) => e.resource['id']), logged.map((r) => `${rt.hospital.mspId}-${r.seq}`), `${rt.hospital.mspId}: every record of her relationship, no other`);
    for (const e of here) t.equal(e.fullUrl, `${base}/fhir/AuditEvent/${e.resource['id']}`);
    for (const e of here) t.same(entity(e.resource, '1')?.['what'], { reference: `Patient/${who.pid}` });
    const own = here.filter((e) => agent(e.resource, 'IRCP')?.['who'].identifier.value === who.pid);
    t.ok(own.length > 0 && own.every((e) => agent(e.resource, 'IRCP')!['purposeOfUse'][0].coding[0].code === 'PATRQT'), `${key}: her own reads: PATRQT`);
    events.push(...here);
  }
  const byVictor = events.filter((e) => agent(e.resource, 'IRCP')?.['altId'] === victorIid);
  t.ok(byVictor.length >= 3, `victor's reads are listed (${byVictor.length})`);
  t.same([...new Set(byVictor.map((e) => origin(e.fullUrl)))].sort(), [h1, h2].sort(), "victor's reads at both hospitals");
  for (const e of byVictor) {
    const ev = e.resource;
    const user = agent(ev, 'IRCP')!;
    t.same(user['who'], { identifier: { system: 'https://medrec.example/fhir/sid/participant', value: s.victor.pid } });
    t.equal(user['requestor'], true);
    t.equal(user['role'][0].coding[0].code, 'viewer');
    t.equal(user['purposeOfUse'][0].coding[0].code, origin(e.fullUrl) === h1 ? 'TREAT' : 'FAMRQT', "the grant's purpose");
    t.match(ev, { type: { code: 'rest' }, subtype: [{ code: 'search-type' }], action: 'E', outcome: '0', outcomeDesc: 'ALLOWED_VIEWER' });
    t.equal(agent(ev, '110153')!['who'].identifier.value, 'Hospital1MSP', 'client: the requester organisation');
    t.equal(agent(ev, '110152')!['network'].address, origin(e.fullUrl), 'server: the gatekeeper');
    t.equal(ev['source'].site, origin(e.fullUrl) === h1 ? 'Hospital1MSP' : 'Hospital2MSP');
    const query = entity(ev, '24')!;
    t.equal(Buffer.from(query['query'], 'base64').toString('utf8'), query['description']);
    t.match(query['description'], new RegExp(`^${origin(e.fullUrl)}/fhir/\\w+\\?relationship=[0-9a-f]{64}$`));
  }
});

t.test('paged with _count and next links: the same records, newest first, none twice', async (t) => {
  const client = s.fhir(h1, s.alice.token);
  const all = matches((await client.search({ resourceType: 'AuditEvent', searchParams: { patient: s.alice.pid, _count: '100' } })) as Json);
  const seen: Entry[] = [];
  let page = (await client.search({ resourceType: 'AuditEvent', searchParams: { patient: s.alice.pid, _count: '3' } })) as Json | undefined;
  let pages = 0;
  while (page && pages < 50) {
    pages++;
    t.ok(matches(page).length <= 3);
    seen.push(...matches(page));
    page = (await client.nextPage({ bundle: page as never })) as Json | undefined;
  }
  t.ok(pages > 2, `${pages} pages`);
  // Reading the pages added records of their own reads; they are newer than what was read first.
  const paged = seen.map((e) => e.fullUrl);
  t.equal(new Set(paged).size, paged.length, 'no record twice');
  const firstAll = all.map((e) => e.fullUrl);
  t.same(paged.filter((u) => firstAll.includes(u)), firstAll, 'every record of the single page, in the same order');
});

t.test('every audit read is itself audited: the patient sees her own reads of the log', async (t) => {
  const bundle = (await s.fhir(h1, s.alice.token).search({ resourceType: 'AuditEvent', searchParams: { patient: s.alice.pid, _count: '100' } })) as Json;
  const reads = matches(bundle).filter((e) => entity(e.resource, '24')?.['description'].includes('/fhir/AuditEvent?'));
  t.ok(reads.length >= 2, `${reads.length} reads of the access log are listed`);
  t.ok(reads.every((e) => e.resource['outcomeDesc'] === 'ALLOWED_PATIENT' && agent(e.resource, 'IRCP')!['who'].identifier.value === s.alice.pid));
});

t.test("an auditor reads any patient's access log across hospitals; without a patient, its own hospital's", async (t) => {
  for (const { base, who } of identities) {
    const audra = (await s.fhir(h1, s.audra).search({ resourceType: 'AuditEvent', searchParams: { patient: who.pid, _count: '100' } })) as Json;
    t.same([...new Set(matches(audra).map((e) => origin(e.fullUrl)))], [base], "Hospital 1's auditor reads each hospital's log of her identity there");
  }
  const later = (await s.fhir(h1, s.alice.token).search({ resourceType: 'AuditEvent', searchParams: { patient: s.alice.pid, _count: '10' } })) as Json;
  const audited = matches(later).find((e) => agent(e.resource, 'IRCP')?.['role']?.[0].coding[0].code === 'auditor');
  t.ok(audited, "the auditor's read shows in the patient's list");
  t.equal(audited!.resource['outcomeDesc'], 'ALLOWED_AUDITOR');
  const otto = (await s.fhir(h2, s.otto).search({ resourceType: 'AuditEvent', searchParams: { _count: '100' } })) as Json;
  t.ok(matches(otto).length > 0 && matches(otto).every((e) => origin(e.fullUrl) === h2), "otto without a patient: hospital 2's whole log");
  const again = matches((await s.fhir(h2, s.otto).search({ resourceType: 'AuditEvent', searchParams: { _count: '1' } })) as Json)[0]!;
  t.match(again.resource, { outcomeDesc: 'ALLOWED_AUDITOR' }, "otto's first whole-log read is the newest record");
  t.notOk(entity(again.resource, '1'), 'a read of the whole log is about no patient');
  const err = await s.fhir(h1, s.audra).search({ resourceType: 'AuditEvent', searchParams: { site: 'Hospital2MSP' } }).catch((e: Json) => e);
  t.equal(err['response'].status, 400);
  t.equal(err['response'].data.issue[0].details.coding[0].code, 'PATIENT_REQUIRED');
  const site = (await s.fhir(h1, s.audra).search({ resourceType: 'AuditEvent', searchParams: { patient: s.aliceAt2.pid, site: 'Hospital2MSP' } })) as Json;
  t.ok(matches(site).length > 0 && matches(site).every((e) => origin(e.fullUrl) === h2), 'site= keeps one hospital');
  const none = (await s.fhir(h1, s.audra).search({ resourceType: 'AuditEvent', searchParams: { patient: s.aliceAt2.pid, site: 'Hospital1MSP' } })) as Json;
  t.equal(none['total'], 0, 'and that one only');
});

t.test('filters: requester (altid) and period (date)', async (t) => {
  const victorIid = (await api(h1, 'GET', '/me', { token: s.victor.token })).json['identityId'] as string;
  const client = s.fhir(h1, s.alice.token);
  const mine = matches((await client.search({ resourceType: 'AuditEvent', searchParams: { patient: s.alice.pid, altid: victorIid, _count: '100' } })) as Json);
  t.ok(mine.length > 0 && mine.every((e) => agent(e.resource, 'IRCP')!['altId'] === victorIid));
  const future = (await client.search({ resourceType: 'AuditEvent', searchParams: { patient: s.alice.pid, date: 'ge2100-01-01' } })) as Json;
  t.equal(future['total'], 0);
  const past = matches((await client.search({ resourceType: 'AuditEvent', searchParams: { patient: s.alice.pid, date: ['ge2000-01-01', 'lt2100-01-01T00:00:00Z'], _count: '100' } })) as Json);
  t.ok(past.length > 0);
});

t.test('refusals: another patient, a viewer, a bad cursor', async (t) => {
  const refused = async (token: string, query: string, status: number, code: string) => {
    const res = await api(h1, 'GET', `/fhir/AuditEvent?${query}`, { token });
    t.equal(res.status, status, `${query} → ${status}`);
    t.equal(res.json['resourceType'], 'OperationOutcome');
    t.equal(res.json['issue'][0].details.coding[0].code, code);
  };
  await refused(s.alice.token, `patient=${s.victor.pid}`, 403, 'NOT_THE_PATIENT');
  await refused(s.victor.token, `patient=${s.alice.pid}`, 403, 'ROLE_FORBIDDEN');
  await refused(s.alice.token, `patient=${s.alice.pid}&_cursor=bm90LWpzb24`, 400, 'INVALID_CURSOR');
  await refused(s.alice.token, `patient=${s.alice.pid}&_count=0`, 400, 'VALIDATION_FAILED');
  await refused(s.alice.token, `patient=${s.alice.pid}&date=2020-01-01`, 400, 'VALIDATION_FAILED');
});

t.test('a refused read shows as a failed AuditEvent (outcome 4) with the decision', async (t) => {
  await api(h2, 'DELETE', `/relationships/${s.rels.h2}/grants/${s.victor.pid}`, { token: s.aliceAt2.token });
  // Straight to hospital 2's gatekeeper (the home gateway would already refuse: the ledger hides the relationship).
  const jws = await signRequest(await signerOf(rt1, 'victor'), { rel: s.rels.h2, cat: 'Observation', fields: [], aud: h2 });
  const res = await api(h2, 'POST', '/gatekeeper/query', { rawBody: jws, headers: { 'content-type': JOSE_MEDIA_TYPE } });
  t.equal(res.status, 403);
  const bundle = (await s.fhir(h2, s.aliceAt2.token).search({ resourceType: 'AuditEvent', searchParams: { patient: s.aliceAt2.pid, site: 'Hospital2MSP', _count: '5' } })) as Json;
  const refusal = matches(bundle).find((e) => e.resource['outcomeDesc'] === 'GRANT_REVOKED');
  t.ok(refusal, 'listed');
  t.equal(refusal!.resource['outcome'], '4');
  t.equal(agent(refusal!.resource, 'IRCP')!['who'].identifier.value, s.victor.pid);
});

t.test('POST /gatekeeper/audit: signed like a data request, refused for everyone else, itself audited', async (t) => {
  // Her identity at Hospital 2 asks of Hospital 2's log; her home identity is not that relationship's patient.
  const alice = await signerOf(rt2, s.aliceAt2.username, ALICE_AT_2_PASSWORD);
  const home = await signerOf(rt1, 'alice');
  const victor = await signerOf(rt1, 'victor');
  const bob = await signerOf(rt1, 'bob');
  const query = { rels: [s.rels.h2], requester: null, since: null, until: null, before: null, limit: 10, aud: h2 };
  const post = (body: string, type = JOSE_MEDIA_TYPE) => api(h2, 'POST', '/gatekeeper/audit', { rawBody: body, headers: { 'content-type': type } });
  const sign = (who: Signer, claims: Record<string, unknown>, typ = AUDIT_QUERY_TYP) => signJws(who, typ, { ...claims, ...freshClaims() });

  const okRes = await post(await sign(alice, query));
  t.equal(okRes.status, 200);
  t.match(okRes.json, { mspId: 'Hospital2MSP', gatekeeper: h2, access: 'ALLOWED_PATIENT' });
  t.ok(okRes.json['records'].length > 0 && okRes.json['records'].every((r: Json) => r['relationshipId'] === s.rels.h2));
  for (const r of okRes.json['records'] as Json[]) {
    const { patientId: _p, requesterId: _r, requesterRole: _q, purpose: _u, prevHash, hash, seq, ...entry } = r;
    t.equal(recordHash(seq, prevHash, entry as never), hash, `record ${seq} re-hashes: the chain can be checked`);
  }
  t.equal(okRes.json['records'][0].patientId, s.aliceAt2.pid);

  const refused = async (what: string, body: Promise<string> | string, status: number, code: string, type?: string) => {
    const res = await post(await body, type);
    t.equal(res.status, status, `${what} → ${status}`);
    t.equal(res.json['code'], code, what);
  };
  await refused('a viewer', sign(victor, query), 403, 'ROLE_FORBIDDEN');
  await refused('a patient naming no relationship', sign(alice, { ...query, rels: [] }), 400, 'RELATIONSHIPS_REQUIRED');
  await refused("another patient's relationship", sign(bob, query), 403, 'NOT_THE_PATIENT');
  await refused('her home identity, not the patient of her relationship here', sign(home, query), 403, 'NOT_THE_PATIENT');
  await refused("another hospital's relationship", sign(home, { ...query, rels: [s.rels.h1] }), 403, 'FORBIDDEN');
  await refused('for another gatekeeper', sign(alice, { ...query, aud: h1 }), 401, 'AUDIENCE_MISMATCH');
  await refused('a data request', sign(alice, { rel: s.rels.h2, cat: 'Observation', fields: [], aud: h2 }, REQUEST_TYP), 400, 'MALFORMED_REQUEST');
  await refused('an extra claim', sign(alice, { ...query, extra: 1 }), 400, 'INVALID_CLAIMS');
  await refused('a page too large', sign(alice, { ...query, limit: 101 }), 400, 'INVALID_CLAIMS');
  await refused('a bad relationship id', sign(alice, { ...query, rels: ['x'] }), 400, 'INVALID_RELATIONSHIP_ID');
  // Refusals before a valid certificate's signature is proven are counted, not audited (issue 9).
  const unaudited = async () => {
    const text = await (await fetch(`${h2}/metrics`)).text();
    return [...text.matchAll(/^medrec_gatekeeper_unaudited_refusals_total\{[^}]*route="audit"[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  };
  const [headBefore, countedBefore] = [rt2.audit.currentHead().seq, await unaudited()];
  await refused('JSON', JSON.stringify(query), 415, 'UNSUPPORTED_MEDIA_TYPE', 'application/json');
  await refused('a huge body', `${'a'.repeat(17_000)}.b.c`, 413, 'BODY_TOO_LARGE');
  await refused('not a JWS', 'a.b.c', 400, 'MALFORMED_REQUEST');
  t.equal(rt2.audit.currentHead().seq, headBefore, 'refusals of unverified queries add no audit record');
  t.equal((await unaudited()) - countedBefore, 3, 'they are counted in the metrics instead');
  const once = await sign(alice, query);
  t.equal((await post(once)).status, 200);
  await refused('a replay', once, 401, 'REPLAYED_REQUEST');

  const victorIid = (await api(h1, 'GET', '/me', { token: s.victor.token })).json['identityId'] as string;
  const logged = rt2.audit.search({ rels: null, requester: victorIid, since: null, until: null, before: null, limit: 5 });
  t.match(logged[0], { category: 'AuditEvent', decision: 'ROLE_FORBIDDEN', status: 403, relationshipId: s.rels.h2 }, "the viewer's attempt is in the log");
  t.ok(await login(h2, s.aliceAt2.username, ALICE_AT_2_PASSWORD), 'alice can still log in');
});

t.test('the audit route is rate-limited per certificate and, before verification, per address; 429s are not audited', async (t) => {
  const app = Fastify({ logger: false });
  await app.register(errors);
  await app.register(sessions, { mspId: rt2.hospital.mspId, secret: 'x'.repeat(32), ttlSeconds: 60 });
  await app.register(metrics, { mspId: rt2.hospital.mspId });
  const budget = { max: 2, windowSeconds: 60 };
  await app.register(limits, { limits: { ...DEFAULT_RATE_LIMITS, gatekeeperAudit: budget, gatekeeperUnverified: budget } });
  await app.register(signedRequests, { runtime: rt2 });
  await app.register(gatekeeperAudit, { runtime: rt2 });
  t.teardown(() => app.close());
  const alice = await signerOf(rt2, s.aliceAt2.username, ALICE_AT_2_PASSWORD);
  const query = { rels: [s.rels.h2], requester: null, since: null, until: null, before: null, limit: 1, aud: h2 };
  const post = async (body: string) => {
    const res = await app.inject({ method: 'POST', url: '/gatekeeper/audit', headers: { 'content-type': JOSE_MEDIA_TYPE }, payload: body });
    return { status: res.statusCode, code: (res.json() as Json)['code'] as string | undefined };
  };
  const signed = async () => signJws(alice, AUDIT_QUERY_TYP, { ...query, ...freshClaims() });
  t.equal((await post(await signed())).status, 200);
  t.equal((await post(await signed())).status, 200);
  const head = rt2.audit.currentHead().seq;
  t.same(await post(await signed()), { status: 429, code: 'RATE_LIMITED' }, 'the third query of the certificate in a minute');
  t.equal(rt2.audit.currentHead().seq, head, 'not audited');
  t.equal((await post('a.b.c')).code, 'MALFORMED_REQUEST');
  t.equal((await post('a.b.c')).code, 'MALFORMED_REQUEST');
  t.same(await post('a.b.c'), { status: 429, code: 'RATE_LIMITED' }, 'an address that sent two unverified queries');
});
