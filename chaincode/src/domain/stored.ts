import type { Pointer, RelationshipRecord, SummaryEntry, ViewerStatus } from './types';

/**
 * What the world state holds, smaller than what readers get: every block carries each written
 * value, so a value leaves out what its key already says (ids, category), a relationship's
 * updatedAt while it equals createdAt, and, in a summary entry, what the relationship record holds:
 * a patient's or provider's entry is its role only (status and time are the relationship's), a
 * viewer's entry its role, status and time. Readers always get the expanded records.
 */
export type StoredRelationship = Omit<RelationshipRecord, 'relationshipId' | 'updatedAt'> & Partial<Pick<RelationshipRecord, 'updatedAt'>>;
export type StoredPointer = Omit<Pointer, 'relationshipId' | 'category'>;
export type StoredSummary = Pick<SummaryEntry, 'role'> & Partial<Pick<SummaryEntry, 'status' | 'updatedAt'>>;

export function storeRelationship({ relationshipId: _id, updatedAt, ...rest }: RelationshipRecord): StoredRelationship {
  return updatedAt === rest.createdAt ? rest : { ...rest, updatedAt };
}

export function loadRelationshipValue(relationshipId: string, stored: StoredRelationship): RelationshipRecord {
  return { relationshipId, ...stored, updatedAt: stored.updatedAt ?? stored.createdAt };
}

export function storePointer({ relationshipId: _id, category: _category, ...rest }: Pointer): StoredPointer {
  return rest;
}

export function loadPointerValue(relationshipId: string, category: string, stored: StoredPointer): Pointer {
  return { relationshipId, category: category as Pointer['category'], ...stored };
}

/** A viewer's entry: a party's entry is just `{ role }`, the rest is the relationship's. */
export function storeViewerSummary(status: ViewerStatus, updatedAt: string): StoredSummary {
  return { role: 'viewer', status, updatedAt };
}

export function loadSummaryValue(participantId: string, rel: RelationshipRecord, stored: StoredSummary): SummaryEntry {
  return {
    participantId,
    relationshipId: rel.relationshipId,
    role: stored.role,
    status: stored.status ?? rel.status,
    patientId: rel.patientId,
    providerId: rel.providerId,
    providerMspId: rel.providerMspId,
    updatedAt: stored.updatedAt ?? rel.updatedAt,
  };
}
