import type { Notification } from '../services/notifications/store.js';

/** One server-sent event; the id is the block number, so a client resumes with Last-Event-ID. */
export function sseMessage(n: Notification): string {
  const data = JSON.stringify({
    event: n.event,
    relationshipId: n.relationshipId,
    status: n.status,
    category: n.category,
    blockNumber: n.blockNumber,
    txId: n.txId,
  });
  return `id: ${n.blockNumber}\nevent: ${n.event}\ndata: ${data}\n\n`;
}

/** Last-Event-ID as a block number; anything else means "from the start". */
export function resumeBlock(lastEventId: string | undefined): bigint {
  return lastEventId !== undefined && /^(0|[1-9][0-9]{0,15})$/.test(lastEventId) ? BigInt(lastEventId) : 0n;
}
