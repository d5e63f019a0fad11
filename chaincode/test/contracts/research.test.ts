import t from 'tap';
import { assignSteward } from '../../src/domain/research';
import type { CohortPage, ConsentView, Release, ResearchBudget, ResearchConsent, ResearchQuery, Steward } from '../../src/domain/research-types';
import { keys } from '../../src/domain/keys';
import { BOUNTY, CONSENT_ALL, patientOfH2, relationshipOf, stewards, study, studyJson } from '../support/research';
import { cast, codeOf, H, H1, H2, lastEvent, refused, type Actor, type Cast } from '../support/world';

const page = (c: Cast, provider: Actor, q: string, requester: Actor, bookmark = '') =>
  c.w.evaluate<CohortPage>(provider, 'Research:prepareRelease', q, requester.iid, bookmark);
const release = (c: Cast, provider: Actor, q: string, requester: Actor, hash = H('e')) =>
  c.w.submit<Release>(provider, 'Research:recordRelease', q, requester.iid, JSON.stringify({ answerHash: hash, cells: 3 }));

t.test('a patient opts in per relationship; the consent is on the ledger, endorsed by the provider, and readable', async (t) => {
  const c = await cast();
  const rel = await relationshipOf(c, c.patient);
  const consent = await c.w.submit<ResearchConsent>(c.patient, 'Research:consent', rel, CONSENT_ALL);
  t.match(consent, { relationshipId: rel, patientId: c.patient.pid, providerMspId: H1, status: 'active', studyId: null, validUntil: null });
  t.same(lastEvent(c.w), { name: 'ResearchConsented', notifications: [{ participantId: c.patient.pid, relationshipId: rel, status: 'research_opted_in' }] });
  t.ok(c.w.ledger.validation.has(keys.researchConsent(H1, rel)), 'the consent key is endorsed by the provider');
  const mine = await c.w.evaluate<ConsentView[]>(c.patient, 'Research:consents');
  t.same(mine.map((v) => [v.relationshipId, v.consent?.status]), [[rel, 'active']]);
  const asked = await c.w.evaluate<ConsentView>(c.records1, 'Research:consentOf', rel, c.patient.iid);
  t.equal(asked.requesterIsPatient, true, "the gatekeeper learns the signer is this relationship's patient");
  t.equal((await c.w.evaluate<ConsentView>(c.records1, 'Research:consentOf', rel, c.viewer.iid)).requesterIsPatient, false);
  const withdrawn = await c.w.submit<ResearchConsent>(c.patient, 'Research:withdraw', rel);
  t.equal(withdrawn.status, 'withdrawn');
  t.equal(lastEvent(c.w).name, 'ResearchWithdrawn');
  await refused(t, c.w, c.patient, 'Research:withdraw', [rel], 'CONFLICT');
});

t.test('consent refusals change nothing', async (t) => {
  const c = await cast();
  const rel = await relationshipOf(c, c.patient);
  const other = await relationshipOf(c, c.patient2);
  await refused(t, c.w, c.patient, 'Research:consent', [other, CONSENT_ALL], 'FORBIDDEN');
  await refused(t, c.w, c.patient, 'Research:consent', [rel, '{"categories":["Patient"],"note":"Jane Doe"}'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.patient, 'Research:consent', [rel, '{"categories":["Blood"]}'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.patient, 'Research:consent', [rel, '{"categories":[]}'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.patient, 'Research:consent', [rel, '{"categories":["Patient","Patient"]}'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.patient, 'Research:consent', [rel, JSON.stringify({ categories: ['Patient'], validUntil: '2025-01-01T00:00:00Z' })], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.patient, 'Research:consent', [rel, JSON.stringify({ categories: ['Patient'], validUntil: '2046-01-01T00:00:00Z' })], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.patient, 'Research:consent', [rel, JSON.stringify({ categories: ['Patient'], studyId: H('7') })], 'NOT_FOUND');
  await refused(t, c.w, c.patient, 'Research:consent', [H('0'), CONSENT_ALL], 'NOT_FOUND');
  await refused(t, c.w, c.patient, 'Research:withdraw', [rel], 'CONFLICT');
  // all or nothing: a good item and a foreign one
  const batch = JSON.stringify([{ relationshipId: rel, consent: JSON.parse(CONSENT_ALL) }, { relationshipId: other, consent: null }]);
  await refused(t, c.w, c.patient, 'Research:consentBatch', [batch], 'FORBIDDEN');
  const twice = JSON.stringify([{ relationshipId: rel, consent: null }, { relationshipId: rel, consent: null }]);
  await refused(t, c.w, c.patient, 'Research:consentBatch', [twice], 'INVALID_ARGUMENT');
  const tooMany = JSON.stringify(Array.from({ length: 501 }, (_, i) => ({ relationshipId: i.toString(16).padStart(64, '0'), consent: null })));
  await refused(t, c.w, c.patient, 'Research:consentBatch', [tooMany], 'LIMIT_EXCEEDED');
  await c.w.submit(c.patient, 'Relationship:reject', rel);
  await refused(t, c.w, c.patient, 'Research:consent', [rel, CONSENT_ALL], 'CONFLICT');
  // a bounty is not a study one can consent to alone
  await stewards(c);
  const bounty = await c.w.submit<{ bountyId: string }>(c.provider1, 'Relationship:putPointerWithBounty', other, 'Observation', H('9'), BOUNTY);
  const bea = await patientOfH2(c);
  const fresh = await relationshipOf(c, bea, c.provider2);
  await refused(t, c.w, bea, 'Research:consent', [fresh, JSON.stringify({ categories: ['Patient'], studyId: bounty.bountyId })], 'INVALID_ARGUMENT');
});

t.test("a batch opt-in and opt-out over a patient's relationships, each consent endorsed by its provider's hospital", async (t) => {
  const c = await cast();
  // One identity holds one open relationship per hospital, and only where it was registered (docs/privacy.md §3):
  // her second relationship here is the one a deleted first left room for.
  const gone = await relationshipOf(c, c.patient);
  await c.w.submit(c.patient, 'Relationship:remove', gone);
  const at1 = await relationshipOf(c, c.patient);
  const bea = await patientOfH2(c);
  const at2 = await relationshipOf(c, bea, c.provider2);
  const items = [at1].map((relationshipId) => ({ relationshipId, consent: JSON.parse(CONSENT_ALL) }));
  t.same(await c.w.submit(c.patient, 'Research:consentBatch', JSON.stringify(items)), [at1], 'ids only in the block');
  t.same(await c.w.submit(bea, 'Research:consentBatch', JSON.stringify([{ relationshipId: at2, consent: JSON.parse(CONSENT_ALL) }])), [at2]);
  t.ok(c.w.ledger.validation.has(keys.researchConsent(H1, at1)), "each consent endorsed by its own provider's hospital");
  t.ok(c.w.ledger.validation.has(keys.researchConsent(H2, at2)), "each consent endorsed by its own provider's hospital");
  await refused(t, c.w, c.patient, 'Research:consentBatch', [JSON.stringify([{ relationshipId: at1, consent: null }, { relationshipId: at2, consent: null }])], 'FORBIDDEN');
  await c.w.submit(c.patient, 'Research:consentBatch', JSON.stringify([{ relationshipId: at1, consent: null }]));
  t.equal(lastEvent(c.w).name, 'ResearchWithdrawn');
  const mine = await c.w.evaluate<ConsentView[]>(c.patient, 'Research:consents');
  t.same(mine.map((v) => [v.relationshipId, v.consent?.status ?? null]).sort(), [[at1, 'withdrawn'], [gone, null]].sort(), 'her deleted relationship never held a consent');
});

t.test('a hospital without any consent answers an empty cohort (Fabric sends no page metadata then)', async (t) => {
  const c = await cast();
  const q = await study(c);
  const empty = await page(c, c.records1, q, c.researcher);
  t.same([empty.patients, empty.bookmark], [[], ''], 'no patients, one page');
  await relationshipOf(c, await patientOfH2(c), c.provider2);
  t.same((await page(c, c.provider2, q, c.researcher)).patients, [], 'a relationship without a consent is not in it either');
});

t.test('the cohort at answer time: only consents that cover the query, at this hospital, now', async (t) => {
  const c = await cast();
  const w = c.w;
  const q = await study(c);
  const patients: Actor[] = [];
  for (const name of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']) patients.push(await w.register(c.registrar1, await w.person(name, H1, 'patient')));
  const rels: string[] = [];
  for (const p of patients) rels.push(await relationshipOf(c, p));
  const p0AtH2 = await patientOfH2(c, 'p0h2');
  const atH2 = await relationshipOf(c, p0AtH2, c.provider2);
  const other = await study(c);
  const consent = (i: number, terms: object) => w.submit(patients[i]!, 'Research:consent', rels[i]!, JSON.stringify(terms));
  await consent(0, { categories: ['Patient', 'Observation'] });
  await consent(1, { categories: ['Patient', 'Observation'], studyId: q });
  await consent(2, { categories: ['Patient'] }); // Observation not covered
  await consent(3, { categories: ['Patient', 'Observation'], studyId: other }); // another study
  await consent(4, { categories: ['Patient', 'Observation'], validUntil: '2026-01-01T01:00:00.000Z' }); // expires soon
  await consent(5, { categories: ['Patient', 'Observation'] });
  await w.submit(patients[5]!, 'Research:withdraw', rels[5]!);
  await consent(6, { categories: ['Patient', 'Observation'] });
  await w.submit(patients[6]!, 'Relationship:remove', rels[6]!);
  // patient 7 never consents; Hospital2's patient consents there
  await w.submit(p0AtH2, 'Research:consent', atH2, CONSENT_ALL);

  const first = await page(c, c.records1, q, c.researcher);
  t.same(first.patients.sort(), [patients[0]!.pid, patients[1]!.pid, patients[4]!.pid].sort(), 'covered, named this study, not yet expired');
  t.equal(first.bookmark, '', 'one page');
  t.equal(first.query.queryId, q);
  const h2 = await page(c, c.provider2, q, c.researcher);
  t.same(h2.patients, [p0AtH2.pid], 'Hospital2 sees only its own relationship');
  const later = await w.ledger.invoke(c.records1.creator, 'Research:prepareRelease', [q, c.researcher.iid, ''], { commit: false, at: new Date('2026-01-01T02:00:00.000Z') });
  t.same((JSON.parse(later.payload) as CohortPage).patients.sort(), [patients[0]!.pid, patients[1]!.pid].sort(), 'an expired consent drops out');
  t.equal(codeOf(await w.call(c.records1, 'Research:prepareRelease', [q, c.researcher.iid, 'x'], false)), 'INVALID_ARGUMENT', 'a foreign bookmark');
  t.equal(codeOf(await w.call(c.records1, 'Research:prepareRelease', [q, c.researcher.iid, keys.budget(c.researcher.pid)], false)), 'INVALID_ARGUMENT', 'a bookmark outside the consents');
  t.equal(codeOf(await w.call(c.records1, 'Research:prepareRelease', [q, c.viewer.iid, ''], false)), 'FORBIDDEN', 'not the researcher');
  t.equal(codeOf(await w.call(c.records1, 'Research:prepareRelease', [q, H('5'), ''], false)), 'NOT_FOUND', 'an unregistered requester');
  t.equal(codeOf(await w.call(c.records1, 'Research:prepareRelease', [H('6'), c.researcher.iid, ''], false)), 'NOT_FOUND', 'no such study');
});

t.test('a release is recorded once per hospital, charged to the budget, and never carries a cohort or a value', async (t) => {
  const c = await cast();
  const q = await study(c);
  const r1 = await release(c, c.records1, q, c.researcher);
  t.match(r1, { queryId: q, mspId: H1, requesterId: c.researcher.pid, answerHash: H('e'), epsilon: 1, cells: 3 });
  t.same(lastEvent(c.w), { name: 'AnswerReleased', notifications: [{ participantId: c.researcher.pid, status: 'answer_released' }] });
  await refused(t, c.w, c.records1, 'Research:recordRelease', [q, c.researcher.iid, JSON.stringify({ answerHash: H('f'), cells: 1 })], 'CONFLICT');
  t.equal(codeOf(await c.w.call(c.records1, 'Research:prepareRelease', [q, c.researcher.iid, ''], false)), 'CONFLICT', 'nothing more to prepare here');
  await release(c, c.provider2, q, c.researcher);
  const all = await c.w.evaluate<Release[]>(c.auditor, 'Research:releases', q);
  t.same(all.map((r) => r.mspId), [H1, H2]);
  t.same(Object.keys(all[0]!).sort(), ['answerHash', 'cells', 'epsilon', 'mspId', 'queryId', 'releasedAt', 'requesterId', 'txId']);
  t.same(await c.w.evaluate<ResearchBudget>(c.researcher, 'Research:budget', c.researcher.pid), { participantId: c.researcher.pid, spent: 2, limit: 5, releases: 2 }, 'every hospital\'s answer is charged');
  await refused(t, c.w, c.records1, 'Research:recordRelease', [q, c.researcher.iid, '{"answerHash":"x","cells":1}'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.records1, 'Research:recordRelease', [q, c.researcher.iid, JSON.stringify({ answerHash: H('1'), cells: 1, values: [5] })], 'INVALID_ARGUMENT');
});

t.test('the privacy budget: releases stop at the limit, and a study the budget cannot pay is refused', async (t) => {
  const c = await cast();
  const expensive = studyJson({ epsilon: 1 });
  for (let i = 0; i < 5; i++) {
    const q = await study(c, c.researcher, expensive);
    await release(c, c.records1, q, c.researcher);
  }
  t.equal((await c.w.evaluate<ResearchBudget>(c.auditor, 'Research:budget', c.researcher.pid)).spent, 5);
  await refused(t, c.w, c.researcher, 'Research:submitStudy', [studyJson({ epsilon: 0.1 })], 'LIMIT_EXCEEDED');
  // spent by another route: a study submitted earlier, with the budget used up since
  const c2 = await cast();
  const early = await study(c2, c2.researcher, studyJson({ epsilon: 1 }));
  for (let i = 0; i < 5; i++) await release(c2, c2.records1, await study(c2, c2.researcher, expensive), c2.researcher);
  await refused(t, c2.w, c2.records1, 'Research:recordRelease', [early, c2.researcher.iid, JSON.stringify({ answerHash: H('a'), cells: 1 })], 'LIMIT_EXCEEDED');
  t.equal(codeOf(await c2.w.call(c2.records1, 'Research:prepareRelease', [early, c2.researcher.iid, ''], false)), 'LIMIT_EXCEEDED');
});

t.test('a closed study is answered nowhere', async (t) => {
  const c = await cast();
  const q = await study(c, c.researcher, studyJson({ validUntil: '2026-01-01T00:10:00.000Z' }));
  const at = new Date('2026-01-01T00:20:00.000Z');
  const res = await c.w.ledger.invoke(c.records1.creator, 'Research:recordRelease', [q, c.researcher.iid, JSON.stringify({ answerHash: H('a'), cells: 1 })], { commit: true, at });
  t.equal(codeOf(res), 'EXPIRED');
  const open = await c.w.evaluate<ResearchQuery[]>(c.patient, 'Research:studies');
  t.same(open.map((s) => s.queryId), [q], 'still open at the ledger clock');
});

t.test('study validation: the catalogue vocabulary only', async (t) => {
  const c = await cast();
  const bad: Record<string, unknown>[] = [
    { template: 'SELECT * FROM patients' },
    { template: 'lab-mean', code: '9999-9' },
    { template: 'lab-mean', code: 'HbA1c' },
    { template: 'lab-mean', criteria: {} },
    { template: 'patient-count', code: '2345-7', criteria: {} },
    { template: 'patient-count', criteria: { period: { from: '2020-01-01', to: '2021-01-01' } } },
    { criteria: { period: { from: '2021-01-01', to: '2020-01-01' } } },
    { criteria: { period: { from: '2021-02-30', to: '2022-01-01' } } },
    { criteria: { period: { from: '1800-01-01', to: '2022-01-01' } } },
    { criteria: { period: { from: '2020-01-01', to: '2025-01-01' }, sex: ['female', 'female'] } },
    { criteria: { period: { from: '2020-01-01', to: '2025-01-01' }, ageBands: ['20-30'] } },
    { criteria: { period: { from: '2020-01-01', to: '2025-01-01' }, conditions: ['diabetes'] } },
    { criteria: { period: { from: '2020-01-01', to: '2025-01-01' }, conditions: ['44054006', '38341003', '195967001', '55822004', '35489007'] } },
    { criteria: { period: { from: '2020-01-01', to: '2025-01-01' }, mrn: 'H1-000100' } },
    { groupBy: ['postalCode'] },
    { epsilon: 0 },
    { epsilon: 2 },
    { epsilon: 0.12345 },
    { epsilon: '1' },
    { validUntil: '2025-01-01T00:00:00.000Z' },
    { validUntil: '2028-01-01T00:00:00.000Z' },
    { protocolHash: 'IRB-2026-001' },
    { title: 'Iron levels of Jane Doe' },
  ];
  for (const b of bad) {
    await refused(t, c.w, c.researcher, 'Research:submitStudy', [studyJson(b)], 'INVALID_ARGUMENT');
  }
  const q = await c.w.evaluate<ResearchQuery>(c.patient, 'Research:query', await study(c, c.researcher, studyJson({ protocolHash: H('4'), groupBy: ['sex', 'ageBand'] })));
  t.match(q, { kind: 'study', ownerId: c.researcher.pid, ownerMspId: H1, providerMspId: null, protocolHash: H('4'), template: 'lab-mean', code: '2345-7', groupBy: ['sex', 'ageBand'] });
});

t.test('stewards: one per organisation, named by its own registrar', async (t) => {
  const c = await cast();
  const r2 = await c.w.register(c.registrar2, await c.w.person('stella', H2, 'researcher'));
  await refused(t, c.w, c.registrar1, 'Research:registerSteward', [r2.pid], 'FORBIDDEN');
  await refused(t, c.w, c.registrar1, 'Research:registerSteward', [c.patient.pid], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.registrar1, 'Research:registerSteward', [H('3')], 'NOT_FOUND');
  await c.w.submit(c.registrar2, 'Research:registerSteward', r2.pid);
  await refused(t, c.w, c.registrar2, 'Research:registerSteward', [r2.pid], 'CONFLICT');
  const listed = await c.w.evaluate<Steward[]>(c.patient, 'Research:stewards');
  t.same(listed.map((s) => [s.mspId, s.participantId]), [[H2, r2.pid]]);
  t.ok(c.w.ledger.validation.has(keys.steward(H2)));
});

t.test('a bounty rides on a pointer update, goes to one steward by the transaction id, and is collected once by it alone', async (t) => {
  const c = await cast();
  const rel = await relationshipOf(c, c.patient);
  const before = c.w.snapshot();
  const none = await c.w.call(c.provider1, 'Relationship:putPointerWithBounty', [rel, 'Observation', H('9'), BOUNTY], true);
  t.equal(codeOf(none), 'CONFLICT', 'no steward yet: refused');
  t.equal(c.w.snapshot(), before, 'and the pointer was not moved either');
  const { steward2 } = await stewards(c);
  await refused(t, c.w, c.provider1, 'Relationship:putPointerWithBounty', [rel, 'Observation', H('9'), '{"template":"patient-count","epsilon":1,"sql":"SELECT 1"}'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.provider2, 'Relationship:putPointerWithBounty', [rel, 'Observation', H('9'), BOUNTY], 'FORBIDDEN');

  const res = await c.w.submit<{ pointer: { version: number }; bountyId: string; stewardId: string }>(c.provider1, 'Relationship:putPointerWithBounty', rel, 'Observation', H('9'), BOUNTY);
  const txId = c.w.ledger.events.at(-1)!.txId;
  const expected = assignSteward(txId, await c.w.evaluate<Steward[]>(c.patient, 'Research:stewards'), H1);
  t.equal(res.stewardId, expected!.participantId, 'the steward the domain rule picks from the tx id');
  t.equal(res.stewardId, steward2.pid, "Hospital1's own steward is passed over while another exists");
  t.equal(res.pointer.version, 2, 'the pointer moved as in putPointer');
  const event = lastEvent(c.w);
  t.equal(event.name, 'PointerUpdated');
  t.same(event.notifications[1], { participantId: steward2.pid, status: 'bounty_assigned' });
  const bounty = await c.w.evaluate<ResearchQuery>(c.auditor, 'Research:query', res.bountyId);
  t.match(bounty, { kind: 'bounty', ownerId: steward2.pid, ownerMspId: H2, providerMspId: H1, template: 'patient-count', epsilon: 0.5 });
  t.same((await c.w.evaluate<(ResearchQuery & { collected: boolean })[]>(steward2, 'Research:bounties')).map((b) => [b.queryId, b.collected]), [[res.bountyId, false]]);
  t.same(await c.w.evaluate(c.researcher, 'Research:bounties'), [], 'the other steward has none');

  t.equal(codeOf(await c.w.call(c.records1, 'Research:prepareRelease', [res.bountyId, c.researcher.iid, ''], false)), 'FORBIDDEN', 'another steward');
  t.equal(codeOf(await c.w.call(c.provider2, 'Research:prepareRelease', [res.bountyId, steward2.iid, ''], false)), 'FORBIDDEN', 'another hospital');
  t.equal((await page(c, c.records1, res.bountyId, steward2)).bookmark, '');
  await refused(t, c.w, c.records1, 'Research:recordRelease', [res.bountyId, c.researcher.iid, JSON.stringify({ answerHash: H('a'), cells: 1 })], 'FORBIDDEN');
  await release(c, c.records1, res.bountyId, steward2);
  t.same((await c.w.evaluate<(ResearchQuery & { collected: boolean })[]>(steward2, 'Research:bounties')).map((b) => b.collected), [true]);
  await refused(t, c.w, c.records1, 'Research:recordRelease', [res.bountyId, steward2.iid, JSON.stringify({ answerHash: H('b'), cells: 1 })], 'CONFLICT');
  t.equal((await c.w.evaluate<ResearchBudget>(steward2, 'Research:budget', steward2.pid)).spent, 0.5, "charged to the steward's budget");
});

t.test('a consent for one named study covers that study only, never a bounty', async (t) => {
  const c = await cast();
  await stewards(c);
  const q = await study(c, c.researcher, studyJson({ template: 'patient-count', code: null, criteria: {} }));
  const rel = await relationshipOf(c, c.patient);
  await c.w.submit(c.patient, 'Research:consent', rel, JSON.stringify({ categories: ['Patient'], studyId: q }));
  t.same((await page(c, c.records1, q, c.researcher)).patients, [c.patient.pid]);
  const other = await study(c, c.researcher, studyJson({ template: 'patient-count', code: null, criteria: {} }));
  t.same((await page(c, c.records1, other, c.researcher)).patients, []);
  const rel2 = await relationshipOf(c, c.patient2);
  const b = await c.w.submit<{ bountyId: string; stewardId: string }>(c.provider1, 'Relationship:putPointerWithBounty', rel2, 'Observation', H('8'), BOUNTY);
  const steward = [...c.w.actors.values()].find((a) => a.pid === b.stewardId)!;
  t.same((await page(c, c.records1, b.bountyId, steward)).patients, []);
});

t.test('gatekeepers publish where they answer and what their catalogue implements', async (t) => {
  const c = await cast();
  await c.w.submit(c.records1, 'Research:publishGatekeeper', 'https://h1.example', JSON.stringify(['patient-count', 'lab-mean']));
  await c.w.submit(c.records1, 'Research:publishGatekeeper', 'https://h1.example', JSON.stringify(['patient-count']));
  await c.w.submit(c.provider2, 'Research:publishGatekeeper', 'https://h2.example', '[]');
  const entries = await c.w.evaluate<{ mspId: string; templates: string[] }[]>(c.researcher, 'Research:gatekeepers');
  t.same(entries.map((e) => [e.mspId, e.templates]), [[H1, ['patient-count']], [H2, []]]);
  await refused(t, c.w, c.records1, 'Research:publishGatekeeper', ['ftp://x', '[]'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.records1, 'Research:publishGatekeeper', ['https://h1.example', '["DROP TABLE"]'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.records1, 'Research:publishGatekeeper', ['https://h1.example', '["lab-mean","lab-mean"]'], 'INVALID_ARGUMENT');
});
