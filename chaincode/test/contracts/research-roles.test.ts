import t from 'tap';
import { BOUNTY, CONSENT_ALL, relationshipOf, stewards, study } from '../support/research';
import { everyRole, type RoleSpec } from '../support/roles';
import { ALL_ROLES, cast, H, H1, refused, type Cast } from '../support/world';

/**
 * Every research transaction, called by one registered identity of every role: the roles that may
 * call it succeed, every other role is refused with FORBIDDEN and changes nothing.
 */

async function consented(c: Cast): Promise<string> {
  const rel = await relationshipOf(c, c.patient);
  await c.w.submit(c.patient, 'Research:consent', rel, CONSENT_ALL);
  return rel;
}

const specs: RoleSpec[] = [
  { fn: 'Research:consent', allowed: ['patient'], prepare: async (c) => { const rel = await relationshipOf(c, c.patient); return () => [rel, CONSENT_ALL]; } },
  { fn: 'Research:withdraw', allowed: ['patient'], prepare: async (c) => { const rel = await consented(c); return () => [rel]; } },
  {
    fn: 'Research:consentBatch',
    allowed: ['patient'],
    prepare: async (c) => {
      const rel = await relationshipOf(c, c.patient);
      return () => [JSON.stringify([{ relationshipId: rel, consent: JSON.parse(CONSENT_ALL) }])];
    },
  },
  { fn: 'Research:consents', allowed: ['patient'], prepare: async () => () => [] },
  {
    fn: 'Research:consentOf',
    // about the patient: the patient itself, the relationship's gatekeeper (a provider of its MSP), an auditor
    allowed: ['patient', 'provider', 'auditor'],
    prepare: async (c) => { const rel = await consented(c); return () => [rel, c.patient.iid]; },
  },
  { fn: 'Research:submitStudy', allowed: ['researcher'], prepare: async () => () => [JSON.stringify({ template: 'patient-count', epsilon: 1, validUntil: '2026-06-01T00:00:00.000Z' })] },
  { fn: 'Research:query', allowed: [...ALL_ROLES], prepare: async (c) => { const q = await study(c); return () => [q]; } },
  { fn: 'Research:studies', allowed: [...ALL_ROLES], prepare: async () => () => [] },
  { fn: 'Research:registerSteward', allowed: ['registrar'], prepare: async (c) => () => [c.researcher.pid] },
  { fn: 'Research:stewards', allowed: [...ALL_ROLES], prepare: async () => () => [] },
  { fn: 'Research:bounties', allowed: ['researcher'], prepare: async () => () => [] },
  { fn: 'Research:publishGatekeeper', allowed: ['provider'], prepare: async () => () => ['https://h1.example', '["patient-count"]'] },
  { fn: 'Research:gatekeepers', allowed: [...ALL_ROLES], prepare: async () => () => [] },
  { fn: 'Research:prepareRelease', allowed: ['provider'], prepare: async (c) => { const q = await study(c); return () => [q, c.researcher.iid, '']; } },
  {
    fn: 'Research:recordRelease',
    allowed: ['provider'],
    prepare: async (c) => { const q = await study(c); return () => [q, c.researcher.iid, JSON.stringify({ answerHash: H('d'), cells: 2 })]; },
  },
  { fn: 'Research:releases', allowed: ['researcher', 'provider', 'auditor'], prepare: async (c) => { const q = await study(c); return () => [q]; } },
  { fn: 'Research:budget', allowed: ['researcher', 'provider', 'auditor'], prepare: async (c) => () => [c.researcher.pid] },
  {
    fn: 'Relationship:putPointerWithBounty',
    allowed: ['provider'],
    prepare: async (c) => {
      await stewards(c);
      const rel = await relationshipOf(c, c.patient);
      return () => [rel, 'Condition', H('b'), BOUNTY];
    },
  },
];

t.test('every research transaction, every role', async (t) => {
  await everyRole(t, specs);
});

t.test('a researcher reads only its own budget and its own queries\' releases; the prepared page is its own hospital\'s', async (t) => {
  const c = await cast();
  const other = await c.w.register(c.registrar2, await c.w.person('ronald', 'Hospital2MSP', 'researcher'));
  const q = await study(c);
  await refused(t, c.w, other, 'Research:budget', [c.researcher.pid], 'FORBIDDEN');
  await refused(t, c.w, other, 'Research:releases', [q], 'FORBIDDEN');
  t.equal((await c.w.evaluate<{ spent: number }>(other, 'Research:budget', other.pid)).spent, 0, 'its own budget, untouched');
  t.equal(c.provider1.mspId, H1);
});
