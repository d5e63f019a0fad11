import t from 'tap';
import type { Grant } from '@medrec/chaincode/domain';
import { auditSearchSql } from '../../src/services/audit/search.js';
import { AUDIT_QUERY_TYP, parseAuditClaims } from '../../src/services/gatekeeper/audit-claims.js';
import type { AuditRecordView } from '../../src/services/gatekeeper/audit-answer.js';
import type { RelationshipFetch } from '../../src/services/gatekeeper/requester.js';
import { auditEvent, auditEventId } from '../../src/services/fhir/audit-event.js';
import { dateBounds, decodeCursor, encodeCursor } from '../../src/services/fhir/audit-search.js';
import { toConsent } from '../../src/services/fhir/consent.js';
import { issueTypeOf, problemOutcome } from '../../src/services/fhir/outcome.js';
import { recordsBundle } from '../../src/services/fhir/records-bundle.js';
import { Problem } from '../../src/services/problem.js';

/** The facade's pure parts, each against named cases: claims, bounds, cursors, SQL, and the FHIR mappings' edges. */

const HEX = (c: string) => c.repeat(64);
const AUD = 'http://127.0.0.1:3002';
const NOW = 1_800_000_000;
const claims = (over: Record<string, unknown> = {}) => ({
  rels: [HEX('a')],
  requester: null,
  since: null,
  until: null,
  before: null,
  limit: 10,
  aud: AUD,
  iat: NOW,
  exp: NOW + 60,
  jti: 'abcdefghijklmnopqrstuv',
  ...over,
});
const code = (f: () => unknown) => {
  try {
    f();
    return 'none';
  } catch (err) {
    return (err as Problem).code;
  }
};

t.test('audit query claims: exact shape, values, then the envelope', async (t) => {
  t.equal(AUDIT_QUERY_TYP, 'medrec-audit+jws');
  t.same(parseAuditClaims(claims(), AUD, NOW).rels, [HEX('a')]);
  t.equal(parseAuditClaims(claims({ since: '2026-01-01T00:00:00Z', until: '2026-01-02T00:00:00.5Z', before: 7, requester: HEX('b') }), AUD, NOW).before, 7);
  const cases: [string, unknown, string][] = [
    ['not an object', [], 'INVALID_CLAIMS'],
    ['a claim missing', (({ limit: _l, ...rest }) => rest)(claims()), 'INVALID_CLAIMS'],
    ['aud not a string', claims({ aud: 1 }), 'INVALID_CLAIMS'],
    ['rels not hex', claims({ rels: ['A'.repeat(64)] }), 'INVALID_RELATIONSHIP_ID'],
    ['too many rels', claims({ rels: Array.from({ length: 65 }, (_, i) => i.toString(16).padStart(64, '0')) }), 'INVALID_RELATIONSHIP_ID'],
    ['a rel twice', claims({ rels: [HEX('a'), HEX('a')] }), 'INVALID_CLAIMS'],
    ['requester not an iid', claims({ requester: 'x' }), 'INVALID_CLAIMS'],
    ['since without a zone', claims({ since: '2026-01-01T00:00:00' }), 'INVALID_CLAIMS'],
    ['until not a date', claims({ until: '2026-13-45T00:00:00Z' }), 'INVALID_CLAIMS'],
    ['before zero', claims({ before: 0 }), 'INVALID_CLAIMS'],
    ['limit 0', claims({ limit: 0 }), 'INVALID_CLAIMS'],
    ['limit 101', claims({ limit: 101 }), 'INVALID_CLAIMS'],
    ['short jti', claims({ jti: 'short' }), 'INVALID_CLAIMS'],
    ['another gatekeeper', claims({ aud: 'http://127.0.0.1:3001' }), 'AUDIENCE_MISMATCH'],
    ['lives too long', claims({ exp: NOW + 121 }), 'LIFETIME_TOO_LONG'],
    ['from the future', claims({ iat: NOW + 30, exp: NOW + 60 }), 'REQUEST_NOT_YET_VALID'],
    ['expired', claims({ iat: NOW - 90, exp: NOW - 30 }), 'REQUEST_EXPIRED'],
  ];
  for (const [what, payload, expected] of cases) t.equal(code(() => parseAuditClaims(payload, AUD, NOW)), expected, what);
});

t.test('audit search SQL: parameterised filters, newest first', async (t) => {
  const none = auditSearchSql({ rels: null, requester: null, since: null, until: null, before: null, limit: 5 });
  t.same(none, { sql: 'SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?', params: [5] });
  const all = auditSearchSql({ rels: ['r1', 'r2'], requester: 'q', since: '2026-01-01T00:00:00Z', until: '2026-01-02T00:00:00Z', before: 9, limit: 3 });
  t.equal(all.sql, 'SELECT * FROM audit_log WHERE relationship_id IN (?, ?) AND requester = ? AND at >= ? AND at < ? AND seq < ? ORDER BY seq DESC LIMIT ?');
  t.same(all.params, ['r1', 'r2', 'q', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', 9, 3], 'bounds in the stored form (milliseconds)');
  t.match(auditSearchSql({ rels: [], requester: null, since: null, until: null, before: null, limit: 1 }).sql, /WHERE 0 /, 'no relationship: nothing');
});

t.test('FHIR date parameters become the tightest [since, until)', async (t) => {
  t.same(dateBounds([]), { since: null, until: null });
  t.same(dateBounds(['ge2026-03-01']), { since: '2026-03-01T00:00:00.000Z', until: null });
  t.same(dateBounds(['gt2026-03-01']), { since: '2026-03-02T00:00:00.000Z', until: null }, 'after the whole day');
  t.same(dateBounds(['le2026-03-01']), { since: null, until: '2026-03-02T00:00:00.000Z' });
  t.same(dateBounds(['lt2026-03-01T10:00:00Z', 'gt2026-03-01T09:00:00.250Z']), { since: '2026-03-01T09:00:00.251Z', until: '2026-03-01T10:00:00.000Z' });
  t.same(dateBounds(['ge2026-01-01', 'ge2026-02-01', 'lt2026-05-01', 'le2026-03-31']), { since: '2026-02-01T00:00:00.000Z', until: '2026-04-01T00:00:00.000Z' });
  t.equal(code(() => dateBounds(['ge2026-02-31T99:00:00Z'])), 'INVALID_DATE');
});

t.test('cursors: what a next link carries comes back; anything else is refused', async (t) => {
  const cursor = { 'http://127.0.0.1:3001': 12, 'https://h2.example': 0 };
  t.same(decodeCursor(encodeCursor(cursor)), cursor);
  t.same(decodeCursor(undefined), {});
  for (const bad of ['bm90LWpzb24', encodeCursor([] as never), Buffer.from('{"ftp://x":1}').toString('base64url'), Buffer.from('{"http://x":-1}').toString('base64url'), Buffer.from('{"http://x/path":1}').toString('base64url')]) {
    t.equal(code(() => decodeCursor(bad)), 'INVALID_CURSOR', bad);
  }
});

t.test('OperationOutcome: the status read as an issue type, the problem code in details', async (t) => {
  const expected: [number, string][] = [[400, 'invalid'], [401, 'login'], [403, 'forbidden'], [404, 'not-found'], [409, 'conflict'], [410, 'deleted'], [413, 'too-costly'], [415, 'not-supported'], [421, 'processing'], [422, 'business-rule'], [429, 'throttled'], [418, 'processing'], [500, 'exception'], [502, 'transient'], [503, 'transient'], [504, 'timeout']];
  for (const [status, type] of expected) t.equal(issueTypeOf(status), type, `${status}`);
  t.same(problemOutcome(new Problem(503, 'LEDGER_UNAVAILABLE', 'no ledger')), {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'fatal', code: 'transient', details: { coding: [{ system: 'https://medrec.example/fhir/CodeSystem/problem', code: 'LEDGER_UNAVAILABLE' }], text: 'no ledger' } }],
  });
});

const record = (over: Partial<AuditRecordView> = {}): AuditRecordView => ({
  seq: 3,
  at: '2026-01-01T00:00:00.000Z',
  requester: HEX('c'),
  mspId: 'Hospital1MSP',
  role: 'viewer',
  relationshipId: HEX('a'),
  category: 'Observation',
  fields: ['code'],
  decision: 'ALLOWED_VIEWER',
  status: 200,
  hashMatches: true,
  jti: 'j',
  exp: 1,
  prevHash: HEX('0'),
  hash: HEX('1'),
  patientId: HEX('d'),
  requesterId: HEX('e'),
  requesterRole: 'viewer',
  purpose: 'TREAT',
  ...over,
});
const origin = { mspId: 'Hospital2MSP', gatekeeper: AUD };

t.test('AuditEvent: ids, outcomes and what is left out when the log does not know it', async (t) => {
  t.equal(auditEventId('Hospital2MSP', 7), 'Hospital2MSP-7');
  const long = auditEventId(`H${'x'.repeat(63)}`, 7);
  t.match(long, /^[0-9a-f]{40}-7$/, 'an MSP id too long for a FHIR id is hashed');
  const served = auditEvent(record(), origin);
  t.match(served, { outcome: '0', outcomeDesc: 'ALLOWED_VIEWER' });
  t.same(served.entity!.find((e) => e.role?.code === '24')!.description, `${AUD}/fhir/Observation?relationship=${HEX('a')}&_elements=code`);
  t.same(served.entity!.find((e) => e.role?.code === '13')!.detail, [{ type: 'source-hash', valueString: 'match' }]);
  t.equal(auditEvent(record({ status: 403, decision: 'GRANT_REVOKED', hashMatches: null }), origin).outcome, '4');
  t.equal(auditEvent(record({ status: 503, decision: 'EHR_UNAVAILABLE', hashMatches: false }), origin).entity!.find((e) => e.role?.code === '13')!.detail![0]!.valueString, 'mismatch');
  t.equal(auditEvent(record({ status: 503 }), origin).outcome, '8');
  // Refused before the signature was proven: no requester, no relationship, no patient.
  const anonymous = auditEvent(record({ requester: null, mspId: null, role: null, relationshipId: null, category: null, fields: null, patientId: null, requesterId: null, requesterRole: null, purpose: null, status: 400, decision: 'MALFORMED_REQUEST' }), origin);
  t.equal(anonymous.agent.length, 2, 'client and server only');
  t.same(anonymous.agent[0]!.who, { display: 'an unidentified requester' });
  t.equal(anonymous.entity, undefined);
  const unknownPerson = auditEvent(record({ requesterId: null, role: null, purpose: null }), origin);
  const user = unknownPerson.agent[2]!;
  t.same(user.who, { identifier: { system: 'https://medrec.example/fhir/sid/identity', value: HEX('c') } }, 'an identity the ledger does not know: its iid');
  t.equal(user.role, undefined);
  t.equal(user.purposeOfUse, undefined);
});

t.test('Consent: expired grants are inactive', async (t) => {
  const grant: Grant = {
    relationshipId: HEX('a'),
    viewerId: HEX('b'),
    items: [{ category: 'Observation', fields: ['code'] }],
    validUntil: '2026-06-01T00:00:00Z',
    purpose: 'TREAT',
    status: 'granted',
    grantedAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  };
  const rel = { relationshipId: HEX('a'), patientId: HEX('c'), providerMspId: 'Hospital1MSP' };
  t.equal(toConsent({ kind: 'grant', grant, relationship: rel }, '2026-05-31T23:59:59Z').status, 'active');
  t.equal(toConsent({ kind: 'grant', grant, relationship: rel }, '2026-06-01T00:00:00Z').status, 'inactive');
  t.equal(toConsent({ kind: 'grant', grant: { ...grant, status: 'revoked' }, relationship: rel }, '2026-02-01T00:00:00Z').status, 'inactive');
});

t.test('records Bundle: mismatches are said, refusals too, and an outage is thrown, not half-served', async (t) => {
  const answer = (hashMatches: boolean, matches: boolean | null) => ({
    relationshipId: HEX('a'),
    category: 'Observation',
    decision: 'ALLOWED_PATIENT',
    fields: [],
    projected: false,
    ledgerHash: HEX('1'),
    sourceHash: HEX('2'),
    hashMatches,
    version: 1,
    bundle: { resourceType: 'Bundle' as const, type: 'searchset', entry: [{ fullUrl: `${AUD}/fhir/Observation/o1`, resource: { resourceType: 'Observation', id: 'o1' } }] },
    gatekeeper: AUD,
    check: { ledgerHash: HEX('1'), localHash: HEX('2'), matches },
  });
  const problemOf = (err: unknown) => err as Problem;
  const fetched: RelationshipFetch[] = [
    { relationshipId: HEX('a'), answers: [{ category: 'Observation', result: answer(false, false) }, { category: 'Condition', error: new Problem(403, 'CATEGORY_NOT_GRANTED', 'no') }] },
    { relationshipId: HEX('b'), error: new Problem(404, 'NOT_FOUND', 'gone'), answers: [] },
  ];
  const bundle = recordsBundle(fetched, { selfUrl: `${AUD}/fhir/Observation`, problemOf });
  t.equal(bundle.total, 1);
  const outcome = bundle.entry!.find((e) => e.search?.mode === 'outcome')!.resource as { issue: { code: string; details: { coding: { code: string }[] } }[] };
  t.same(outcome.issue.map((i) => [i.code, i.details.coding[0]!.code]), [
    ['processing', 'SOURCE_HASH_MISMATCH'],
    ['processing', 'LEDGER_HASH_MISMATCH'],
    ['suppressed', 'CATEGORY_NOT_GRANTED'],
    ['not-found', 'NOT_FOUND'],
  ]);
  const down: RelationshipFetch[] = [{ relationshipId: HEX('a'), answers: [{ category: 'Observation', error: new Problem(503, 'EHR_UNAVAILABLE', 'down') }] }];
  t.throws(() => recordsBundle(down, { selfUrl: 'x', problemOf }), { code: 'EHR_UNAVAILABLE' });
});
