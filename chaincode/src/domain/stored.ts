import type { Pointer, RelationshipRecord, SummaryEntry, ViewerStatus } from './types';

/**
 * What the world state holds, smaller than what readers get: every block carries each written
 * value, so a value leaves out what its key already says (ids, category), a relationship's
 * updatedAt while it equals createdAt, and, in a summary entry, what the relationship record holds:
 * a patient's or provider's entry is `{}` (the pid in its key says which party it is; status and
 * time are the relationship's), a viewer's entry its role, status and time. Readers always get the
 * expanded records.
 */
/** One-letter names: the stored form is private to these functions. */
export interface StoredRelationship {
  /** patientId */ p: string;
  /** providerId */ v: string;
  /** providerMspId */ m: string;
  /** endpoint */ e: string;
  /** status */ s: RelationshipRecord['status'];
  /** createdAt */ c: string;
  /** updatedAt, once it differs from createdAt */ u?: string;
}
export type StoredPointer = Omit<Pointer, 'relationshipId' | 'category'>;
export type StoredSummary = Partial<Pick<SummaryEntry, 'role' | 'status' | 'updatedAt'>>;

export function storeRelationship(rel: RelationshipRecord): StoredRelationship {
  const stored: StoredRelationship = { p: rel.patientId, v: rel.providerId, m: rel.providerMspId, e: rel.endpoint, s: rel.status, c: rel.createdAt };
  return rel.updatedAt === rel.createdAt ? stored : { ...stored, u: rel.updatedAt };
}

export function loadRelationshipValue(relationshipId: string, stored: StoredRelationship): RelationshipRecord {
  return {
    relationshipId,
    patientId: stored.p,
    providerId: stored.v,
    providerMspId: stored.m,
    endpoint: stored.e,
    status: stored.s,
    createdAt: stored.c,
    updatedAt: stored.u ?? stored.c,
  };
}

export function storePointer({ relationshipId: _id, category: _category, ...rest }: Pointer): StoredPointer {
  return rest;
}

export function loadPointerValue(relationshipId: string, category: string, stored: StoredPointer): Pointer {
  return { relationshipId, category: category as Pointer['category'], ...stored };
}

/** A viewer's entry; a party's is `{}` (not empty bytes: Fabric reads an empty value as deleted). */
export function storeViewerSummary(status: ViewerStatus, updatedAt: string): StoredSummary {
  return { role: 'viewer', status, updatedAt };
}

export function loadSummaryValue(participantId: string, rel: RelationshipRecord, stored: StoredSummary): SummaryEntry {
  return {
    participantId,
    relationshipId: rel.relationshipId,
    role: stored.role ?? (participantId === rel.patientId ? 'patient' : 'provider'),
    status: stored.status ?? rel.status,
    patientId: rel.patientId,
    providerId: rel.providerId,
    providerMspId: rel.providerMspId,
    updatedAt: stored.updatedAt ?? rel.updatedAt,
  };
}
