import t from 'tap';
import * as domain from '../../src/domain/index';
import { ageReference, assignSteward, charge, consentCovers, emptyBudget, loadConsent, queryCategories, queryIdFor, storeConsent } from '../../src/domain/research';
import type { ResearchConsent, ResearchQuery } from '../../src/domain/research-types';
import { requireEpsilon } from '../../src/domain/research-validation';
import { sha256hex } from '../../src/domain/ids';
import type { RelationshipRecord } from '../../src/domain/types';

const H = (c: string) => c.repeat(64);
const NOW = '2026-03-01T00:00:00.000Z';
const rel = (status: RelationshipRecord['status'] = 'accepted'): RelationshipRecord => ({
  relationshipId: H('1'), patientId: H('2'), providerId: H('3'), providerMspId: 'H1', endpoint: 'https://h1', status, createdAt: NOW, updatedAt: NOW,
});
const query = (over: Partial<ResearchQuery> = {}): ResearchQuery => ({
  queryId: H('9'), kind: 'study', ownerId: H('8'), ownerMspId: 'H1', providerMspId: null, protocolHash: null,
  template: 'lab-mean', code: '2345-7', criteria: { period: { from: '2020-01-01', to: '2025-01-01' } }, groupBy: [], epsilon: 1,
  createdAt: NOW, validUntil: '2026-06-01T00:00:00.000Z', ...over,
});
const consent = (over: Partial<ResearchConsent> = {}): ResearchConsent => ({
  relationshipId: H('1'), patientId: H('2'), providerMspId: 'H1', categories: ['Patient', 'Observation'], studyId: null, validUntil: null,
  status: 'active', updatedAt: NOW, ...over,
});

t.test('the domain index exports the research rules', async (t) => {
  for (const name of ['consentCovers', 'assignSteward', 'charge', 'parseStudyJson', 'RESEARCH_TEMPLATES', 'RESEARCH_LIMITS']) t.ok(name in domain, name);
});

t.test('which categories a query reads', async (t) => {
  t.same(queryCategories(query()), ['Patient', 'Observation']);
  t.same(queryCategories(query({ template: 'patient-count', criteria: {} })), ['Patient']);
  t.same(queryCategories(query({ template: 'medication-count', criteria: { conditions: ['44054006'] } })), ['Patient', 'MedicationRequest', 'Condition']);
});

t.test('whose consent covers a query', async (t) => {
  t.ok(consentCovers(consent(), rel(), query(), NOW));
  t.ok(consentCovers(consent(), rel('new'), query(), NOW), 'a relationship the patient has not accepted yet but may read');
  t.notOk(consentCovers(consent(), rel('rejected'), query(), NOW));
  t.notOk(consentCovers(consent(), rel('deleted'), query(), NOW));
  t.notOk(consentCovers(consent({ status: 'withdrawn' }), rel(), query(), NOW));
  t.notOk(consentCovers(consent({ categories: ['Patient'] }), rel(), query(), NOW), 'Observation not consented');
  t.notOk(consentCovers(consent({ validUntil: NOW }), rel(), query(), NOW), 'expires at validUntil');
  t.ok(consentCovers(consent({ validUntil: '2026-03-02T00:00:00.000Z' }), rel(), query(), NOW));
  t.ok(consentCovers(consent({ studyId: H('9') }), rel(), query(), NOW), 'named study');
  t.notOk(consentCovers(consent({ studyId: H('7') }), rel(), query(), NOW), 'another study');
  t.notOk(consentCovers(consent({ studyId: H('9') }), rel(), query({ kind: 'bounty' }), NOW), 'a named-study consent never covers a bounty');
  t.notOk(consentCovers(consent(), rel(), query({ criteria: { conditions: ['44054006'], period: { from: '2020-01-01', to: '2021-01-01' } } }), NOW), 'conditions need Condition');
});

t.test('ids and the age reference day', async (t) => {
  t.equal(queryIdFor('study', 'tx1'), sha256hex('study:tx1'));
  t.not(queryIdFor('study', 'tx1'), queryIdFor('bounty', 'tx1'));
  t.equal(ageReference(query()), '2025-01-01');
  t.equal(ageReference(query({ criteria: {} })), '2026-03-01');
});

t.test('steward assignment: deterministic from the tx id, spread over the stewards, own organisation passed over', async (t) => {
  const stewards = ['H3', 'H1', 'H2'].map((mspId, i) => ({ mspId, participantId: H(String(i + 4)), registeredAt: NOW }));
  t.equal(assignSteward('tx1', stewards, 'X'), assignSteward('tx1', [...stewards].reverse(), 'X'), 'independent of scan order');
  const counts = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const s = assignSteward(`tx${i}`, stewards, 'H1')!;
    counts.set(s.mspId, (counts.get(s.mspId) ?? 0) + 1);
  }
  t.notOk(counts.has('H1'), "the provider's own steward is never picked while others exist");
  t.ok(Math.abs(counts.get('H2')! - 1500) < 150 && Math.abs(counts.get('H3')! - 1500) < 150, `roughly even: ${[...counts]}`);
  t.equal(assignSteward('tx', [stewards[1]!], 'H1')!.mspId, 'H1', 'the only steward, even its own');
  t.equal(assignSteward('tx', [], 'H1'), undefined);
});

t.test('budgets are summed exactly in thousandths', async (t) => {
  let b = emptyBudget(H('1'));
  for (let i = 0; i < 50; i++) b = charge(b, 0.1);
  t.same(b, { participantId: H('1'), spent: 5, limit: 5, releases: 50 }, '50 × 0.1 is exactly 5');
  t.throws(() => charge(b, 0.1), /LIMIT_EXCEEDED/);
  t.equal(requireEpsilon(0.3), 0.3);
  t.throws(() => requireEpsilon(0.1234), /three decimals/);
  t.throws(() => requireEpsilon(Number.NaN), /number/);
  t.throws(() => requireEpsilon(0.05), /lie in/);
});

t.test('stored consents keep what the key does not say, and a withdrawal keeps the terms for history', async (t) => {
  const stored = storeConsent(H('2'), { categories: ['Patient'], studyId: H('9'), validUntil: '2027-01-01T00:00:00.000Z' }, NOW);
  t.same(stored, { p: H('2'), c: ['Patient'], s: H('9'), u: '2027-01-01T00:00:00.000Z', a: NOW });
  const out = storeConsent(H('2'), null, '2026-04-01T00:00:00.000Z', stored);
  t.same(loadConsent(H('1'), 'H1', out), { relationshipId: H('1'), patientId: H('2'), providerMspId: 'H1', categories: ['Patient'], studyId: H('9'), validUntil: '2027-01-01T00:00:00.000Z', status: 'withdrawn', updatedAt: '2026-04-01T00:00:00.000Z' });
  t.same(storeConsent(H('2'), null, NOW), { p: H('2'), c: [], w: true, a: NOW });
});
