import { setTimeout as sleep } from 'node:timers/promises';
import type { Status } from '@hyperledger/fabric-gateway';
import { LedgerUnavailableError, TransactionOutcomeUnknownError, type LedgerResend } from '../../../ports/ledger.js';
import { toPortError } from './errors.js';

/** What `settle` needs of the Fabric client: sending the transaction, reading its status, through one peer. */
export interface SettleCalls<P> {
  /** This hospital's peers, the one that endorsed first. */
  peers: readonly P[];
  /** the peer's endpoint, for the resend's log line */
  name(peer: P): string;
  send(peer: P, deadline: number): Promise<void>;
  status(peer: P, deadline: number): Promise<Status>;
  /** told of each send after the first, with why */
  onResend(resend: LedgerResend): void;
  closed(): boolean;
}

/**
 * Sends a transaction for ordering (through `peers[0]`) and waits, within one commit wait, for its
 * status on this hospital's peers. A send that ordering refuses (no raft leader while one is
 * elected, an orderer cut off) is sent again a second later (`refused`); a status that does not come
 * within a third of the wait sends the same signed transaction again, through the next peer
 * (`late_status`): a raft follower forwards to its leader without telling the submitter whether that
 * worked (one just reconnected after a partition drops it). A transaction id commits at most once —
 * a second copy is marked DUPLICATE_TXID and every peer answers the first — so a resend never
 * applies a change twice. A send may have reached ordering even when refused (a timeout), so a wait
 * that ends without a status is TransactionOutcomeUnknownError, never "nothing changed".
 */
export async function settle<P>(txId: string, calls: SettleCalls<P>, timeouts: { submit: number; commitStatus: number }): Promise<Status> {
  const until = Date.now() + timeouts.commitStatus;
  const round = Math.max(1_000, Math.floor(timeouts.commitStatus / 3));
  let last: Error | undefined;
  let sent = false;
  let resend: LedgerResend['reason'] | undefined;
  for (let attempt = 0; attempt === 0 || Date.now() < until; attempt++) {
    const peer = calls.peers[attempt % calls.peers.length]!;
    if (resend) calls.onResend({ txId, peer: calls.name(peer), reason: resend });
    try {
      await calls.send(peer, Math.min(until, Date.now() + timeouts.submit));
      sent = true;
      resend = 'late_status';
    } catch (error) {
      last = toPortError(error);
      // A refusal before ordering (a bad signature, a closed client) is the answer on the first send.
      if (attempt === 0 && !(last instanceof LedgerUnavailableError)) throw last;
      resend = 'refused';
    }
    const roundEnd = Math.min(until, Date.now() + (sent ? round : 1_000));
    if (sent) {
      try {
        return await calls.status(peer, roundEnd);
      } catch (error) {
        last = toPortError(error);
        if (!(last instanceof LedgerUnavailableError)) throw last;
      }
    }
    if (calls.closed()) break;
    // A peer that refuses at once (down) is not asked again in a tight loop.
    if (Date.now() < roundEnd) await sleep(Math.min(1_000, roundEnd - Date.now()));
  }
  throw new TransactionOutcomeUnknownError(txId, last?.message ?? 'no commit status within the commit wait', { cause: last });
}
