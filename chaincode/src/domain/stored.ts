import type { Pointer, RelationshipRecord, SummaryEntry } from './types';

/**
 * What the world state holds, smaller than what readers get: every block carries each written
 * value, so a value leaves out what its key already says (ids, category), a relationship's
 * updatedAt while it equals createdAt, and, in a party's own summary entry, that party's own pid.
 * Readers always get the expanded records.
 */
export type StoredRelationship = Omit<RelationshipRecord, 'relationshipId' | 'updatedAt'> & Partial<Pick<RelationshipRecord, 'updatedAt'>>;
export type StoredPointer = Omit<Pointer, 'relationshipId' | 'category'>;
export type StoredSummary = Omit<SummaryEntry, 'participantId' | 'relationshipId' | 'patientId' | 'providerId'> &
  Partial<Pick<SummaryEntry, 'patientId' | 'providerId'>>;

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

export function storeSummary({ participantId: _pid, relationshipId: _id, patientId, providerId, ...rest }: SummaryEntry): StoredSummary {
  return {
    ...rest,
    ...(rest.role === 'patient' ? {} : { patientId }),
    ...(rest.role === 'provider' ? {} : { providerId }),
  };
}

export function loadSummaryValue(participantId: string, relationshipId: string, stored: StoredSummary): SummaryEntry {
  const { patientId, providerId, ...rest } = stored;
  return {
    participantId,
    relationshipId,
    role: rest.role,
    status: rest.status,
    patientId: patientId ?? participantId,
    providerId: providerId ?? participantId,
    providerMspId: rest.providerMspId,
    updatedAt: rest.updatedAt,
  };
}
