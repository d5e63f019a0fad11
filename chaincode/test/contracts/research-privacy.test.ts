import t from 'tap';
import { CATEGORIES } from '../../src/domain/categories';
import {
  AGE_BANDS,
  DIMENSIONS,
  RESEARCH_CONDITIONS,
  RESEARCH_LABS,
  RESEARCH_MEDICATIONS,
  SEXES,
  TEMPLATE_IDS,
} from '../../src/domain/research-vocabulary';
import { EVENT_NAMES, ROLES } from '../../src/domain/types';
import { BOUNTY, CONSENT_ALL, relationshipOf, stewards, study, studyJson } from '../support/research';
import { strangeStrings } from '../support/scan';
import { cast, H, H1, H2 } from '../support/world';

/**
 * Every research transaction, plus attempts to smuggle free text, SQL and identifiers through each,
 * then every written key, value and event: only ids, hashes, timestamps, dates, numbers and words of
 * the research vocabulary.
 */
t.test('nothing the research transactions write is free text, SQL or an identifier', async (t) => {
  const c = await cast();
  const w = c.w;
  const { steward2 } = await stewards(c);
  const rel = await relationshipOf(c, c.patient);
  const rel2 = await relationshipOf(c, c.patient2);
  const q = await study(c, c.researcher, studyJson({ criteria: { period: { from: '2020-01-01', to: '2025-01-01' }, sex: ['female'], ageBands: ['40-64'], conditions: ['44054006'] }, groupBy: ['sex', 'ageBand'], protocolHash: H('4') }));
  await w.submit(c.patient, 'Research:consent', rel, JSON.stringify({ categories: ['Patient', 'Observation', 'Condition'], studyId: q, validUntil: '2027-01-01T00:00:00.000Z' }));
  await w.submit(c.patient2, 'Research:consentBatch', JSON.stringify([{ relationshipId: rel2, consent: JSON.parse(CONSENT_ALL) }]));
  await w.submit(c.patient2, 'Research:withdraw', rel2);
  await w.submit(c.records1, 'Research:publishGatekeeper', 'https://h1.example/gatekeeper', '["lab-mean","patient-count"]');
  const b = await w.submit<{ bountyId: string }>(c.provider1, 'Relationship:putPointerWithBounty', rel, 'Observation', H('9'), BOUNTY);
  await w.submit(c.records1, 'Research:recordRelease', q, c.researcher.iid, JSON.stringify({ answerHash: H('5'), cells: 4 }));
  await w.submit(c.records1, 'Research:recordRelease', b.bountyId, steward2.iid, JSON.stringify({ answerHash: H('6'), cells: 1 }));

  const smuggle: [typeof c.patient, string, string[]][] = [
    [c.researcher, 'Research:submitStudy', [studyJson({ title: 'Jane Doe iron levels' })]],
    [c.researcher, 'Research:submitStudy', [studyJson({ template: "lab-mean'; DROP TABLE patients; --" })]],
    [c.researcher, 'Research:submitStudy', [studyJson({ criteria: { period: { from: '2020-01-01', to: '2025-01-01' }, mrn: ['H1-000100'] } })]],
    [c.patient, 'Research:consent', [rel, JSON.stringify({ categories: ['Patient'], reason: 'I have diabetes' })]],
    [c.provider1, 'Relationship:putPointerWithBounty', [rel, 'Observation', H('8'), JSON.stringify({ template: 'patient-count', epsilon: 1, sql: 'SELECT AVG(iron) FROM labs' })]],
    [c.records1, 'Research:recordRelease', [q, c.researcher.iid, JSON.stringify({ answerHash: H('7'), cells: 1, cohort: ['MRN-Hospital1MSP-ALICE-0042'] })]],
    [c.records1, 'Research:publishGatekeeper', ['https://h1.example/gk?q=SELECT', '[]']],
  ];
  for (const [actor, fn, args] of smuggle) t.equal((await w.call(actor, fn, args, true)).status, 500, `${fn} refuses smuggled text`);

  const vocabulary = new Set<string>([
    ...ROLES, ...CATEGORIES, ...EVENT_NAMES, ...TEMPLATE_IDS, ...AGE_BANDS, ...SEXES, ...DIMENSIONS,
    ...RESEARCH_CONDITIONS, ...RESEARCH_MEDICATIONS, ...Object.keys(RESEARCH_LABS),
    'study', 'bounty', 'new', 'update_available', 'accepted', 'research_opted_in', 'research_opted_out', 'study_submitted',
    'steward_registered', 'gatekeeper_published', 'answer_released', 'bounty_assigned', 'active', 'superseded',
    H1, H2, 'https://h.example/gk', 'https://h1.example/gatekeeper',
  ]);
  const allowed = (s: string) =>
    /^[0-9a-f]{64}$/.test(s) || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(s) || /^\d{4}-\d{2}-\d{2}$/.test(s) || /^tx\d+$/.test(s) || vocabulary.has(s);
  const types = new Set(['rcon', 'rq', 'rls', 'rbud', 'stw', 'stwq', 'gk']);
  const research = [...w.ledger.state.entries()].filter(([k]) => types.has(k.split('\u0000')[1]!));
  t.ok(research.length >= 9, `scanned ${research.length} research records`);
  const written = [...research.map(([, value]) => JSON.parse(value.toString('utf8')) as unknown), ...w.ledger.events.map((e) => JSON.parse(e.payload) as unknown)];
  t.same(strangeStrings(written, allowed), [], 'every written string is an id, a hash, a time, a date or a vocabulary word');
  const blob = research.map(([k, v]) => k + v.toString('utf8')).join('\n').toLowerCase();
  for (const needle of ['select', 'drop', 'jane', 'diabetes', 'mrn-', c.patient.externalId.toLowerCase(), c.patient.enrollmentId]) {
    t.notOk(blob.includes(needle), `"${needle}" appears in no research record`);
  }
});
