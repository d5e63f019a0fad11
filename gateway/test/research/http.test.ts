/**
 * Research end to end over HTTP (docs/research.md): two hospitals on the embedded ledger with the real
 * chaincode, a seeded research population whose consents each patient signed, named patients whose
 * EHR rows the test edits, researchers and stewards. Every answer comes from a gatekeeper over a real
 * socket, its release recorded on the ledger before it is sent.
 */
import t from 'tap';
import { RESEARCH_LABS, type ResearchQuery } from '@medrec/chaincode/domain';
import type { ReleasedAnswer, ReleasedCell, ResearchAnswer } from '@medrec/client/protocol';
import { Research } from '../../src/contract/medrec.js';
import { signClaims, signRequest } from '../../src/services/gatekeeper/signed-request.js';
import { requestAnswer } from '../../src/services/research/client.js';
import { api, type Json } from '../http/support.js';
import { estimateValue, valueErrorStd, type Pair } from '../support/differencing.js';
import { seededNoise } from '../support/noise.js';
import type { Hospital, Person } from '../support/world.js';
import { openResearchWorld, setGlucose } from './support.js';

const rw = await openResearchWorld();
t.teardown(() => rw.close());
const { w, provider, researchers, stewards, patients } = rw;
const { h1, h2 } = w;
const [p, q, target] = patients as [(typeof patients)[0], (typeof patients)[0], (typeof patients)[0]];
const until = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
const GLUCOSE = RESEARCH_LABS['2345-7'];
const MID = (GLUCOSE.lo + GLUCOSE.hi) / 2;
const RANGE = GLUCOSE.hi - GLUCOSE.lo;
const glucose = (from: string, to: string, epsilon = 1) => ({ template: 'lab-mean', code: '2345-7', criteria: { period: { from, to } }, epsilon, validUntil: until });

async function study(researcher: Person, body: Json): Promise<string> {
  const res = await rw.as(h1, researcher, 'POST', '/research/studies', body);
  if (res.status !== 201) throw new Error(`study → ${res.status} ${res.json.code}: ${res.json.detail}`);
  return res.json.queryId as string;
}

const collect = (researcher: Person, queryId: string) => rw.as(h1, researcher, 'POST', `/research/queries/${queryId}/collect`);
const answerAt = (collection: Json, h: Hospital): Json => (collection.hospitals as Json[]).find((o) => o.mspId === h.mspId)!;
/** What the pre-noise aggregate would be for this researcher's query at a hospital: in-process only. */
const exact = (h: Hospital, researcher: Person, queryId: string) =>
  h.runtime.researchGatekeeper.exact({ claims: { query: queryId, aud: '', iat: 0, exp: 0, jti: '' }, identityId: researcher.identityId, mspId: researcher.mspId, enrollmentId: researcher.enrollmentId, role: 'researcher' });
const without = (a: ResearchAnswer) => ({ ...a, queryId: '', computedAt: '' });

// Everyone at Hospital 1 has a glucose result in 2021, so glucose studies there have cohorts large enough to release.
rw.ehr(h1).exec(`INSERT INTO lab_results (patient_id, loinc_code, test_name, value_num, unit_ucum, collected_at, result_status, updated_at)
  SELECT patient_id, '2345-7', 'Glucose', 70 + patient_id % 90, 'mg/dL', '2021-05-05T08:00:00Z', 'final', '2021-05-05T10:00:00Z' FROM patients`);

t.test('patients opt in and out per relationship over REST; others may not', async (t) => {
  const res = await api(h1.url, 'POST', '/research/consents', { token: p.token, body: { categories: ['Patient', 'Observation', 'Condition', 'MedicationRequest'] } });
  t.equal(res.status, 201, res.json.detail);
  t.same(res.json.relationshipIds, [p.relationshipId], 'every open relationship of hers (one here)');
  await api(h1.url, 'POST', '/research/consents', { token: target.token, body: { relationshipIds: [target.relationshipId], categories: ['Patient', 'Observation'] } });
  const mine = await api(h1.url, 'GET', '/research/consents', { token: p.token });
  t.same(mine.json.consents.map((c: Json) => [c.relationshipId, c.consent?.status]), [[p.relationshipId, 'active']]);
  t.same((await api(h1.url, 'GET', '/research/consents', { token: q.token })).json.consents.map((c: Json) => c.consent), [null], 'q never opted in');
  t.equal((await rw.as(h1, researchers[0]!, 'POST', '/research/consents', { categories: ['Patient'] })).status, 403, 'not a patient');
  t.equal((await api(h1.url, 'POST', '/research/consents', { token: q.token, body: { categories: ['Blood'] } })).json.code, 'VALIDATION_FAILED');
  t.equal((await api(h1.url, 'POST', '/research/consents', { token: q.token, body: { categories: ['Patient'], studyId: 'ab'.repeat(32) } })).status, 404, 'no such study');
  t.equal((await api(h1.url, 'POST', '/research/consents', { token: q.token, body: { relationshipIds: [p.relationshipId], categories: ['Patient'] } })).json.code, 'RELATIONSHIP_NOT_FOUND', "not q's relationship");
  const none = await api(h1.url, 'DELETE', `/research/consents/${q.relationshipId}`, { token: q.token });
  t.equal(none.json.code, 'NO_ACTIVE_CONSENT');
});

t.test('a study: both hospitals answer over their consenting patients, each answer checked against its ledger record and combined; a second collection is refused', async (t) => {
  const researcher = researchers[0]!;
  const queryId = await study(researcher, { template: 'patient-count', criteria: { sex: ['female', 'male'] }, groupBy: ['sex'], epsilon: 1, validUntil: until });
  const res = await collect(researcher, queryId);
  t.equal(res.status, 200, res.json.detail);
  for (const h of [h1, h2]) {
    const o = answerAt(res.json, h);
    t.match(o, { outcome: 'released', verified: true }, `${h.mspId} released, hash = ledger record`);
    const answer = o.answer as ResearchAnswer;
    t.match(answer, { queryId, mspId: h.mspId, template: 'patient-count', measure: 'count', groupBy: ['sex'] });
    for (const cell of [...answer.cells, answer.total!]) {
      if (!cell.suppressed) t.ok(cell.count >= answer.noise.threshold && cell.count >= 11, `${h.mspId} ${JSON.stringify(cell.cell)}: ${cell.count} ≥ ${answer.noise.threshold}`);
    }
    t.ok(answer.cells.some((c) => !c.suppressed), 'a population of 150 gives real answers');
  }
  const released = (h: Hospital) => (answerAt(res.json, h).answer as ResearchAnswer).cells.filter((c): c is ReleasedCell => !c.suppressed);
  const combinedFemale = (res.json.combined.cells as Json[]).find((c) => c.cell.sex === 'female')!;
  const female = [h1, h2].flatMap((h) => released(h).filter((c) => c.cell.sex === 'female').map((c) => c.count));
  t.equal(combinedFemale.count, female.reduce((a, b) => a + b, 0), 'combined = sum of the hospitals');

  const again = await collect(researcher, queryId);
  t.same((again.json.hospitals as Json[]).map((o) => [o.outcome, o.problem.status, o.problem.code]), [['refused', 409, 'ALREADY_RELEASED'], ['refused', 409, 'ALREADY_RELEASED']]);
  const other = await collect(researchers[1]!, queryId);
  t.same((other.json.hospitals as Json[]).map((o) => o.problem.code), ['QUERY_FORBIDDEN', 'QUERY_FORBIDDEN'], "only the study's researcher collects");
  const releases = await rw.as(h1, provider, 'GET', `/research/queries/${queryId}/releases`);
  t.same(releases.json.releases.map((r: Json) => [r.mspId, r.answerHash, r.epsilon]).sort(), [h1, h2].map((h) => [h.mspId, answerAt(res.json, h).answerHash, 1]).sort());
  t.same(Object.keys(releases.json.releases[0]).sort(), ['answerHash', 'cells', 'epsilon', 'mspId', 'queryId', 'releasedAt', 'requesterId', 'txId'], 'no cohort, no value on the ledger');
  const budget = await rw.as(h1, researcher, 'GET', `/research/budgets/${researcher.participantId}`);
  t.match(budget.json, { spent: 2, limit: 5, releases: 2 });
  const audited = h1.audit.records(1, 100_000).filter((r) => r.queryId === queryId);
  t.same(audited.map((r) => [r.decision, r.status]), [['RESEARCH_RELEASED', 200], ['ALREADY_RELEASED', 409], ['QUERY_FORBIDDEN', 403]], 'every answer and refusal audited with the query');
  t.ok(h1.audit.verify().ok, 'and the audit chain holds');
});

t.test("a non-consenting patient's values never change any answer; a consenting one's do", async (t) => {
  const researcher = researchers[1]!;
  const db = rw.ehr(h1);
  setGlucose(db, p.mrn, [['2022-03-01', 120]]);
  setGlucose(db, q.mrn, [['2022-03-01', 110]]);
  const spec = glucose('2015-01-01', '2025-01-01');
  const first = await study(researcher, spec);
  const before = await exact(h1, researcher, first);
  // Asked of Hospital 1's gatekeeper alone: a collection also releases at Hospital 2, whose release
  // charges the same budget concurrently, and a lost commit race recomputes (more noise drawn).
  const atH1 = async (queryId: string) => (await requestAnswer(researcher.signer, h1.url, queryId, { ...h1.runtime.gatekeepers, timeoutMs: 60_000 })).answer;
  h1.runtime.researchGatekeeper.noise = seededNoise('same-noise');
  const a1 = await atH1(first);

  setGlucose(db, q.mrn, [['2022-03-01', 399], ['2023-03-01', 398]]); // q never consented
  const second = await study(researcher, spec);
  t.same(await exact(h1, researcher, second), before, 'the exact aggregate does not move');
  h1.runtime.researchGatekeeper.noise = seededNoise('same-noise');
  const a2 = await atH1(second);
  t.same(without(a2), without(a1), 'with the same noise, the released answer is identical');

  setGlucose(db, p.mrn, [['2022-03-01', 399]]); // p consented
  const third = await study(researcher, spec);
  const after = await exact(h1, researcher, third);
  t.equal(after.total.count, before.total.count, 'same patients');
  t.equal(after.total.centredUnits - before.total.centredUnits, 399 - 120, "p's new value is in it");
});

t.test('opting out takes effect on the very next answer, and the patient sees which studies used her data, never the answers', async (t) => {
  const researcher = researchers[2]!;
  const queryId = await study(researcher, { template: 'patient-count', epsilon: 0.5, validUntil: until });
  const before = await exact(h1, researcher, queryId);
  const out = await api(h1.url, 'DELETE', '/research/consents', { token: p.token });
  t.equal(out.status, 200);
  t.same(out.json.relationshipIds, [p.relationshipId]);
  t.equal((await exact(h1, researcher, queryId)).total.count, before.total.count - 1, 'gone from the cohort the moment the opt-out commits');
  await collect(researcher, queryId);
  const seen = await api(h1.url, 'GET', '/research/inclusions', { token: p.token });
  t.equal(seen.status, 200);
  const listed = (seen.json.relationships as Json[])[0]!;
  t.equal(listed.providerMspId, h1.mspId);
  const ids = (listed.inclusions as Json[]).map((i) => i.queryId);
  t.notOk(ids.includes(queryId), 'not in the answer computed after her opt-out');
  t.ok(ids.length >= 2, 'but in the answers before it');
  t.ok((listed.inclusions as Json[]).every((i) => (i.query as ResearchQuery).template && !('answer' in i) && !('cells' in i)), 'what the studies were, not what they found');
  const qs = await api(h1.url, 'GET', '/research/inclusions', { token: q.token });
  t.same(qs.json.relationships[0].inclusions, [], 'the patient who never consented is in none');

  // Asked directly of the gatekeeper: only the relationship's patient gets an answer.
  const ask = async (who: Person) => {
    const jws = await signClaims(who.signer, { rel: p.relationshipId, aud: new URL(h1.url).origin });
    return api(h1.url, 'POST', '/gatekeeper/research/inclusions', { rawBody: jws, headers: { 'content-type': 'application/jose' } });
  };
  t.equal((await ask(q.person)).json.code, 'NOT_THE_PATIENT');
  t.equal((await ask(researcher)).status, 403, 'a researcher is no patient');
  t.equal((await ask(p.person)).status, 200);
});

t.test('a bounty rides on a pointer update, is assigned to one steward, collected once by it and refused to anyone else', async (t) => {
  for (const [h, steward] of [[h1, stewards.h1], [h2, stewards.h2]] as const) {
    const named = await rw.as(h, await rw.registrar(h), 'POST', '/research/stewards', { participantId: steward.participantId });
    t.equal(named.status, 201, named.json.detail);
  }
  t.equal((await rw.as(h1, researchers[0]!, 'POST', '/research/stewards', { participantId: stewards.h1.participantId })).status, 403, 'a registrar names stewards');
  const attached = await rw.as(h1, provider, 'POST', '/research/bounties', {
    relationshipId: target.relationshipId, category: 'Observation', template: 'patient-count', groupBy: ['sex'], epsilon: 0.5,
  });
  t.equal(attached.status, 201, attached.json.detail);
  t.equal(attached.json.stewardId, stewards.h2.participantId, "Hospital 2's steward: a provider's own steward is passed over");
  const bountyId = attached.json.bountyId as string;
  const strangers = await rw.as(h1, stewards.h1, 'POST', '/research/bounties', {
    relationshipId: target.relationshipId, category: 'Observation', template: 'patient-count', epsilon: 0.5,
  });
  t.equal(strangers.status, 403, 'a researcher attaches no bounty');

  for (const [h, who] of [[h1, stewards.h1], [h1, researchers[0]!]] as const) {
    const stolen = await rw.as(h, who, 'POST', `/research/queries/${bountyId}/collect`);
    t.same((stolen.json.hospitals as Json[]).map((o) => [o.mspId, o.problem.code]), [[h1.mspId, 'QUERY_FORBIDDEN']], `${who.enrollmentId} is refused`);
  }
  const mine = await rw.as(h2, stewards.h2, 'GET', '/research/bounties');
  t.same(mine.json.bounties.map((b: Json) => [b.queryId, b.collected]), [[bountyId, false]]);
  const got = await rw.as(h2, stewards.h2, 'POST', `/research/queries/${bountyId}/collect`);
  t.same((got.json.hospitals as Json[]).map((o) => [o.mspId, o.outcome, o.verified]), [[h1.mspId, 'released', true]], "only the provider's hospital answers a bounty");
  const twice = await rw.as(h2, stewards.h2, 'POST', `/research/queries/${bountyId}/collect`);
  t.same((twice.json.hospitals as Json[]).map((o) => o.problem.code), ['ALREADY_RELEASED'], 'collected once');
  t.same((await rw.as(h2, stewards.h2, 'GET', '/research/bounties')).json.bounties.map((b: Json) => b.collected), [true]);
  const elsewhere = await rw.as(h2, await w.enrol(h2, 'dr-elsewhere', 'provider'), 'POST', '/research/bounties', {
    relationshipId: target.relationshipId, category: 'Observation', template: 'patient-count', epsilon: 0.5,
  });
  t.equal(elsewhere.status, 403, "another hospital's provider cannot even read this relationship");
});

t.test('the gatekeeper refuses research requests it cannot trust, and audits them', async (t) => {
  const researcher = researchers[3]!;
  const queryId = await study(researcher, { template: 'patient-count', epsilon: 0.1, validUntil: until });
  const post = (path: string, body: string) => api(h1.url, 'POST', path, { rawBody: body, headers: { 'content-type': 'application/jose' } });
  const aud = new URL(h1.url).origin;
  t.equal((await post('/gatekeeper/research', 'not-a-jws')).json.code, 'MALFORMED_REQUEST');
  const data = await signRequest(researcher.signer, { rel: target.relationshipId, cat: 'Observation', fields: [], aud });
  t.equal((await post('/gatekeeper/research', data)).json.code, 'INVALID_CLAIMS', 'a data request is no research request');
  const research = await signClaims(researcher.signer, { query: queryId, aud });
  t.equal((await post('/gatekeeper/query', research)).json.code, 'INVALID_CLAIMS', 'nor the other way round');
  t.equal((await post('/gatekeeper/research', await signClaims(researcher.signer, { query: queryId, aud: 'http://elsewhere.example' }))).json.code, 'AUDIENCE_MISMATCH');
  t.equal((await post('/gatekeeper/research', await signClaims(researcher.signer, { query: 'zz', aud }))).json.code, 'INVALID_QUERY_ID');
  t.equal((await post('/gatekeeper/research', await signClaims(researcher.signer, { query: 'ab'.repeat(32), aud }))).json.code, 'QUERY_NOT_FOUND');
  t.equal((await post('/gatekeeper/research', await signClaims(q.person.signer, { query: queryId, aud }))).json.code, 'QUERY_FORBIDDEN', 'a patient collects nothing');
  const ok = await post('/gatekeeper/research', research);
  t.equal(ok.status, 200);
  t.equal((await post('/gatekeeper/research', research)).json.code, 'REPLAYED_REQUEST');
  const fresh = await post('/gatekeeper/research', await signClaims(researcher.signer, { query: queryId, aud }));
  t.equal(fresh.json.code, 'ALREADY_RELEASED');
  const audited = h1.audit.records(1, 100_000).filter((r) => r.queryId === queryId).map((r) => [r.decision, r.status, r.requester]);
  t.same(audited, [
    ['QUERY_FORBIDDEN', 403, q.person.identityId],
    ['RESEARCH_RELEASED', 200, researcher.identityId],
    ['REPLAYED_REQUEST', 401, researcher.identityId],
    ['ALREADY_RELEASED', 409, researcher.identityId],
  ], 'each proven request audited with its query: who asked, what came of it');
});

t.test('the scripted differencing attack: two overlapping studies, both orders, repeated until the budget stops it', async (t) => {
  const attacker = researchers[4]!;
  const db = rw.ehr(h1);
  // The target's only glucose result is the only one of the population on 2023-06-15.
  db.prepare("DELETE FROM lab_results WHERE loinc_code = '2345-7' AND collected_at >= '2023-06-15' AND collected_at < '2023-06-16'").run();
  setGlucose(db, target.mrn, [['2023-06-15', 380]]);
  const withoutTarget = glucose('2015-01-01', '2023-06-15');
  const withTarget = glucose('2015-01-01', '2023-06-16');
  const [a0, b0] = [await study(attacker, withoutTarget), await study(attacker, withTarget)];
  const [ea, eb] = [await exact(h1, attacker, a0), await exact(h1, attacker, b0)];
  t.equal(eb.total.count - ea.total.count, 1, 'the cohorts differ by exactly the target');
  t.equal(eb.total.centredUnits - ea.total.centredUnits, 380 - MID, 'without noise the difference would be her value: a genuine differencing pair');

  // Each answer draws fresh noise (a distinct seed per answer, as the CSPRNG would; fixed so the run is reproducible).
  let n = 0;
  const ask = async (who: Person, queryId: string): Promise<ReleasedAnswer> => {
    h1.runtime.researchGatekeeper.noise = seededNoise(`attack-answer-${n++}`);
    return requestAnswer(who.signer, h1.url, queryId, { ...h1.runtime.gatekeepers, timeoutMs: 30_000 });
  };
  /** Two pairs, in both orders; a fifth answer spends the rest of the budget. */
  const attack = async (who: Person, first: { a: string; b: string }): Promise<Pair[]> => {
    const b1 = await ask(who, first.b); // with the target first
    const a1 = await ask(who, first.a);
    const [a2q, b2q] = [await study(who, withoutTarget), await study(who, withTarget)];
    const a2 = await ask(who, a2q); // without the target first
    const b2 = await ask(who, b2q);
    for (const r of [a1, b1, a2, b2]) t.match(r.answer.noise, { contributions: 1, sumScale: RANGE }, 'every answer carries the documented noise');
    return [{ with: b1.answer.cells[0]!, without: a1.answer.cells[0]! }, { with: b2.answer.cells[0]!, without: a2.answer.cells[0]! }];
  };
  const pairs = await attack(attacker, { a: a0, b: b0 });
  await ask(attacker, await study(attacker, withoutTarget)); // the fifth answer: 5 × ε 1 = the budget
  const refused = await study(attacker, withTarget).catch((err: Error) => err.message);
  t.match(refused, /LIMIT_EXCEEDED/, 'a sixth study is refused at submission: the budget is spent');
  const error = estimateValue(pairs, MID) - 380;
  t.comment(`one attacker: estimate ${(380 + error).toFixed(0)} mg/dL for a true 380`);
  t.ok(Math.abs(error) >= 1, 'the released figures do not give her value back');

  // The same attack by 40 more researchers (each with a budget of its own): how often does it land within a tenth of the range?
  const errors: number[] = [];
  for (const who of await rw.moreResearchers(h1, 'attacker', 40)) {
    errors.push(estimateValue(await attack(who, { a: await study(who, withoutTarget), b: await study(who, withTarget) }), MID) - 380);
  }
  const within = errors.filter((e) => Math.abs(e) <= RANGE / 10).length;
  const spread = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
  const documented = valueErrorStd(RANGE, 1, 5);
  t.comment(`40 attacks: ${within} within ±${RANGE / 10} mg/dL (documented rate < 10 %), error std ${spread.toFixed(0)} mg/dL (documented ${documented.toFixed(0)})`);
  t.ok(within <= 8, 'no more often than the documented bound allows (at most 8 of 40: P ≈ 0.2 % at the documented 6.5 %)');
  t.ok(spread > documented * 0.6 && spread < documented * 1.5, 'and the errors spread as documented');
  const budget = await w.client.evaluate(attacker.signer, Research.budget(attacker.participantId));
  t.same([budget.spent, budget.releases], [5, 5]);
});
