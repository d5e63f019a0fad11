import { forbidden, notFound } from '../domain/errors';
import { keys } from '../domain/keys';
import type { RelationshipRecord, RelationshipStatus, SummaryEntry, SummaryRole, SummaryStatus } from '../domain/types';
import { requireHex64 } from '../domain/validation';
import type { Caller } from './caller';
import type { State } from './state';

/** Helpers shared by the Relationship and Summary contracts. */
export async function loadRelationship(state: State, relationshipId: unknown): Promise<RelationshipRecord> {
  const id = requireHex64(relationshipId, 'relationshipId');
  const rel = await state.get<RelationshipRecord>(keys.relationship(id));
  if (!rel) throw notFound('no such relationship');
  return rel;
}

export function requirePatient(caller: Caller, rel: RelationshipRecord): void {
  if (caller.role !== 'patient' || caller.participantId !== rel.patientId) {
    throw forbidden("only the relationship's patient may do this");
  }
}

/** A hospital acts through several provider identities (clinicians, its records service). */
export function isProviderOf(caller: Caller, rel: RelationshipRecord): boolean {
  return caller.role === 'provider' && caller.mspId === rel.providerMspId;
}

export function requireProvider(caller: Caller, rel: RelationshipRecord): void {
  if (!isProviderOf(caller, rel)) throw forbidden("only a provider of the relationship's organisation may do this");
}

export function summaryEntry(
  rel: RelationshipRecord,
  participantId: string,
  role: SummaryRole,
  status: SummaryStatus,
  now: string,
): SummaryEntry {
  return {
    participantId,
    relationshipId: rel.relationshipId,
    role,
    status,
    patientId: rel.patientId,
    providerId: rel.providerId,
    providerMspId: rel.providerMspId,
    updatedAt: now,
  };
}

/** Writes a new relationship status and mirrors it into both parties' summaries. */
export async function writeStatus(state: State, rel: RelationshipRecord, status: RelationshipStatus): Promise<RelationshipRecord> {
  const next: RelationshipRecord = { ...rel, status, updatedAt: state.now };
  await state.put(keys.relationship(rel.relationshipId), next);
  await state.put(keys.summary(rel.patientId, rel.relationshipId), summaryEntry(next, rel.patientId, 'patient', status, state.now));
  await state.put(keys.summary(rel.providerId, rel.relationshipId), summaryEntry(next, rel.providerId, 'provider', status, state.now));
  return next;
}
