import { conflict } from './errors';
import type { RelationshipStatus } from './types';

/** The patient's and the provider's actions on a relationship, and what they lead to. */
export type RelationshipAction = 'accept' | 'reject' | 'remove' | 'acknowledge' | 'markUpdateAvailable' | 'putPointer';

const FROM: Record<RelationshipAction, readonly RelationshipStatus[]> = {
  accept: ['new', 'update_available', 'rejected'],
  reject: ['new', 'update_available', 'accepted'],
  remove: ['new', 'update_available', 'accepted', 'rejected'],
  acknowledge: ['update_available'],
  markUpdateAvailable: ['accepted'],
  putPointer: ['new', 'update_available', 'accepted'],
};

export function nextStatus(current: RelationshipStatus, action: RelationshipAction): RelationshipStatus {
  if (!FROM[action].includes(current)) {
    throw conflict(`cannot ${action} a relationship that is ${current}`);
  }
  switch (action) {
    case 'accept':
    case 'acknowledge':
      return 'accepted';
    case 'reject':
      return 'rejected';
    case 'remove':
      return 'deleted';
    case 'markUpdateAvailable':
      return 'update_available';
    case 'putPointer':
      // New data on an accepted relationship needs the patient's look before it is shared again.
      return current === 'accepted' ? 'update_available' : current;
  }
}

/** A patient verifies a record before accepting it, so the patient reads while it is not closed. */
export function patientMayRead(status: RelationshipStatus): boolean {
  return status === 'new' || status === 'update_available' || status === 'accepted';
}

export function viewerMayRead(status: RelationshipStatus): boolean {
  return status === 'accepted';
}

export function grantAllowed(status: RelationshipStatus): boolean {
  return status === 'accepted';
}
