import { blindLookup, EXTERNAL_ID_LOOKUP_TYP } from '@medrec/client/protocol';
import t from 'tap';
import { AUDIT_QUERY_TYP } from '../../src/services/gatekeeper/audit-claims.js';
import { JOSE_MEDIA_TYPE, freshClaims, signJws } from '../../src/services/gatekeeper/signed-request.js';
import type { Signer } from '../../src/ports/ledger.js';
import { LOOKUP_CATEGORY } from '../../src/http/routes/gatekeeper-external-id.js';
import { api } from '../http/support.js';
import { openWorld, type Hospital, type Person } from '../support/world.js';

/**
 * docs/privacy.md §2: a person's external-id index entry is under her home hospital's own key, so
 * another hospital finds her only by asking the home, blindly: POST /registrar/resolve at its own
 * gateway does it for its registrars, providers and auditors; the home's POST /gatekeeper/external-id
 * evaluates only for those roles, signed by a valid certificate, rate-limited per certificate and
 * audited; an answer that cannot be had is unknown (502), never "not registered".
 */
t.setTimeout(240_000);
const KIND = 'national-id';
const LIMIT = 4;
const world = await openWorld({ patients: 2, anchoring: false, config: { rateLimits: { externalIdLookup: { max: LIMIT, windowSeconds: 60 } } } });
t.teardown(() => world.close());
const { h1, h2 } = world;

/** A patient registered by her home's product path (a registrar's activation). */
async function patientAt(h: Hospital, username: string, externalId: string): Promise<string> {
  const issued = await h.runtime.activations.issue({ ca: h.admin, ledger: h.registrar }, { username, role: 'patient', externalIdKind: KIND, externalId });
  return issued.participantId;
}
const [p1] = h1.patients;
const alice = await patientAt(h1, 'alice.ext', p1!.externalId);
const staff = async (h: Hospital, name: string, role: string): Promise<Person & { token: string }> => {
  const person = await world.enrol(h, name, role);
  return { ...person, token: await world.login(h, person) };
};
const grey = await staff(h2, 'ext.grey', 'provider');
const resolve = (h: Hospital, who: { token: string }, externalId: string) =>
  api(h.url, 'POST', '/registrar/resolve', { token: who.token, body: { externalIdKind: KIND, externalId } });
const lookups = () => h1.runtime.audit.records(1, 10_000).filter((r) => r.category === LOOKUP_CATEGORY);
const post = (h: Hospital, body: string) => api(h.url, 'POST', '/gatekeeper/external-id', { rawBody: body, headers: { 'content-type': JOSE_MEDIA_TYPE } });
const sign = (who: Signer, claims: Record<string, unknown>, typ = EXTERNAL_ID_LOOKUP_TYP) => signJws(who, typ, { ...claims, ...freshClaims() });

t.test('another hospital resolves her from the id on its own chart, through her home; the home audits it', async (t) => {
  const before = lookups().length;
  const res = await resolve(h2, grey, p1!.externalId);
  t.equal(res.status, 200);
  t.same(res.json, { participantId: alice, role: 'patient', mspId: h1.mspId, status: 'active' }, 'her home participant');
  const audited = lookups().slice(before);
  t.equal(audited.length, 1, "one evaluation in the home's access log");
  t.match(audited[0], { requester: grey.identityId, mspId: h2.mspId, role: 'provider', decision: 'evaluated', status: 200, relationshipId: null });
  t.notOk(JSON.stringify(h1.runtime.audit.records(1, 10_000)).includes(p1!.externalId), 'the home never saw the id');
});

t.test('the home resolves its own patients itself: no lookup anywhere', async (t) => {
  const registrar = await staff(h1, 'ext.registrar', 'registrar');
  const before = lookups().length;
  const res = await resolve(h1, registrar, p1!.externalId);
  t.equal(res.status, 200);
  t.equal(res.json['participantId'], alice);
  t.equal(lookups().length, before, 'nothing asked of anyone');
});

t.test('an id registered nowhere: 404, after asking every other home', async (t) => {
  const before = lookups().length;
  const res = await resolve(h2, grey, 'SYN-000-999999');
  t.equal(res.status, 404);
  t.equal(res.json['code'], 'NOT_FOUND');
  t.equal(lookups().length, before + 1, 'Hospital 1 was asked once');
});

t.test("the home's gatekeeper: who may ask, and how", async (t) => {
  const patient = await world.enrol(h2, 'ext.patient', 'patient');
  const auditor = await world.enrol(h2, 'ext.auditor', 'auditor');
  const { blinded } = blindLookup(KIND, p1!.externalId);
  const aud = h1.url;
  const refused = async (what: string, body: Promise<string> | string, status: number, code: string) => {
    const res = await post(h1, await body);
    t.equal(res.status, status, `${what} → ${status}`);
    t.equal(res.json['code'], code, `${what}: ${code}`);
    t.match(res.type, /application\/problem\+json/);
  };
  const ok = await post(h1, await sign(auditor.signer, { blinded, aud }));
  t.equal(ok.status, 200, 'an auditor may (the identity-mapping history)');
  t.match(ok.json['evaluated'], /^[A-Za-z0-9_-]{44}$/);
  const before = lookups().length;
  await refused('a patient', sign(patient.signer, { blinded, aud }), 403, 'ROLE_NOT_ALLOWED');
  t.match(lookups().slice(before), [{ requester: patient.identityId, decision: 'ROLE_NOT_ALLOWED', status: 403 }], 'a refusal to a valid certificate is audited');
  await refused('no point', sign(auditor.signer, { blinded: 'x'.repeat(10), aud }), 400, 'INVALID_BLINDED_ELEMENT');
  await refused('not on the curve', sign(auditor.signer, { blinded: 'A'.repeat(44), aud }), 400, 'INVALID_BLINDED_ELEMENT');
  await refused('an extra claim', sign(auditor.signer, { blinded, aud, externalId: p1!.externalId }), 400, 'INVALID_CLAIMS');
  await refused('another audience', sign(auditor.signer, { blinded, aud: h2.url }), 401, 'AUDIENCE_MISMATCH');
  await refused('an audit query passed off as a lookup', sign(auditor.signer, { blinded, aud }, AUDIT_QUERY_TYP), 400, 'MALFORMED_REQUEST');
  await refused('no JWS', 'not.a.jws', 400, 'MALFORMED_REQUEST');
  const json = await api(h1.url, 'POST', '/gatekeeper/external-id', { body: { blinded } });
  t.equal(json.status, 415, 'JSON is not accepted');
});

t.test('lookups are rate-limited per certificate', async (t) => {
  const registrar = await world.enrol(h2, 'ext.busy', 'registrar');
  const { blinded } = blindLookup(KIND, p1!.externalId);
  const statuses: number[] = [];
  for (let i = 0; i <= LIMIT; i++) statuses.push((await post(h1, await sign(registrar.signer, { blinded, aud: h1.url }))).status);
  t.same(statuses, [...Array<number>(LIMIT).fill(200), 429], `${LIMIT} evaluations a minute, then 429`);
  const other = await world.enrol(h2, 'ext.calm', 'registrar');
  t.equal((await post(h1, await sign(other.signer, { blinded, aud: h1.url }))).status, 200, 'a colleague still may');
});

t.test('a patient (or anyone but registrars, providers and auditors) cannot resolve at all', async (t) => {
  const patient = await world.enrol(h2, 'ext.nosy', 'patient');
  const res = await resolve(h2, { token: await world.login(h2, patient) }, p1!.externalId);
  t.equal(res.status, 403);
});

t.test('a home that does not answer: the outcome is unknown (502), not "not registered"', async (t) => {
  await h1.app.close();
  const res = await resolve(h2, grey, 'SYN-000-888888');
  t.equal(res.status, 502);
  t.equal(res.json['code'], 'EXTERNAL_ID_HOME_UNREACHABLE');
  t.same(res.json['unreachable'], [h1.mspId]);
});
