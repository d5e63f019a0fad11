/**
 * Answers sealed to the requester (docs/device-keys.md §6): a compact JWE (ECDH-ES, A256GCM) to the
 * public key of the certificate that signed the request, so the home gateway relaying it, and any
 * proxy, see ciphertext only. The header names the request (`jti`), so an older answer cannot be
 * passed off as this one. ECDH-ES encrypts but does not authenticate the sender: the device checks
 * the records against the ledger's pointer hash itself.
 */
import type { X509Certificate } from 'node:crypto';
import { CompactEncrypt } from 'jose';

/** `content` as JSON in a compact JWE to the requester's certificate key, its type `cty`, naming request `jti`. */
export async function sealTo(content: unknown, cty: string, requester: X509Certificate, jti: string): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(content)))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', cty, jti })
    .encrypt(requester.publicKey);
}

/** Whether an Accept header asks for the sealed form (application/jose) rather than JSON. */
export function wantsSealed(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .map((part) => part.split(';')[0]!.trim().toLowerCase())
    .includes('application/jose');
}
