/** registerPanel's and createBatch's bound (the chaincode's batch limit). */
export const MAX_BATCH = 500;

/**
 * Patients per ledger transaction when the upload names none, per ledger adapter. Fabric's is
 * smaller: each of createBatch's ~15 state calls a patient is a round trip between the peer and the
 * chaincode server, and 500 took longer than the 15 s endorsement deadline (docs/onboarding.md:
 * batches of 100 onboarded 9,948 patients at load 14–15 without a timeout; 500 timed out).
 */
export const DEFAULT_PANEL_BATCH: Record<'embedded' | 'fabric', number> = { embedded: MAX_BATCH, fabric: 100 };

/**
 * The batch size to try after a batch of `size` timed out at the ledger: half (rounded up), so a
 * batch that would fit is reached in a few steps (500 → 250 → 125 → 63 …); none after a single
 * patient timed out alone — less is not possible, so the timeout is the answer.
 */
export function shrunk(size: number): number | undefined {
  return size > 1 ? Math.ceil(size / 2) : undefined;
}
