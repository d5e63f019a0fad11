import { fieldsOf, type Category } from './categories';
import { patientMayRead, viewerMayRead } from './status';
import type { Decision, DecisionCode, Grant, IdentityRecord, Pointer, RelationshipRecord, SummaryRole } from './types';

export interface AccessQuery {
  relationship: RelationshipRecord;
  requester: IdentityRecord;
  /** the requester's grant on this relationship, if any */
  grant: Grant | null;
  pointer: Pointer | null;
  category: Category;
  /** requested fields; empty means "every field the requester may see" */
  fields: string[];
  /** transaction time, ISO */
  now: string;
}

/**
 * The one access rule the gatekeeper obeys. Pure: a denial is a Decision with a reason, never an
 * exception, so the gatekeeper can audit why it refused.
 */
export function checkAccess(q: AccessQuery): Decision {
  const { relationship: rel, requester, grant } = q;
  const role: SummaryRole | null =
    requester.participantId === rel.patientId
      ? 'patient'
      : requester.participantId === rel.providerId
        ? 'provider'
        : grant
          ? 'viewer'
          : null;
  const base = {
    relationshipId: rel.relationshipId,
    requesterId: requester.participantId,
    requesterRole: role,
    category: q.category,
    providerMspId: rel.providerMspId,
    patientId: rel.patientId,
    validUntil: role === 'viewer' && grant ? grant.validUntil : null,
  };
  const deny = (code: DecisionCode, reason: string): Decision => ({
    ...base,
    allowed: false,
    code,
    reason,
    fields: [],
    pointer: null,
  });

  if (requester.status !== 'active') return deny('IDENTITY_INACTIVE', 'the requesting identity has been superseded');
  if (role === null) return deny('NOT_A_PARTY', 'the requester is neither a party of nor a viewer on this relationship');
  if (rel.status === 'deleted') return deny('RELATIONSHIP_DELETED', 'the patient deleted this relationship');
  if (rel.status === 'rejected') return deny('RELATIONSHIP_REJECTED', 'the patient rejected this relationship');

  let fields: string[];
  if (role === 'viewer' && grant) {
    if (!viewerMayRead(rel.status)) {
      return deny('RELATIONSHIP_NOT_ACCEPTED', 'viewers may read only while the patient has accepted the relationship');
    }
    if (grant.status === 'revoked') return deny('GRANT_REVOKED', 'the patient revoked this grant');
    if (q.now >= grant.validUntil) return deny('GRANT_EXPIRED', 'the grant has expired');
    const item = grant.items.find((i) => i.category === q.category);
    if (!item) return deny('CATEGORY_NOT_GRANTED', `${q.category} is not granted to this viewer`);
    if (q.fields.some((f) => !item.fields.includes(f))) {
      return deny('FIELD_NOT_GRANTED', 'a requested field is not granted to this viewer');
    }
    fields = q.fields.length > 0 ? q.fields : [...item.fields];
  } else {
    if (!patientMayRead(rel.status)) {
      return deny('RELATIONSHIP_NOT_ACCEPTED', 'the relationship is not open for reading');
    }
    fields = q.fields.length > 0 ? q.fields : [...fieldsOf(q.category)];
  }

  if (!q.pointer) return deny('NO_POINTER', `the provider has no ${q.category} pointer on this relationship`);
  return {
    ...base,
    allowed: true,
    code: role === 'patient' ? 'ALLOWED_PATIENT' : role === 'provider' ? 'ALLOWED_PROVIDER' : 'ALLOWED_VIEWER',
    reason: `${role} may read ${q.category}`,
    fields,
    pointer: { hash: q.pointer.hash, version: q.pointer.version, updatedAt: q.pointer.updatedAt },
  };
}

/** A grant that would let its viewer read now (used to decide what a viewer may see of a relationship). */
export function grantIsLive(grant: Grant | null, now: string): grant is Grant {
  return grant !== null && grant.status === 'granted' && now < grant.validUntil;
}
