import type { Category } from './categories';
import type { Purpose } from './purposes';

export const ROLES = ['patient', 'provider', 'registrar', 'viewer', 'researcher', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type IdentityStatus = 'active' | 'superseded';

/** One certificate identity (iid) and the participant (pid) it speaks for. */
export interface IdentityRecord {
  identityId: string;
  participantId: string;
  mspId: string;
  role: Role;
  status: IdentityStatus;
  registeredAt: string;
  updatedAt: string;
  supersededBy: string | null;
}

/** The stable person behind one or more identities over time. */
export interface ParticipantRecord {
  participantId: string;
  /** null for a delegate, which no external id names (docs/privacy.md §3) */
  externalIdHash: string | null;
  /**
   * A delegate: the identity a patient uses for one relationship at the hospital that registered it,
   * so that nothing on the ledger ties her relationships at different hospitals together.
   */
  delegate?: true;
  identityId: string;
  mspId: string;
  role: Role;
  registeredAt: string;
  updatedAt: string;
}

export interface ResolveResult {
  participantId: string;
  role: Role;
  mspId: string;
  status: IdentityStatus;
}

export type RelationshipStatus = 'new' | 'update_available' | 'accepted' | 'rejected' | 'deleted';
export type ViewerStatus = 'granted' | 'revoked';
export type SummaryStatus = RelationshipStatus | ViewerStatus;

export interface RelationshipRecord {
  relationshipId: string;
  patientId: string;
  providerId: string;
  providerMspId: string;
  endpoint: string;
  status: RelationshipStatus;
  createdAt: string;
  updatedAt: string;
}

export interface Pointer {
  relationshipId: string;
  category: Category;
  hash: string;
  version: number;
  updatedAt: string;
}

export interface GrantItem {
  category: Category;
  fields: string[];
}

export interface Grant {
  relationshipId: string;
  viewerId: string;
  items: GrantItem[];
  validUntil: string;
  purpose: Purpose;
  status: ViewerStatus;
  grantedAt: string;
  updatedAt: string;
}

export interface GrantRequest {
  items: GrantItem[];
  validUntil: string;
  purpose: Purpose;
}

export type SummaryRole = 'patient' | 'provider' | 'viewer';

export interface SummaryEntry {
  participantId: string;
  relationshipId: string;
  role: SummaryRole;
  status: SummaryStatus;
  patientId: string;
  providerId: string;
  providerMspId: string;
  updatedAt: string;
}

export interface RelationshipView extends RelationshipRecord {
  pointers: Pointer[];
  grants: Grant[];
}

export interface HistoryEntry {
  txId: string;
  timestamp: string;
  isDelete: boolean;
  value: unknown;
}

export interface RelationshipHistory {
  relationship: HistoryEntry[];
  pointers: { category: string; history: HistoryEntry[] }[];
  grants: { viewerId: string; history: HistoryEntry[] }[];
}

export interface AuditAnchor {
  mspId: string;
  fromSeq: number;
  toSeq: number;
  headHash: string;
  anchoredBy: string;
  anchoredAt: string;
  txId: string;
}

export type DecisionCode =
  | 'ALLOWED_PATIENT'
  | 'ALLOWED_PROVIDER'
  | 'ALLOWED_VIEWER'
  | 'NOT_A_PARTY'
  | 'RELATIONSHIP_REJECTED'
  | 'RELATIONSHIP_DELETED'
  | 'RELATIONSHIP_NOT_ACCEPTED'
  | 'GRANT_REVOKED'
  | 'GRANT_EXPIRED'
  | 'CATEGORY_NOT_GRANTED'
  | 'FIELD_NOT_GRANTED'
  | 'NO_POINTER'
  | 'IDENTITY_INACTIVE';

export interface Decision {
  allowed: boolean;
  code: DecisionCode;
  reason: string;
  relationshipId: string;
  requesterId: string;
  /** null when the requester is not a party of the relationship */
  requesterRole: SummaryRole | null;
  category: Category;
  fields: string[];
  pointer: { hash: string; version: number; updatedAt: string } | null;
  validUntil: string | null;
  providerMspId: string;
  patientId: string;
}

export interface Notification {
  participantId: string;
  relationshipId?: string;
  status?: string;
  category?: string;
}

export interface ChaincodeEvent {
  notifications: Notification[];
}

export const EVENT_NAMES = [
  'IdentityRegistered',
  'RelationshipCreated',
  'PointerUpdated',
  'RelationshipAccepted',
  'RelationshipRejected',
  'RelationshipDeleted',
  'GrantCreated',
  'GrantRevoked',
  'UpdateAcknowledged',
  'UpdateAvailable',
  'IdentityRemapped',
  'AuditAnchored',
  'BatchRegistered',
  'RelationshipsCreated',
  'ResearchConsented',
  'ResearchWithdrawn',
  'StudySubmitted',
  'StewardRegistered',
  'GatekeeperPublished',
  'AnswerReleased',
  'PointersUpdated',
  'IndexRekeyed',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];
