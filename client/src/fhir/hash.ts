/**
 * The hash a provider writes in a ledger pointer and the gatekeeper recomputes on every answer:
 * SHA-256 (hex) of the canonical JSON of the complete resources sorted by id, each without its `meta`
 * (lastUpdated and tags are about the copy, not the record). Exact bytes: docs/ehr.md, "The pointer
 * hash". One implementation: the gateway imports it from here, and the device recomputes it so that
 * neither gateway has to be believed. The SHA-256 is injectable: browsers use @noble/hashes (pure
 * JavaScript, the default), the gateway node:crypto's native one — the same bytes either way.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '../bytes.js';
import { canonicalJson } from '../canonical.js';

export interface FhirResource {
  resourceType: string;
  id: string;
  [element: string]: unknown;
}

/** SHA-256 of a text's UTF-8 bytes, as lowercase hex. */
export type Sha256Hex = (text: string) => string;

/** The portable digest: @noble/hashes, in any JavaScript engine. */
export const sha256Hex: Sha256Hex = (text) => bytesToHex(sha256(utf8ToBytes(text)));

/** The text the pointer hash is the SHA-256 of. */
export function canonicalResources(resources: readonly FhirResource[]): string {
  const content = resources
    .map(({ meta: _meta, ...rest }) => rest)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return canonicalJson(content);
}

export function hashResources(resources: readonly FhirResource[], digest: Sha256Hex = sha256Hex): string {
  return digest(canonicalResources(resources));
}
