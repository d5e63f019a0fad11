import { DELEGATE_REQUIRED } from './errors';
import type { ParticipantRecord, RelationshipRecord, Role } from './types';

/** Roles a registrar may hand out at its CA; registrars, auditors and admins are created by a CA admin. */
export const REGISTRAR_MAY_ENROL: readonly Role[] = ['patient', 'provider', 'viewer', 'researcher'];

/** Who is asking, as far as the access rules care: from the certificate and the registry. */
export interface Party {
  role: Role;
  mspId: string;
  participantId: string;
  identityId: string;
}

/** A hospital acts through several provider identities (clinicians, its records service). */
export function isProviderOf(caller: Party, rel: RelationshipRecord): boolean {
  return caller.role === 'provider' && caller.mspId === rel.providerMspId;
}

export function isPatientOf(caller: Party, rel: RelationshipRecord): boolean {
  return caller.role === 'patient' && caller.participantId === rel.patientId;
}

/** Who sees a relationship whole (every pointer and grant): its patient, its provider's hospital, auditors. */
export function seesWholeRelationship(caller: Party, rel: RelationshipRecord): boolean {
  return caller.participantId === rel.patientId || isProviderOf(caller, rel) || caller.role === 'auditor';
}

/** Who may ask checkAccess for a requester: the requester itself, the relationship's gatekeeper, auditors. */
export function mayAskAccess(caller: Party, rel: RelationshipRecord, requesterIdentityId: string): boolean {
  return caller.identityId === requesterIdentityId || isProviderOf(caller, rel) || caller.role === 'auditor';
}

/**
 * A patient has at most one relationship with each provider organisation (its chart there); a new
 * one may be opened only when there is none or the patient deleted the last one (delete is final).
 */
export function mayOpenRelationship(existing: RelationshipRecord | null): boolean {
  return existing === null || existing.status === 'deleted';
}

/** What decides where a relationship's patient (a participant with the patient role) may be treated. */
export type PatientParty = Pick<ParticipantRecord, 'mspId' | 'delegate'>;

/**
 * Why a hospital may not open a relationship for this participant, or null when it may
 * (docs/privacy.md §3): the patient must be one this hospital's registrar registered — a delegate
 * for one of its charts, or a person whose home it is (the panel job, a home's own charts). A person
 * registered at another hospital is treated here under a delegate, never under her home participant
 * id, which would name her in both hospitals' relationships and link them for every member.
 */
export function patientRefusal(patient: PatientParty, callerMspId: string): string | null {
  if (patient.mspId === callerMspId) return null;
  return patient.delegate ? 'a delegate serves only at the hospital that registered it' : DELEGATE_REQUIRED;
}
