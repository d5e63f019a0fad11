import type { Database, Statement } from 'better-sqlite3';
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

type Item = { participantId: string; relationshipId?: string; status?: string; category?: string };

/**
 * Notifications of this hospital's users and the ledger event checkpoint, both in gateway.db. Its
 * statements are prepared once: the feed records every ledger event, and preparing per event was
 * about a tenth of a consent's CPU.
 */
export class NotificationStore {
  private readonly readCheckpoint: Statement<[string], { block: number }>;
  private readonly insert: Statement<[number, string, string, string, string | null, string | null, string | null], Row>;
  private readonly move: Statement<[string, number]>;
  private readonly after: Statement<[string, number, number], Row>;
  private readonly recordAll: (block: number, txId: string, event: string, items: Item[], feed: string) => Notification[];

  constructor(db: Database) {
    migrate(db);
    this.readCheckpoint = db.prepare('SELECT block FROM event_checkpoint WHERE feed = ?');
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO notifications (block, tx_id, event, participant_id, relationship_id, status, category)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    );
    this.move = db.prepare(
      `INSERT INTO event_checkpoint (feed, block) VALUES (?, ?)
       ON CONFLICT (feed) DO UPDATE SET block = excluded.block`,
    );
    this.after = db.prepare('SELECT * FROM notifications WHERE participant_id = ? AND block > ? ORDER BY seq LIMIT ?');
    this.recordAll = db.transaction((block: number, txId: string, event: string, items: Item[], feed: string) => {
      const rows: Notification[] = [];
      for (const item of items) {
        const row = this.insert.get(block, txId, event, item.participantId, item.relationshipId ?? null, item.status ?? null, item.category ?? null);
        if (row) rows.push(fromRow(row));
      }
      this.move.run(feed, block);
      return rows;
    });
  }

  /** The block to resume from: the last block processed (its events are re-read and deduplicated). */
  checkpoint(feed = 'chaincode'): bigint {
    return BigInt(this.readCheckpoint.get(feed)?.block ?? 0);
  }

  /** Records one event's notifications and moves the checkpoint, atomically; returns the new rows. */
  record(block: bigint, txId: string, event: string, items: Item[], feed = 'chaincode'): Notification[] {
    return this.recordAll(Number(block), txId, event, items, feed);
  }

  /** A participant's notifications after a block (exclusive), oldest first. */
  list(participantId: string, afterBlock: bigint, limit: number): Notification[] {
    return this.after.all(participantId, Number(afterBlock), limit).map(fromRow);
  }
}
