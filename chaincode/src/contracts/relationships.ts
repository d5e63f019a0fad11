import { isPatientOf, isProviderOf } from '../domain/authorisation';
import { forbidden } from '../domain/errors';
import { keys, prefixes } from '../domain/keys';
import { getPointer, loadRelationship } from '../domain/decision';
import {
  loadPointerValue,
  loadRelationshipValue,
  loadSummaryValue,
  storePointer,
  storeRelationship,
  storeViewerSummary,
  type StoredPointer,
  type StoredRelationship,
  type StoredSummary,
} from '../domain/stored';
import { nextStatus } from '../domain/status';
import type { Notification, Pointer, RelationshipRecord, RelationshipStatus, SummaryEntry, ViewerStatus } from '../domain/types';
import { requireCategory, requireHex64 } from '../domain/validation';
import type { Caller } from './caller';
import type { State } from './state';

/** Helpers shared by the Relationship and Summary contracts; the point reads are the domain's (decision.ts). */
export { getPointer, loadRelationship } from '../domain/decision';

export async function putRelationship(state: State, rel: RelationshipRecord): Promise<void> {
  await state.put(keys.relationship(rel.relationshipId), storeRelationship(rel));
}

export async function relationshipHistory(state: State, relationshipId: string) {
  return state.history(keys.relationship(relationshipId), (v: StoredRelationship) => loadRelationshipValue(relationshipId, v));
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

/** Each entry is completed from its relationship (one read each: this is a query, not a block). */
export async function summariesOf(state: State, participantId: string): Promise<SummaryEntry[]> {
  const out: SummaryEntry[] = [];
  for (const { attributes, value } of await state.entries<StoredSummary>(prefixes.summaryOf(participantId))) {
    out.push(loadSummaryValue(participantId, await loadRelationship(state, attributes[1]), value));
  }
  return out;
}

export function requirePatient(caller: Caller, rel: RelationshipRecord): void {
  if (!isPatientOf(caller, rel)) {
    throw forbidden("only the relationship's patient may do this");
  }
}

export function requireProvider(caller: Caller, rel: RelationshipRecord): void {
  if (!isProviderOf(caller, rel)) throw forbidden("only a provider of the relationship's organisation may do this");
}

/** Files a new relationship under both parties' summaries (their entries follow its status). */
export async function putPartySummaries(state: State, rel: RelationshipRecord): Promise<void> {
  const entry: StoredSummary = {};
  await state.put(keys.summary(rel.patientId, rel.relationshipId), entry);
  await state.put(keys.summary(rel.providerId, rel.relationshipId), entry);
}

export async function putViewerSummary(state: State, rel: RelationshipRecord, viewerId: string, status: ViewerStatus): Promise<void> {
  await state.put(keys.summary(viewerId, rel.relationshipId), storeViewerSummary(status, state.now));
}

/** Writes a new relationship status, which both parties' summary entries show. */
export async function writeStatus(state: State, rel: RelationshipRecord, status: RelationshipStatus): Promise<RelationshipRecord> {
  const next: RelationshipRecord = { ...rel, status, updatedAt: state.now };
  await putRelationship(state, next);
  return next;
}

/** A provider's pointer update, checked and computed but not yet written. */
export interface PointerPlan {
  rel: RelationshipRecord;
  pointer: Pointer;
  first: boolean;
  status: RelationshipStatus;
}

/** Every check of a pointer update, before anything is written (a refusal must change nothing). */
export async function planPointer(state: State, caller: Caller, relationshipId: unknown, category: unknown, sha256: unknown): Promise<PointerPlan> {
  const cat = requireCategory(category);
  const hash = requireHex64(sha256, 'sha256');
  const rel = await loadRelationship(state, relationshipId);
  requireProvider(caller, rel);
  const status = nextStatus(rel.status, 'putPointer');
  const previous = await getPointer(state, rel.relationshipId, cat);
  const pointer: Pointer = { relationshipId: rel.relationshipId, category: cat, hash, version: (previous?.version ?? 0) + 1, updatedAt: state.now };
  return { rel, pointer, first: previous === null, status };
}

/** Writes a planned pointer update; the patient's notification is returned for the transaction's one event. */
export async function writePointer(state: State, plan: PointerPlan): Promise<Notification> {
  const { rel, pointer, status } = plan;
  await putPointerValue(state, pointer);
  if (plan.first) await state.endorseBy(keys.pointer(rel.relationshipId, pointer.category), rel.providerMspId);
  if (status !== rel.status) await writeStatus(state, rel, status);
  return { participantId: rel.patientId, relationshipId: rel.relationshipId, status, category: pointer.category };
}
