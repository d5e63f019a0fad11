import { conflict, forbidden, notFound } from './errors';
import type { IdentityRecord, ParticipantRecord } from './types';

/**
 * How identity mappings change after registration: a re-map (a new certificate identity for the same
 * participant) and a re-key (the same participant under its home's new index entry). Pure: the
 * contract reads the records, these decide what is written.
 */

/** A re-map: the old identity superseded by the new one, which speaks for the same participant from now on. */
export function remapped(
  participant: ParticipantRecord,
  old: IdentityRecord | null,
  newIdentityId: string,
  now: string,
): { superseded: IdentityRecord | null; identity: IdentityRecord; participant: ParticipantRecord } {
  return {
    superseded: old && { ...old, status: 'superseded', supersededBy: newIdentityId, updatedAt: now },
    identity: {
      identityId: newIdentityId,
      participantId: participant.participantId,
      mspId: participant.mspId,
      role: participant.role,
      status: 'active',
      registeredAt: now,
      updatedAt: now,
      supersededBy: null,
    },
    participant: { ...participant, identityId: newIdentityId, updatedAt: now },
  };
}

/** Only the organisation that registered a participant may re-map or re-key it. */
export function requireOwnParticipant(participant: ParticipantRecord, mspId: string, what: string): void {
  if (participant.mspId !== mspId) throw forbidden(`only a registrar of the participant's organisation may ${what} it`);
}

/** What the ledger holds of one item of a re-key: the participant each entry names, if any. */
export interface RekeyReads {
  byOld: ParticipantRecord | null;
  byNew: ParticipantRecord | null;
}

/**
 * One index entry's re-key by its home: `rekey` (the old entry exists: it goes, the new one names
 * the participant) or `present` (already re-keyed by an earlier run: the old entry is gone and the
 * new one names this home's participant under it), so a rotation resumed after a crash, or a batch
 * sent twice, changes nothing twice.
 */
export function rekeyOutcome(reads: RekeyReads, newHash: string, mspId: string): 'rekey' | 'present' {
  if (reads.byOld) {
    requireOwnParticipant(reads.byOld, mspId, 're-key');
    if (reads.byNew) throw conflict('the new index entry is already registered');
    return 'rekey';
  }
  if (reads.byNew && reads.byNew.externalIdHash === newHash) {
    requireOwnParticipant(reads.byNew, mspId, 're-key');
    return 'present';
  }
  throw notFound('no participant is registered under the old index entry');
}

/** The participant under its new index entry; its history keeps the old one. */
export function rekeyed(participant: ParticipantRecord, newHash: string, now: string): ParticipantRecord {
  return { ...participant, externalIdHash: newHash, updatedAt: now };
}
