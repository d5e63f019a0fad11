import t from 'tap';
import { fieldsOf } from '../../src/domain/categories';
import { certCaller, decideAccess, type StateReader } from '../../src/domain/decision';
import type { Decision } from '../../src/domain/types';
import { cast, grantJson, H, H1, refused, type Actor, type Cast, type World } from '../support/world';
import type { Response } from '../support/stub';

/** Relationship.checkAccess through the contract: the decision the gatekeeper obeys. */
async function setup() {
  const c = await cast();
  const rel = await c.w.submit<{ relationshipId: string }>(c.provider1, 'Relationship:create', c.patient.pid, 'https://h1.example/gk');
  const id = rel.relationshipId;
  await c.w.submit(c.provider1, 'Relationship:putPointer', id, 'Observation', H('1'));
  return { c, id };
}

/** The committed state as the gateway's ledger adapters read it: JSON records by key, nothing else. */
const committed = (w: World): StateReader => ({
  async get<T>(key: string): Promise<T | null> {
    const value = w.ledger.state.get(key);
    return value && value.length > 0 ? (JSON.parse(value.toString('utf8')) as T) : null;
  },
});

/**
 * The domain's decision, run as the gateway runs it (claims from the certificate, committed state,
 * the transaction's time), must give the very bytes, or the very error, the contract gave.
 */
async function sameAsDomain(w: World, caller: Actor, args: string[], res: Response, at: Date): Promise<void> {
  const [relationshipId, requesterIdentityId, category, fieldsJson] = args as [string, string, string, string];
  const outcome = await decideAccess(
    committed(w),
    certCaller({ mspId: caller.mspId, role: caller.role, enrollmentId: caller.enrollmentId }),
    { relationshipId, requesterIdentityId, category, fieldsJson },
    at.toISOString(),
  ).then(
    (d) => ({ status: 200, payload: JSON.stringify(d) }),
    (e: Error) => ({ status: 500, message: e.message }),
  );
  const contract = res.status === 200 ? { status: 200, payload: res.payload } : { status: 500, message: res.message };
  if (JSON.stringify(outcome) !== JSON.stringify(contract)) {
    throw new Error(`the domain's decision differs from the contract's: ${JSON.stringify(outcome)} vs ${JSON.stringify(contract)}`);
  }
}

async function ask(c: Cast, caller: Actor, id: string, requester: Actor, category = 'Observation', fields: string[] = [], at?: Date): Promise<Decision> {
  const args = [id, requester.iid, category, JSON.stringify(fields)];
  const res = await c.w.call(caller, 'Relationship:checkAccess', args, false, at);
  await sameAsDomain(c.w, caller, args, res, at ?? c.w.ledger.clock);
  if (res.status !== 200) throw new Error(res.message);
  return JSON.parse(res.payload) as Decision;
}

/** A refused question: refused by the contract with `code`, and by the domain with the same error. */
async function refusedAsk(t: Parameters<typeof refused>[0], c: Cast, caller: Actor, args: string[], code: string): Promise<void> {
  const res = await refused(t, c.w, caller, 'Relationship:checkAccess', args, code);
  await sameAsDomain(c.w, caller, args, res, c.w.ledger.clock);
}

const GRANT = grantJson([{ category: 'Observation', fields: ['code', 'valueQuantity'] }, { category: 'Condition', fields: ['code'] }], '2026-06-01T00:00:00.000Z', 'FAMRQT');

t.test('the patient reads before accepting; the provider reads its own data', async (t) => {
  const { c, id } = await setup();
  const d = await ask(c, c.patient, id, c.patient);
  t.match(d, { allowed: true, code: 'ALLOWED_PATIENT', requesterId: c.patient.pid, requesterRole: 'patient', category: 'Observation', providerMspId: H1, patientId: c.patient.pid, validUntil: null });
  t.same(d.fields, fieldsOf('Observation'), 'no field list means every field of the category');
  t.match(d.pointer, { hash: H('1'), version: 1 });
  t.match(await ask(c, c.records1, id, c.provider1, 'Observation', ['code']), { allowed: true, code: 'ALLOWED_PROVIDER', fields: ['code'] });
  t.match(await ask(c, c.patient, id, c.patient, 'Condition'), { allowed: false, code: 'NO_POINTER', pointer: null });
  t.equal(c.w.ledger.stubs.at(-1)!.writes.size, 0, 'a decision writes nothing');
});

t.test('viewers: only while accepted, only granted categories and fields, only until expiry', async (t) => {
  const { c, id } = await setup();
  t.match(await ask(c, c.viewer, id, c.viewer), { allowed: false, code: 'NOT_A_PARTY', requesterRole: null });
  await c.w.submit(c.patient, 'Relationship:accept', id);
  await c.w.submit(c.patient, 'Relationship:grant', id, c.viewer.pid, GRANT);
  // the gatekeeper (a provider identity of the relationship's org) asks on the viewer's behalf
  const ok = await ask(c, c.records1, id, c.viewer, 'Observation', ['valueQuantity']);
  t.match(ok, { allowed: true, code: 'ALLOWED_VIEWER', requesterId: c.viewer.pid, requesterRole: 'viewer', fields: ['valueQuantity'], validUntil: '2026-06-01T00:00:00.000Z' });
  t.same((await ask(c, c.viewer, id, c.viewer)).fields, ['code', 'valueQuantity'], 'no field list means the granted fields');
  t.match(await ask(c, c.viewer, id, c.viewer, 'Observation', ['code', 'note']), { allowed: false, code: 'FIELD_NOT_GRANTED', fields: [] });
  t.match(await ask(c, c.viewer, id, c.viewer, 'Immunization'), { allowed: false, code: 'CATEGORY_NOT_GRANTED' });
  t.match(await ask(c, c.viewer, id, c.viewer, 'Condition'), { allowed: false, code: 'NO_POINTER' });

  // expiry: the same question at and after validUntil
  t.match(await ask(c, c.viewer, id, c.viewer, 'Observation', [], new Date('2026-05-31T23:59:59Z')), { allowed: true });
  t.match(await ask(c, c.viewer, id, c.viewer, 'Observation', [], new Date('2026-06-01T00:00:00Z')), { allowed: false, code: 'GRANT_EXPIRED' });

  // an update the patient has not seen yet is not shared
  await c.w.submit(c.provider1, 'Relationship:putPointer', id, 'Observation', H('2'));
  t.match(await ask(c, c.viewer, id, c.viewer), { allowed: false, code: 'RELATIONSHIP_NOT_ACCEPTED' });
  t.match(await ask(c, c.patient, id, c.patient), { allowed: true, pointer: { hash: H('2'), version: 2 } }, 'the patient sees it to verify it');
  await c.w.submit(c.patient, 'Summary:acknowledge', id);
  t.match(await ask(c, c.viewer, id, c.viewer), { allowed: true, pointer: { hash: H('2'), version: 2 } });

  await c.w.submit(c.patient, 'Relationship:revoke', id, c.viewer.pid);
  t.match(await ask(c, c.viewer, id, c.viewer), { allowed: false, code: 'GRANT_REVOKED' });
});

t.test('rejected and deleted relationships answer no one', async (t) => {
  const { c, id } = await setup();
  await c.w.submit(c.patient, 'Relationship:accept', id);
  await c.w.submit(c.patient, 'Relationship:grant', id, c.viewer.pid, GRANT);
  await c.w.submit(c.patient, 'Relationship:reject', id);
  for (const who of [c.patient, c.viewer]) t.match(await ask(c, who, id, who), { allowed: false, code: 'RELATIONSHIP_REJECTED' });
  t.match(await ask(c, c.provider1, id, c.provider1), { allowed: false, code: 'RELATIONSHIP_REJECTED' });
  await c.w.submit(c.patient, 'Relationship:remove', id);
  for (const who of [c.patient, c.viewer, c.provider1]) t.match(await ask(c, c.auditor, id, who), { allowed: false, code: 'RELATIONSHIP_DELETED' });
});

t.test('a superseded identity is inactive', async (t) => {
  const { c, id } = await setup();
  const renewed = await c.w.reenrol(c.patient, 'v2');
  await c.w.submit(c.registrar1, 'Registrar:remap', c.patient.hash, renewed.enrollmentId);
  t.match(await ask(c, c.records1, id, c.patient), { allowed: false, code: 'IDENTITY_INACTIVE' });
  t.match(await ask(c, renewed, id, renewed), { allowed: true, code: 'ALLOWED_PATIENT' });
});

t.test('who may ask, and bad questions', async (t) => {
  const { c, id } = await setup();
  const args = (requester: Actor, category = 'Observation', fields = '[]') => [id, requester.iid, category, fields];
  // only the requester itself, the relationship's gatekeeper org, or an auditor
  await refusedAsk(t, c, c.viewer, args(c.patient), 'FORBIDDEN');
  await refusedAsk(t, c, c.provider2, args(c.patient), 'FORBIDDEN');
  await refusedAsk(t, c, c.stranger, args(c.stranger), 'FORBIDDEN');
  t.match(await ask(c, c.auditor, id, c.viewer2), { allowed: false, code: 'NOT_A_PARTY' });
  await refusedAsk(t, c, c.auditor, args(c.stranger), 'NOT_FOUND');
  await refusedAsk(t, c, c.auditor, [H('6'), c.patient.iid, 'Observation', '[]'], 'NOT_FOUND');
  for (const [name, a] of [
    ['unknown category', args(c.patient, 'Billing')],
    ['lowercase category', args(c.patient, 'observation')],
    ['unknown field', args(c.patient, 'Observation', '["ssn"]')],
    ['fields not JSON', args(c.patient, 'Observation', 'code')],
    ['fields not a list', args(c.patient, 'Observation', '{"code":1}')],
    ['fields of wrong type', args(c.patient, 'Observation', '[1]')],
    ['fields oversized', args(c.patient, 'Observation', JSON.stringify(['code', 'x'.repeat(5000)]))],
    ['requester not an iid', [id, 'alice', 'Observation', '[]']],
    ['missing relationship', ['', c.patient.iid, 'Observation', '[]']],
  ] as const) {
    t.comment(name);
    await refusedAsk(t, c, c.auditor, [...a], 'INVALID_ARGUMENT');
  }
});
