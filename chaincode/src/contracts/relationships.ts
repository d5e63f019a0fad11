import { forbidden, notFound } from '../domain/errors';
import { keys, prefixes } from '../domain/keys';
import {
  loadPointerValue,
  loadRelationshipValue,
  loadSummaryValue,
  storePointer,
  storeRelationship,
  storeSummary,
  type StoredPointer,
  type StoredRelationship,
  type StoredSummary,
} from '../domain/stored';
import type { Pointer, RelationshipRecord, RelationshipStatus, SummaryEntry, SummaryRole, SummaryStatus } from '../domain/types';
import { requireHex64 } from '../domain/validation';
import type { Caller } from './caller';
import type { State } from './state';

/** Helpers shared by the Relationship and Summary contracts. */
export async function loadRelationship(state: State, relationshipId: unknown): Promise<RelationshipRecord> {
  const id = requireHex64(relationshipId, 'relationshipId');
  const stored = await state.get<StoredRelationship>(keys.relationship(id));
  if (!stored) throw notFound('no such relationship');
  return loadRelationshipValue(id, stored);
}

export async function putRelationship(state: State, rel: RelationshipRecord): Promise<void> {
  await state.put(keys.relationship(rel.relationshipId), storeRelationship(rel));
}

export async function relationshipHistory(state: State, relationshipId: string) {
  return state.history(keys.relationship(relationshipId), (v: StoredRelationship) => loadRelationshipValue(relationshipId, v));
}

export async function getPointer(state: State, relationshipId: string, category: string): Promise<Pointer | null> {
  const stored = await state.get<StoredPointer>(keys.pointer(relationshipId, category));
  return stored && loadPointerValue(relationshipId, category, stored);
}

export async function putPointerValue(state: State, pointer: Pointer): Promise<void> {
  await state.put(keys.pointer(pointer.relationshipId, pointer.category), storePointer(pointer));
}

export async function pointersOf(state: State, relationshipId: string): Promise<Pointer[]> {
  const entries = await state.entries<StoredPointer>(prefixes.pointersOf(relationshipId));
  return entries.map(({ attributes: [, category], value }) => loadPointerValue(relationshipId, category!, value));
}

export async function pointerHistory(state: State, relationshipId: string, category: string) {
  return state.history(keys.pointer(relationshipId, category), (v: StoredPointer) => loadPointerValue(relationshipId, category, v));
}

export async function summariesOf(state: State, participantId: string): Promise<SummaryEntry[]> {
  const entries = await state.entries<StoredSummary>(prefixes.summaryOf(participantId));
  return entries.map(({ attributes: [, relationshipId], value }) => loadSummaryValue(participantId, relationshipId!, value));
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

/** Writes one participant's summary entry for a relationship. */
export async function putSummary(
  state: State,
  rel: RelationshipRecord,
  participantId: string,
  role: SummaryRole,
  status: SummaryStatus,
): Promise<void> {
  const entry: SummaryEntry = {
    participantId,
    relationshipId: rel.relationshipId,
    role,
    status,
    patientId: rel.patientId,
    providerId: rel.providerId,
    providerMspId: rel.providerMspId,
    updatedAt: state.now,
  };
  await state.put(keys.summary(participantId, rel.relationshipId), storeSummary(entry));
}

/** Writes a new relationship status and mirrors it into both parties' summaries. */
export async function writeStatus(state: State, rel: RelationshipRecord, status: RelationshipStatus): Promise<RelationshipRecord> {
  const next: RelationshipRecord = { ...rel, status, updatedAt: state.now };
  await putRelationship(state, next);
  await putSummary(state, next, rel.patientId, 'patient', status);
  await putSummary(state, next, rel.providerId, 'provider', status);
  return next;
}
