/**
 * The gatekeeper's answer as it travels (gateway/src/services/gatekeeper/answer.ts produces it), and
 * the requester's own check of it: a complete answer is re-hashed and compared with the pointer in the
 * requester's ledger view. The device and the gateway's /records/fetch run this same code.
 */
import { hashResources, type FhirResource } from '../fhir/hash.js';

export interface GatekeeperAnswer {
  relationshipId: string;
  category: string;
  decision: string;
  /** the elements served (all the requester may see when it asked for none) */
  fields: string[];
  /** true when elements were left out of the resources: the source hash then covers more than was sent */
  projected: boolean;
  ledgerHash: string;
  sourceHash: string;
  hashMatches: boolean;
  version: number;
  bundle: {
    resourceType: 'Bundle';
    type: string;
    total?: number;
    meta?: Record<string, unknown>;
    link?: { relation: string; url: string }[];
    entry: { fullUrl?: string; resource: FhirResource; search?: unknown }[];
  };
}

export function isGatekeeperAnswer(body: unknown): body is GatekeeperAnswer {
  const b = body as Partial<GatekeeperAnswer> | undefined;
  return (
    typeof b?.relationshipId === 'string' &&
    typeof b.ledgerHash === 'string' &&
    typeof b.sourceHash === 'string' &&
    typeof b.hashMatches === 'boolean' &&
    typeof b.projected === 'boolean' &&
    b.bundle?.resourceType === 'Bundle' &&
    Array.isArray(b.bundle.entry)
  );
}

export interface RecordCheck {
  /** the pointer hash the caller trusts (its own ledger view), or null when it has none */
  ledgerHash: string | null;
  /** hash of the resources received, when complete (nothing projected away) */
  localHash: string | null;
  /** localHash equals ledgerHash; null when either is missing */
  matches: boolean | null;
}

/** Re-hashes a complete answer's resources and compares with the ledger pointer. */
export function checkRecords(answer: GatekeeperAnswer, ledgerHash: string | null): RecordCheck {
  const localHash = answer.projected ? null : hashResources(answer.bundle.entry.map((e) => e.resource));
  return { ledgerHash, localHash, matches: localHash === null || ledgerHash === null ? null : localHash === ledgerHash };
}
