import { createHash } from 'node:crypto';

/**
 * One gatekeeper decision as the audit log keeps it: who asked (identity id and MSP — pseudonymous
 * hashes, never a name or MRN), for what (relationship id, category, field names), the outcome and
 * whether the source data still matched the ledger. Never medical data.
 */
export interface AuditEntry {
  at: string;
  requester: string | null;
  mspId: string | null;
  role: string | null;
  relationshipId: string | null;
  category: string | null;
  fields: string[] | null;
  decision: string;
  status: number;
  hashMatches: boolean | null;
  jti: string | null;
  /** Expiry of the signed request (epoch seconds); lets a restarted gatekeeper rebuild its replay cache. */
  exp: number | null;
  /** The study or bounty a research request asked about (docs/research.md); absent for record requests. */
  queryId?: string | null;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The chain link: covers every column, in a fixed order, and the previous record's hash. The query id
 * came later: it is covered when present, so the records written before it keep their hashes.
 */
export function recordHash(seq: number, prevHash: string, e: AuditEntry): string {
  const canonical = JSON.stringify([
    seq,
    prevHash,
    e.at,
    e.requester,
    e.mspId,
    e.role,
    e.relationshipId,
    e.category,
    e.fields,
    e.decision,
    e.status,
    e.hashMatches,
    e.jti,
    e.exp,
    ...(e.queryId ? [e.queryId] : []),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
