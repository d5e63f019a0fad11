/**
 * The hash a provider writes in a ledger pointer and the gatekeeper recomputes on every answer:
 * SHA-256 (hex) of the canonical JSON of the complete resources sorted by id, each without its `meta`
 * (lastUpdated and tags are about the copy, not the record). Exact bytes: docs/ehr.md, "The pointer
 * hash". One implementation: the gateway imports it from here, and the device recomputes it so that
 * neither gateway has to be believed.
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
  const content = resources
    .map(({ meta: _meta, ...rest }) => rest)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(content))));
}
