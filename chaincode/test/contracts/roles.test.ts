import t from 'tap';
import { randomBytes } from 'node:crypto';
import { everyRole, type RoleSpec } from '../support/roles';
import { ALL_ROLES, grantJson, H, H1, type Cast } from '../support/world';

/**
 * Every transaction, called by one registered identity of every role: the roles that may call it
 * succeed, every other role is refused with FORBIDDEN and changes nothing.
 */

const fresh = () => randomBytes(32).toString('hex');
const GRANT = grantJson([{ category: 'Observation', fields: ['code', 'valueQuantity'] }]);

async function relationship(c: Cast, status: 'new' | 'accepted' | 'update_available'): Promise<string> {
  const rel = await c.w.submit<{ relationshipId: string }>(c.provider1, 'Relationship:create', c.patient.pid, 'https://h1.example/gk');
  await c.w.submit(c.provider1, 'Relationship:putPointer', rel.relationshipId, 'Observation', H('a'));
  if (status !== 'new') await c.w.submit(c.patient, 'Relationship:accept', rel.relationshipId);
  if (status === 'update_available') await c.w.submit(c.provider1, 'Summary:markUpdateAvailable', rel.relationshipId);
  return rel.relationshipId;
}

async function grantedRelationship(c: Cast): Promise<string> {
  const id = await relationship(c, 'accepted');
  await c.w.submit(c.patient, 'Relationship:grant', id, c.viewer.pid, GRANT);
  return id;
}

const specs: RoleSpec[] = [
  { fn: 'Registrar:register', allowed: ['registrar'], prepare: async () => (a) => [fresh(), `new.${a.role}`, 'patient'] },
  {
    fn: 'Registrar:registerBatch',
    allowed: ['registrar'],
    prepare: async () => (a) => [JSON.stringify([{ externalIdHash: fresh(), enrollmentId: `batch.${a.role}`, role: 'patient' }])],
  },
  { fn: 'Registrar:registerDelegate', allowed: ['registrar'], prepare: async () => (a) => [`delegate.${a.role}`] },
  {
    fn: 'Registrar:remap',
    allowed: ['registrar'],
    prepare: async (c) => {
      const p = await c.w.register(c.registrar1, await c.w.person('lostkey', H1, 'patient'));
      return (a) => [p.hash, `lostkey.new.${a.role}`];
    },
  },
  {
    fn: 'Registrar:remapDelegate',
    allowed: ['registrar'],
    prepare: async (c) => {
      const d = await c.w.person('lostdevice', H1, 'patient');
      const pid = (await c.w.submit<{ participantId: string }>(c.registrar1, 'Registrar:registerDelegate', d.enrollmentId)).participantId;
      return (a) => [pid, `lostdevice.new.${a.role}`];
    },
  },
  {
    fn: 'Registrar:rekey',
    allowed: ['registrar'],
    prepare: async (c) => {
      const p = await c.w.register(c.registrar1, await c.w.person('rotated', H1, 'patient'));
      return () => [JSON.stringify([{ oldHash: p.hash, newHash: H('e') }])];
    },
  },
  { fn: 'Registrar:resolve', allowed: ['registrar', 'provider', 'auditor'], prepare: async (c) => () => [c.patient.hash] },
  { fn: 'Registrar:whoami', allowed: [...ALL_ROLES], prepare: async () => () => [] },
  { fn: 'Registrar:history', allowed: ['auditor'], prepare: async (c) => () => [c.patient.hash] },
  { fn: 'Registrar:historyOf', allowed: ['auditor'], prepare: async (c) => () => [c.patient.pid] },
  { fn: 'Relationship:create', allowed: ['provider'], prepare: async (c) => () => [c.patient.pid, 'https://h1.example/gk'] },
  {
    fn: 'Relationship:createBatch',
    allowed: ['provider'],
    prepare: async (c) => () => [JSON.stringify([{ patientId: c.patient.pid, endpoint: 'https://h1.example/gk' }])],
  },
  {
    fn: 'Relationship:putPointer',
    allowed: ['provider'],
    prepare: async (c) => {
      const id = await relationship(c, 'new');
      return () => [id, 'Condition', H('b')];
    },
  },
  {
    fn: 'Relationship:putPointers',
    allowed: ['provider'],
    prepare: async (c) => {
      const id = await relationship(c, 'new');
      return () => [JSON.stringify([{ relationshipId: id, category: 'Condition', sha256: fresh() }])];
    },
  },
  ...(['accept', 'reject', 'remove'] as const).map(
    (op): RoleSpec => ({
      fn: `Relationship:${op}`,
      allowed: ['patient'],
      prepare: async (c) => {
        const id = await relationship(c, 'new');
        return () => [id];
      },
    }),
  ),
  {
    fn: 'Relationship:grant',
    allowed: ['patient'],
    prepare: async (c) => {
      const id = await relationship(c, 'accepted');
      return () => [id, c.viewer.pid, GRANT];
    },
  },
  {
    fn: 'Relationship:revoke',
    allowed: ['patient'],
    prepare: async (c) => {
      const id = await grantedRelationship(c);
      return () => [id, c.viewer.pid];
    },
  },
  {
    fn: 'Relationship:get',
    // the viewer holds a live grant on this relationship
    allowed: ['patient', 'provider', 'viewer', 'auditor'],
    prepare: async (c) => {
      const id = await grantedRelationship(c);
      return () => [id];
    },
  },
  {
    fn: 'Relationship:checkAccess',
    // asking about the patient: the patient itself, the relationship's gatekeeper (a provider of its msp), an auditor
    allowed: ['patient', 'provider', 'auditor'],
    prepare: async (c) => {
      const id = await grantedRelationship(c);
      return () => [id, c.patient.iid, 'Observation', '[]'];
    },
  },
  {
    fn: 'Relationship:history',
    allowed: ['auditor'],
    prepare: async (c) => {
      const id = await grantedRelationship(c);
      return () => [id];
    },
  },
  { fn: 'Summary:mine', allowed: [...ALL_ROLES], prepare: async () => () => [] },
  { fn: 'Summary:of', allowed: ['auditor'], prepare: async (c) => () => [c.patient.pid] },
  {
    fn: 'Summary:acknowledge',
    allowed: ['patient'],
    prepare: async (c) => {
      const id = await relationship(c, 'update_available');
      return () => [id];
    },
  },
  {
    fn: 'Summary:markUpdateAvailable',
    allowed: ['provider'],
    prepare: async (c) => {
      const id = await relationship(c, 'accepted');
      return () => [id];
    },
  },
  { fn: 'Audit:anchor', allowed: ['provider'], prepare: async () => () => ['1', '10', H('c')] },
  { fn: 'Audit:list', allowed: ['auditor', 'provider'], prepare: async () => () => [H1] },
];

t.test('every transaction, every role', async (t) => {
  await everyRole(t, specs);
});
