import { checkAccess } from './access';
import { mayAskAccess } from './authorisation';
import { forbidden, notFound } from './errors';
import { identityId } from './ids';
import { keys } from './keys';
import { loadPointerValue, loadRelationshipValue, type StoredPointer, type StoredRelationship } from './stored';
import { rolesFor } from './transactions';
import { ROLES, type Decision, type Grant, type IdentityRecord, type Pointer, type RelationshipRecord, type Role } from './types';
import { parseFieldsJson, requireCategory, requireHex64 } from './validation';

/**
 * Committed world state, read only, as JSON records (a missing key reads as null). The chaincode
 * reads it through its stub; the gateway's ledger adapters through their copy of the committed
 * state. Whatever reads it, the decision below is the same code.
 */
export interface StateReader {
  get<T>(key: string): Promise<T | null>;
}

/** What a certificate says about its holder: Fabric CA's `role` and `hf.EnrollmentID` attributes (else the subject CN). */
export interface CertificateClaims {
  mspId: string;
  role: string | null | undefined;
  enrollmentId: string | null | undefined;
}

export interface CertCaller {
  mspId: string;
  role: Role;
  identityId: string;
}

export interface Caller extends CertCaller {
  record: IdentityRecord;
  participantId: string;
}

/** Who signed, from the certificate only: roles never come from arguments. */
export function certCaller(claims: CertificateClaims): CertCaller {
  const { mspId, role, enrollmentId } = claims;
  if (!role || !(ROLES as readonly string[]).includes(role)) throw forbidden('the certificate carries no known role');
  if (!enrollmentId) throw forbidden('the certificate names no enrollment id');
  return { mspId, role: role as Role, identityId: identityId(mspId, enrollmentId) };
}

/** The caller must be registered, active, and registered with the role its certificate carries. */
export async function registeredCaller(state: StateReader, cert: CertCaller, allowed?: readonly Role[]): Promise<Caller> {
  if (allowed && !allowed.includes(cert.role)) throw forbidden(`role ${cert.role} may not call this transaction`);
  const record = await state.get<IdentityRecord>(keys.identity(cert.identityId));
  if (!record) throw forbidden('the caller is not registered');
  if (record.status !== 'active') throw forbidden('the caller identity has been superseded');
  if (record.role !== cert.role) throw forbidden('the certificate role differs from the registered role');
  return { ...cert, record, participantId: record.participantId };
}

export async function loadRelationship(state: StateReader, relationshipId: unknown): Promise<RelationshipRecord> {
  const id = requireHex64(relationshipId, 'relationshipId');
  const stored = await state.get<StoredRelationship>(keys.relationship(id));
  if (!stored) throw notFound('no such relationship');
  return loadRelationshipValue(id, stored);
}

export async function getPointer(state: StateReader, relationshipId: string, category: string): Promise<Pointer | null> {
  const stored = await state.get<StoredPointer>(keys.pointer(relationshipId, category));
  return stored && loadPointerValue(relationshipId, category, stored);
}

/** Relationship.checkAccess's arguments, as the transaction receives them. */
export interface AccessQuestion {
  relationshipId: string;
  requesterIdentityId: string;
  category: string;
  /** JSON array of top-level fields; `[]` means every field the requester may see */
  fieldsJson: string;
}

/**
 * Relationship.checkAccess whole: the registered-caller check, who may ask, the point reads and the
 * rule (`checkAccess`). The contract method runs it on the stub; the gateway's ledger adapters run it
 * on their copy of the committed state, so the rule cannot drift between them. A denial is a
 * Decision; bad input and a caller who may not ask throw MedrecError, as the transaction does.
 */
export async function decideAccess(state: StateReader, cert: CertCaller, question: AccessQuestion, now: string): Promise<Decision> {
  const caller = await registeredCaller(state, cert, rolesFor('Relationship.checkAccess'));
  const requesterIid = requireHex64(question.requesterIdentityId, 'requesterIdentityId');
  const category = requireCategory(question.category);
  const fields = parseFieldsJson(question.fieldsJson, category);
  const rel = await loadRelationship(state, question.relationshipId);
  if (!mayAskAccess(caller, rel, requesterIid)) throw forbidden("only the requester, the relationship's gatekeeper or an auditor may ask");
  const requester = await state.get<IdentityRecord>(keys.identity(requesterIid));
  if (!requester) throw notFound('the requester is not registered');
  return checkAccess({
    relationship: rel,
    requester,
    grant: await state.get<Grant>(keys.grant(rel.relationshipId, requester.participantId)),
    pointer: await getPointer(state, rel.relationshipId, category),
    category,
    fields,
    now,
  });
}
