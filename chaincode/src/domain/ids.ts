import { createHash } from 'node:crypto';

export function sha256hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** One enrolled certificate identity (changes on re-enrolment). */
export function identityId(mspId: string, enrollmentId: string): string {
  return sha256hex(`${mspId}/${enrollmentId}`);
}

/** Ids come from the transaction id so every endorsing peer derives the same one. */
export function participantIdFor(txId: string, index: number): string {
  return sha256hex(`pid:${txId}:${index}`);
}

export function relationshipIdFor(txId: string, index: number): string {
  return sha256hex(`rel:${txId}:${index}`);
}

/** Fabric CA puts the enrollment id in the subject CN; ClientIdentity.getID() is `x509::<subject>::<issuer>`. */
export function commonNameFromClientId(clientId: string): string | undefined {
  const subject = clientId.split('::')[1] ?? '';
  const m = /(?:^|\/)CN=((?:\\\/|[^/])+)/.exec(subject);
  return m ? m[1].replace(/\\\//g, '/') : undefined;
}
