/**
 * The hash a provider writes in a ledger pointer: SHA-256 (hex) of the resources' canonical JSON,
 * resources sorted by id — the same function as the gateway's hashResources (gateway/src/ehr/records.ts),
 * recomputed on the device so that neither gateway has to be believed.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '../bytes.js';
import { canonicalJson } from '../canonical.js';

export interface FhirResource {
  resourceType: string;
  id: string;
  [element: string]: unknown;
}

export function hashResources(resources: readonly FhirResource[]): string {
  const sorted = [...resources].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(sorted))));
}
