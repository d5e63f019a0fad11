import { createHmac } from 'node:crypto';

/**
 * The keyed hash the ledger stores instead of an external identifier (docs/DESIGN.md):
 * HMAC-SHA256(consortiumKey, kind + ":" + externalId), 64 lowercase hex.
 */
export function externalIdHash(consortiumKey: string, kind: string, externalId: string): string {
  return createHmac('sha256', consortiumKey).update(`${kind}:${externalId}`, 'utf8').digest('hex');
}
