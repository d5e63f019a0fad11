/**
 * An auditor's check of a gatekeeper's access log as read over the wire (raw chained records) against
 * the anchors its gatekeeper wrote on the ledger: each record's hash recomputed, each link to the
 * previous record, no gap from seq 1, and each anchor's head hash equal to the record at its toSeq,
 * the anchors contiguous. Pure: the CLI (bin/audit.ts) fetches, this decides.
 */
import { GENESIS_HASH, recordHash, type AuditRecord } from './record.js';

export interface AnchorRange {
  fromSeq: number;
  toSeq: number;
  headHash: string;
}

export type AuditFinding =
  | { kind: 'edited'; seq: number }
  | { kind: 'relinked'; seq: number }
  | { kind: 'missing'; seq: number; count: number }
  | { kind: 'anchor-mismatch'; toSeq: number }
  | { kind: 'anchor-beyond-log'; toSeq: number }
  | { kind: 'anchor-gap'; fromSeq: number };

export interface AuditVerification {
  ok: boolean;
  records: number;
  head: { seq: number; hash: string };
  anchors: number;
  /** the last seq an anchor covers: later records are not yet anchored (not a fault, but not yet provable) */
  anchoredTo: number;
  findings: AuditFinding[];
}

export function verifyAgainstAnchors(records: readonly AuditRecord[], anchors: readonly AnchorRange[]): AuditVerification {
  const findings: AuditFinding[] = [];
  const bySeq = new Map<number, AuditRecord>();
  let prev = { seq: 0, hash: GENESIS_HASH };
  for (const rec of [...records].sort((a, b) => a.seq - b.seq)) {
    bySeq.set(rec.seq, rec);
    if (rec.seq !== prev.seq + 1) findings.push({ kind: 'missing', seq: prev.seq + 1, count: rec.seq - prev.seq - 1 });
    else if (rec.prevHash !== prev.hash) findings.push({ kind: 'relinked', seq: rec.seq });
    if (recordHash(rec.seq, rec.prevHash, rec) !== rec.hash) findings.push({ kind: 'edited', seq: rec.seq });
    prev = { seq: rec.seq, hash: rec.hash };
  }
  let anchoredTo = 0;
  for (const anchor of [...anchors].sort((a, b) => a.fromSeq - b.fromSeq)) {
    if (anchor.fromSeq !== anchoredTo + 1) findings.push({ kind: 'anchor-gap', fromSeq: anchor.fromSeq });
    const rec = bySeq.get(anchor.toSeq);
    if (!rec) findings.push({ kind: 'anchor-beyond-log', toSeq: anchor.toSeq });
    else if (rec.hash !== anchor.headHash) findings.push({ kind: 'anchor-mismatch', toSeq: anchor.toSeq });
    anchoredTo = Math.max(anchoredTo, anchor.toSeq);
  }
  return { ok: findings.length === 0, records: records.length, head: prev, anchors: anchors.length, anchoredTo, findings };
}
