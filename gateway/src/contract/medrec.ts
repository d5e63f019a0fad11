/**
 * The medrec chaincode as typed requests, one function per transaction, modelled on fabric-gateway's
 * Contract: typed arguments in, the chaincode domain's own result types out. Each returns a
 * TransactionRequest; MedrecClient (./client.ts) runs it as a signer.
 */
import type {
  AuditAnchor,
  Category,
  Decision,
  Grant,
  GrantRequest,
  HistoryEntry,
  IdentityRecord,
  Pointer,
  QuerySpec,
  RelationshipHistory,
  RelationshipRecord,
  RelationshipView,
  ResolveResult,
  Role,
  SummaryEntry,
} from '@medrec/chaincode/domain';
import { request } from './request.js';
import { Research } from './research.js';

export { Research } from './research.js';

/** One panel item: `created` by this transaction, `present` already exactly so, `other` another identity's external id (with its role). */
export interface PanelRegistration {
  participantId: string;
  outcome: 'created' | 'present' | 'other';
  role: Role;
}

export interface RegisterItem {
  externalIdHash: string;
  enrollmentId: string;
  role: Role;
}

export interface CreateItem {
  patientId: string;
  endpoint: string;
  pointers?: { category: Category; hash: string }[];
}

export const Registrar = {
  register: (externalIdHash: string, enrollmentId: string, role: Role) =>
    request<IdentityRecord, 'Registrar.register'>('Registrar.register', [externalIdHash, enrollmentId, role]),
  /** The new participant ids, in item order. */
  registerBatch: (items: readonly RegisterItem[]) =>
    request<string[], 'Registrar.registerBatch'>('Registrar.registerBatch', [JSON.stringify(items)]),
  /** Idempotent per patient: items already registered come back `present` or `other`, unwritten. */
  registerPanel: (items: readonly RegisterItem[]) =>
    request<PanelRegistration[], 'Registrar.registerPanel'>('Registrar.registerPanel', [JSON.stringify(items)]),
  /** A patient's identity for one relationship at the caller's hospital, with no external id (docs/privacy.md §3). */
  registerDelegate: (enrollmentId: string) => request<IdentityRecord, 'Registrar.registerDelegate'>('Registrar.registerDelegate', [enrollmentId]),
  remap: (externalIdHash: string, newEnrollmentId: string) =>
    request<IdentityRecord, 'Registrar.remap'>('Registrar.remap', [externalIdHash, newEnrollmentId]),
  /** A delegate's new certificate identity, by its participant id (only the hospital that registered it). */
  remapDelegate: (participantId: string, newEnrollmentId: string) =>
    request<IdentityRecord, 'Registrar.remapDelegate'>('Registrar.remapDelegate', [participantId, newEnrollmentId]),
  /** A home's index entries moved to its new key: per item `rekeyed`, or `present` when an earlier run did it. */
  rekey: (items: readonly { oldHash: string; newHash: string }[]) =>
    request<('rekeyed' | 'present')[], 'Registrar.rekey'>('Registrar.rekey', [JSON.stringify(items)]),
  resolve: (externalIdHash: string) => request<ResolveResult, 'Registrar.resolve'>('Registrar.resolve', [externalIdHash]),
  whoami: () => request<IdentityRecord, 'Registrar.whoami'>('Registrar.whoami', []),
  history: (externalIdHash: string) => request<HistoryEntry[], 'Registrar.history'>('Registrar.history', [externalIdHash]),
  historyOf: (participantId: string) => request<HistoryEntry[], 'Registrar.historyOf'>('Registrar.historyOf', [participantId]),
};

export const Relationship = {
  create: (patientId: string, endpoint: string) =>
    request<{ relationshipId: string }, 'Relationship.create'>('Relationship.create', [patientId, endpoint]),
  /** The new relationship ids, in item order. */
  createBatch: (items: readonly CreateItem[]) =>
    request<string[], 'Relationship.createBatch'>('Relationship.createBatch', [JSON.stringify(items)]),
  /** In order, each patient's relationship with the caller's hospital that blocks a new one, or null. */
  ofPatients: (patientIds: readonly string[]) =>
    request<(string | null)[], 'Relationship.ofPatients'>('Relationship.ofPatients', [JSON.stringify(patientIds)]),
  putPointer: (relationshipId: string, category: Category, sha256: string) =>
    request<Pointer, 'Relationship.putPointer'>('Relationship.putPointer', [relationshipId, category, sha256]),
  /** How many pointers changed (an item with the pointer's current hash changes nothing). */
  putPointers: (items: readonly { relationshipId: string; category: Category; sha256: string }[]) =>
    request<number, 'Relationship.putPointers'>('Relationship.putPointers', [JSON.stringify(items)]),
  accept: (relationshipId: string) => request<RelationshipRecord, 'Relationship.accept'>('Relationship.accept', [relationshipId]),
  reject: (relationshipId: string) => request<RelationshipRecord, 'Relationship.reject'>('Relationship.reject', [relationshipId]),
  remove: (relationshipId: string) => request<RelationshipRecord, 'Relationship.remove'>('Relationship.remove', [relationshipId]),
  grant: (relationshipId: string, viewerId: string, grant: GrantRequest) =>
    request<Grant, 'Relationship.grant'>('Relationship.grant', [relationshipId, viewerId, JSON.stringify(grant)]),
  revoke: (relationshipId: string, viewerId: string) =>
    request<Grant, 'Relationship.revoke'>('Relationship.revoke', [relationshipId, viewerId]),
  get: (relationshipId: string) => request<RelationshipView, 'Relationship.get'>('Relationship.get', [relationshipId]),
  checkAccess: (relationshipId: string, requesterIdentityId: string, category: string, fields: readonly string[]) =>
    request<Decision, 'Relationship.checkAccess'>('Relationship.checkAccess', [
      relationshipId,
      requesterIdentityId,
      category,
      JSON.stringify(fields),
    ]),
  history: (relationshipId: string) =>
    request<RelationshipHistory, 'Relationship.history'>('Relationship.history', [relationshipId]),
  /** A pointer update carrying a bounty query (docs/research.md); the steward it went to is in the result. */
  putPointerWithBounty: (relationshipId: string, category: Category, sha256: string, bounty: QuerySpec) =>
    request<{ pointer: Pointer; bountyId: string; stewardId: string }, 'Relationship.putPointerWithBounty'>('Relationship.putPointerWithBounty', [
      relationshipId,
      category,
      sha256,
      JSON.stringify(bounty),
    ]),
};

export const Summary = {
  mine: () => request<SummaryEntry[], 'Summary.mine'>('Summary.mine', []),
  of: (participantId: string) => request<SummaryEntry[], 'Summary.of'>('Summary.of', [participantId]),
  acknowledge: (relationshipId: string) =>
    request<RelationshipRecord, 'Summary.acknowledge'>('Summary.acknowledge', [relationshipId]),
  markUpdateAvailable: (relationshipId: string) =>
    request<RelationshipRecord, 'Summary.markUpdateAvailable'>('Summary.markUpdateAvailable', [relationshipId]),
};

export const Audit = {
  anchor: (fromSeq: number, toSeq: number, headHash: string) =>
    request<AuditAnchor, 'Audit.anchor'>('Audit.anchor', [String(fromSeq), String(toSeq), headHash]),
  list: (mspId: string) => request<AuditAnchor[], 'Audit.list'>('Audit.list', [mspId]),
};

/** Every transaction builder by contract, for tests that compare the client with the served metadata. */
export const MEDREC = { Registrar, Relationship, Summary, Audit, Research } as const;
