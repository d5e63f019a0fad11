import { randomBytes } from 'node:crypto';

/**
 * The enrollment id a certificate carries (its CN and `hf.EnrollmentID`) and the ledger hashes into
 * the identity id: 128 random bits, never the username. Every block carries its signer's certificate
 * and every member hospital holds every block, so a username there would name the person to all of
 * them, and `identityId(mspId, username)` could be recomputed from a guessed name. The username
 * stays in the home gateway's database (docs/privacy.md).
 */
export function opaqueEnrollmentId(): string {
  return `e${randomBytes(16).toString('hex')}`;
}
