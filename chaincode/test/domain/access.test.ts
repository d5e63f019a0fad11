import t from 'tap';
import { checkAccess, grantIsLive, type AccessQuery } from '../../src/domain/access';
import type { Grant, IdentityRecord, RelationshipRecord } from '../../src/domain/types';

const P = 'a'.repeat(64);
const D = 'b'.repeat(64);
const V = 'c'.repeat(64);
const rel: RelationshipRecord = {
  relationshipId: 'r'.repeat(64), patientId: P, providerId: D, providerMspId: 'Hospital1MSP',
  endpoint: 'https://h1.example/gk', status: 'accepted', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
};
const who = (pid: string, status: IdentityRecord['status'] = 'active'): IdentityRecord => ({
  identityId: 'i'.repeat(64), participantId: pid, mspId: 'Hospital1MSP', role: 'patient', status,
  registeredAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', supersededBy: null,
});
const grant: Grant = {
  relationshipId: rel.relationshipId, viewerId: V, items: [{ category: 'Observation', fields: ['code'] }],
  validUntil: '2026-02-01T00:00:00.000Z', purpose: 'TREAT', status: 'granted', grantedAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
};
const pointer = { relationshipId: rel.relationshipId, category: 'Observation' as const, hash: 'f'.repeat(64), version: 2, updatedAt: '2026-01-02T00:00:00.000Z' };
const q = (over: Partial<AccessQuery>): AccessQuery => ({
  relationship: rel, requester: who(P), grant: null, pointer, category: 'Observation', fields: [], now: '2026-01-10T00:00:00.000Z', ...over,
});

t.test('decisions, one per rule', async (t) => {
  const cases: [string, Partial<AccessQuery>, string][] = [
    ['patient', {}, 'ALLOWED_PATIENT'],
    ['provider', { requester: who(D) }, 'ALLOWED_PROVIDER'],
    ['viewer', { requester: who(V), grant }, 'ALLOWED_VIEWER'],
    ['stranger', { requester: who(V) }, 'NOT_A_PARTY'],
    ['superseded', { requester: who(P, 'superseded') }, 'IDENTITY_INACTIVE'],
    ['deleted', { relationship: { ...rel, status: 'deleted' } }, 'RELATIONSHIP_DELETED'],
    ['rejected', { relationship: { ...rel, status: 'rejected' } }, 'RELATIONSHIP_REJECTED'],
    ['patient while new', { relationship: { ...rel, status: 'new' } }, 'ALLOWED_PATIENT'],
    ['viewer while new', { relationship: { ...rel, status: 'new' }, requester: who(V), grant }, 'RELATIONSHIP_NOT_ACCEPTED'],
    ['viewer, revoked', { requester: who(V), grant: { ...grant, status: 'revoked' } }, 'GRANT_REVOKED'],
    ['viewer, expired', { requester: who(V), grant, now: grant.validUntil }, 'GRANT_EXPIRED'],
    ['viewer, other category', { requester: who(V), grant, category: 'Condition' }, 'CATEGORY_NOT_GRANTED'],
    ['viewer, other field', { requester: who(V), grant, fields: ['note'] }, 'FIELD_NOT_GRANTED'],
    ['no pointer', { pointer: null }, 'NO_POINTER'],
  ];
  for (const [name, over, code] of cases) {
    const d = checkAccess(q(over));
    t.equal(d.code, code, name);
    t.equal(d.allowed, code.startsWith('ALLOWED'), `${name}: allowed matches the code`);
    t.ok(d.reason.length > 0, `${name}: a reason is given`);
    if (!d.allowed) t.same([d.fields, d.pointer], [[], null], `${name}: a denial discloses no pointer`);
  }
  t.match(checkAccess(q({ requester: who(V), grant })), { validUntil: grant.validUntil, fields: ['code'], pointer: { version: 2 } });
  t.equal(checkAccess(q({})).validUntil, null, 'a party has no expiry');
});

t.test('grantIsLive', async (t) => {
  t.equal(grantIsLive(null, '2026-01-10T00:00:00.000Z'), false);
  t.equal(grantIsLive(grant, '2026-01-10T00:00:00.000Z'), true);
  t.equal(grantIsLive(grant, grant.validUntil), false);
  t.equal(grantIsLive({ ...grant, status: 'revoked' }, '2026-01-10T00:00:00.000Z'), false);
});
