import type { Database } from 'better-sqlite3';
import { migrate } from '../store/gateway-db.js';

/** One line of a participant's feed: a ledger change that concerns them. Pids and ids only. */
export interface Notification {
  seq: number;
  blockNumber: string;
  txId: string;
  event: string;
  participantId: string;
  relationshipId?: string;
  status?: string;
  category?: string;
}

interface Row {
  seq: number;
  block: number;
  tx_id: string;
  event: string;
  participant_id: string;
  relationship_id: string | null;
  status: string | null;
  category: string | null;
}

const fromRow = (r: Row): Notification => ({
  seq: r.seq,
  blockNumber: String(r.block),
  txId: r.tx_id,
  event: r.event,
  participantId: r.participant_id,
  ...(r.relationship_id ? { relationshipId: r.relationship_id } : {}),
  ...(r.status ? { status: r.status } : {}),
  ...(r.category ? { category: r.category } : {}),
});

/** Notifications of this hospital's users and the ledger event checkpoint, both in gateway.db. */
export class NotificationStore {
  constructor(private readonly db: Database) {
    migrate(db);
  }

  /** The block to resume from: the last block processed (its events are re-read and deduplicated). */
  checkpoint(feed = 'chaincode'): bigint {
    const row = this.db.prepare('SELECT block FROM event_checkpoint WHERE feed = ?').get(feed) as
      | { block: number }
      | undefined;
    return BigInt(row?.block ?? 0);
  }

  /** Records one event's notifications and moves the checkpoint, atomically; returns the new rows. */
  record(
    block: bigint,
    txId: string,
    event: string,
    items: { participantId: string; relationshipId?: string; status?: string; category?: string }[],
    feed = 'chaincode',
  ): Notification[] {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO notifications (block, tx_id, event, participant_id, relationship_id, status, category)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    );
    const move = this.db.prepare(
      `INSERT INTO event_checkpoint (feed, block) VALUES (?, ?)
       ON CONFLICT (feed) DO UPDATE SET block = excluded.block`,
    );
    return this.db.transaction(() => {
      const rows: Notification[] = [];
      for (const item of items) {
        const row = insert.get(
          Number(block),
          txId,
          event,
          item.participantId,
          item.relationshipId ?? null,
          item.status ?? null,
          item.category ?? null,
        ) as Row | undefined;
        if (row) rows.push(fromRow(row));
      }
      move.run(feed, Number(block));
      return rows;
    })();
  }

  /** A participant's notifications after a block (exclusive), oldest first. */
  list(participantId: string, afterBlock: bigint, limit: number): Notification[] {
    const rows = this.db
      .prepare(
        'SELECT * FROM notifications WHERE participant_id = ? AND block > ? ORDER BY seq LIMIT ?',
      )
      .all(participantId, Number(afterBlock), limit) as Row[];
    return rows.map(fromRow);
  }
}
