import type { MedrecClient } from '../../src/contract/client.js';
import type { Signer } from '../../src/ports/ledger.js';
import { listAnchors, type Anchor } from '../../src/services/audit/anchor.js';
import type { AuditLog, ChainProblem, ChainReport } from '../../src/services/audit/log.js';

export type AnchorProblem =
  | { kind: 'chain'; problem: ChainProblem }
  | { kind: 'gap'; fromSeq: number; expectedFrom: number }
  | { kind: 'head-mismatch'; toSeq: number }
  | { kind: 'truncated'; toSeq: number; logHead: number };

export interface AnchorCheck {
  ok: boolean;
  anchoredTo: number;
  unanchored: number;
  problems: AnchorProblem[];
}

/**
 * The auditor's check: the log's own chain must be intact, the ledger's anchors must cover it
 * contiguously from seq 1, and every anchored head must still be the hash stored at that seq.
 * A record edited and the chain recomputed after it, or records dropped from the end, both show
 * here even though `verify()` alone cannot see them.
 */
export function checkAgainstAnchors(
  chain: ChainReport,
  hashAt: (seq: number) => string | undefined,
  anchors: Anchor[],
): AnchorCheck {
  const problems: AnchorProblem[] = chain.problems.map((problem) => ({ kind: 'chain', problem }));
  let expectedFrom = 1;
  for (const a of [...anchors].sort((x, y) => x.fromSeq - y.fromSeq)) {
    if (a.fromSeq !== expectedFrom) problems.push({ kind: 'gap', fromSeq: a.fromSeq, expectedFrom });
    if (a.toSeq > chain.head.seq) problems.push({ kind: 'truncated', toSeq: a.toSeq, logHead: chain.head.seq });
    else if (hashAt(a.toSeq) !== a.headHash) problems.push({ kind: 'head-mismatch', toSeq: a.toSeq });
    expectedFrom = a.toSeq + 1;
  }
  const anchoredTo = expectedFrom - 1;
  return {
    ok: problems.length === 0,
    anchoredTo,
    unanchored: Math.max(0, chain.head.seq - anchoredTo),
    problems,
  };
}

/** Runs the check on a hospital's log against the anchors its gatekeeper left on the ledger. */
export async function checkLogAgainstLedger(
  log: AuditLog,
  client: MedrecClient,
  auditor: Signer,
  mspId: string,
): Promise<AnchorCheck> {
  const anchors = await listAnchors(client, auditor, mspId);
  return checkAgainstAnchors(log.verify(), (seq) => log.hashAt(seq), anchors);
}
