/**
 * The ledger's files: one SQLite database (WAL) holding the block store, the state database, the
 * history index and the transaction index. A block is committed in one SQLite transaction, so a crash
 * leaves the whole block or none of it.
 */
import Database from 'better-sqlite3';
import type { Version } from './records.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS blocks (
  number INTEGER PRIMARY KEY,
  previous_hash BLOB NOT NULL,
  data_hash BLOB NOT NULL,
  header_hash BLOB NOT NULL,
  data BLOB NOT NULL,
  -- Fabric's TRANSACTIONS_FILTER block metadata: one validation code per transaction (JSON array).
  validation TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
  tx_id TEXT PRIMARY KEY,
  block INTEGER NOT NULL,
  tx_num INTEGER NOT NULL,
  validation_code TEXT NOT NULL,
  creator_msp TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  event_name TEXT,
  event_payload BLOB,
  UNIQUE (block, tx_num)
);
CREATE TABLE IF NOT EXISTS state (
  key BLOB PRIMARY KEY,
  value BLOB NOT NULL,
  block INTEGER NOT NULL,
  tx_num INTEGER NOT NULL,
  metadata TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
  key BLOB NOT NULL,
  block INTEGER NOT NULL,
  tx_num INTEGER NOT NULL,
  tx_id TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  is_delete INTEGER NOT NULL,
  value BLOB,
  PRIMARY KEY (key, block, tx_num)
) WITHOUT ROWID;
`;

export interface StateRow {
  key: string;
  value: Buffer;
  version: Version;
  /** Metadata entries (metakey → base64), e.g. VALIDATION_PARAMETER. */
  metadata: Record<string, string> | undefined;
}

export interface HistoryRow {
  txId: string;
  timestamp: number;
  isDelete: boolean;
  value: Buffer;
}

export interface BlockRow {
  number: number;
  previousHash: Buffer;
  dataHash: Buffer;
  headerHash: Buffer;
  data: Buffer;
  validation: string[];
}

export interface TransactionRow {
  txId: string;
  block: number;
  txNum: number;
  validationCode: string;
  creatorMspId: string;
  timestamp: number;
  eventName: string | null;
  eventPayload: Buffer | null;
}

export interface StateUpdate {
  key: string;
  /** null deletes the key (and its metadata). */
  value: Buffer | null;
  metadata: Record<string, string> | undefined;
  version: Version;
}

export interface HistoryInsert {
  key: string;
  version: Version;
  txId: string;
  timestamp: number;
  isDelete: boolean;
  value: Buffer | null;
}

export interface BlockWrite {
  block: BlockRow;
  transactions: TransactionRow[];
  state: StateUpdate[];
  history: HistoryInsert[];
}

const k = (key: string) => Buffer.from(key, 'utf8');

interface RawState {
  key: Buffer;
  value: Buffer;
  block: number;
  tx_num: number;
  metadata: string | null;
}

const toStateRow = (r: RawState): StateRow => ({
  key: r.key.toString('utf8'),
  value: r.value,
  version: { block: r.block, txNum: r.tx_num },
  metadata: r.metadata ? (JSON.parse(r.metadata) as Record<string, string>) : undefined,
});

interface RawTx {
  tx_id: string;
  block: number;
  tx_num: number;
  validation_code: string;
  creator_msp: string;
  timestamp: number;
  event_name: string | null;
  event_payload: Buffer | null;
}

const toTxRow = (r: RawTx): TransactionRow => ({
  txId: r.tx_id,
  block: r.block,
  txNum: r.tx_num,
  validationCode: r.validation_code,
  creatorMspId: r.creator_msp,
  timestamp: r.timestamp,
  eventName: r.event_name,
  eventPayload: r.event_payload,
});

interface RawBlock {
  number: number;
  previous_hash: Buffer;
  data_hash: Buffer;
  header_hash: Buffer;
  data: Buffer;
  validation: string;
}

const toBlockRow = (r: RawBlock): BlockRow => ({
  number: r.number,
  previousHash: r.previous_hash,
  dataHash: r.data_hash,
  headerHash: r.header_hash,
  data: r.data,
  validation: JSON.parse(r.validation) as string[],
});

export class LedgerStore {
  private readonly db: Database.Database;
  private readonly statements;

  /** `readOnly`: an existing ledger file opened for inspection (an auditor's copy); nothing is written. */
  constructor(file: string, options: { readOnly?: boolean } = {}) {
    this.db = new Database(file, { fileMustExist: options.readOnly === true });
    if (options.readOnly) this.db.pragma('query_only = ON');
    else {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      // State and history keys are hashes, so inserts land all over the B-trees: keep them cached.
      this.db.pragma('cache_size = -65536');
      // One process owns a ledger: the block cutter and the commit order live in it.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.exec(SCHEMA);
    }
    const db = this.db;
    this.statements = {
      get: db.prepare('SELECT key, value, block, tx_num, metadata FROM state WHERE key = ?'),
      rangeFrom: db.prepare(
        'SELECT key, value, block, tx_num, metadata FROM state WHERE key >= ? AND key < ? ORDER BY key LIMIT ?',
      ),
      rangeAfter: db.prepare(
        'SELECT key, value, block, tx_num, metadata FROM state WHERE key > ? AND key < ? ORDER BY key LIMIT ?',
      ),
      rangeFromOpen: db.prepare(
        'SELECT key, value, block, tx_num, metadata FROM state WHERE key >= ? ORDER BY key LIMIT ?',
      ),
      rangeAfterOpen: db.prepare(
        'SELECT key, value, block, tx_num, metadata FROM state WHERE key > ? ORDER BY key LIMIT ?',
      ),
      history: db.prepare(
        `SELECT tx_id, timestamp, is_delete, value FROM history WHERE key = ?
         ORDER BY block DESC, tx_num DESC LIMIT ? OFFSET ?`,
      ),
      upsert: db.prepare(
        `INSERT INTO state (key, value, block, tx_num, metadata) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, block = excluded.block,
           tx_num = excluded.tx_num, metadata = excluded.metadata`,
      ),
      delete: db.prepare('DELETE FROM state WHERE key = ?'),
      insertHistory: db.prepare(
        'INSERT INTO history (key, block, tx_num, tx_id, timestamp, is_delete, value) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      insertBlock: db.prepare(
        `INSERT INTO blocks (number, previous_hash, data_hash, header_hash, data, validation)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      insertTx: db.prepare(
        `INSERT INTO transactions (tx_id, block, tx_num, validation_code, creator_msp, timestamp,
           event_name, event_payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      lastBlock: db.prepare('SELECT * FROM blocks ORDER BY number DESC LIMIT 1'),
      block: db.prepare('SELECT * FROM blocks WHERE number = ?'),
      tx: db.prepare('SELECT * FROM transactions WHERE tx_id = ?'),
      events: db.prepare(
        `SELECT * FROM transactions WHERE event_name IS NOT NULL AND validation_code = 'VALID'
           AND (block > ? OR (block = ? AND tx_num > ?)) ORDER BY block, tx_num LIMIT ?`,
      ),
      allState: db.prepare('SELECT key, value, block, tx_num, metadata FROM state ORDER BY key'),
      allHistory: db.prepare(
        'SELECT key, block, tx_num, tx_id, timestamp, is_delete, value FROM history ORDER BY block, tx_num, key',
      ),
      allTx: db.prepare('SELECT * FROM transactions ORDER BY block, tx_num'),
      allBlocks: db.prepare('SELECT * FROM blocks ORDER BY number'),
      lastConfig: db.prepare(`SELECT block FROM transactions WHERE creator_msp = '' ORDER BY block DESC LIMIT 1`),
    };
    this.commitTx = this.db.transaction((write: BlockWrite) => this.apply(write));
  }

  private readonly commitTx: (write: BlockWrite) => void;

  get(key: string): StateRow | undefined {
    const row = this.statements.get.get(k(key)) as RawState | undefined;
    return row && toStateRow(row);
  }

  /** Up to `limit` rows of [from, end) in key byte order (end "" = unbounded); `after` excludes `from`. */
  range(from: string, end: string, limit: number, after = false): StateRow[] {
    const s = this.statements;
    const rows = (
      end === ''
        ? (after ? s.rangeAfterOpen : s.rangeFromOpen).all(k(from), limit)
        : (after ? s.rangeAfter : s.rangeFrom).all(k(from), k(end), limit)
    ) as RawState[];
    return rows.map(toStateRow);
  }

  /** History of a key, newest first (Fabric v2 order). */
  history(key: string, limit: number, offset: number): HistoryRow[] {
    const rows = this.statements.history.all(k(key), limit, offset) as {
      tx_id: string;
      timestamp: number;
      is_delete: number;
      value: Buffer | null;
    }[];
    return rows.map((r) => ({
      txId: r.tx_id,
      timestamp: r.timestamp,
      isDelete: r.is_delete === 1,
      value: r.value ?? Buffer.alloc(0),
    }));
  }

  lastBlock(): BlockRow | undefined {
    const row = this.statements.lastBlock.get() as RawBlock | undefined;
    return row && toBlockRow(row);
  }

  block(number: number): BlockRow | undefined {
    const row = this.statements.block.get(number) as RawBlock | undefined;
    return row && toBlockRow(row);
  }

  transaction(txId: string): TransactionRow | undefined {
    const row = this.statements.tx.get(txId) as RawTx | undefined;
    return row && toTxRow(row);
  }

  /** Events of valid transactions strictly after (block, txNum), in ledger order. */
  eventsAfter(block: number, txNum: number, limit: number): TransactionRow[] {
    return (this.statements.events.all(block, block, txNum, limit) as RawTx[]).map(toTxRow);
  }

  *allBlocks(): Generator<BlockRow> {
    for (const row of this.statements.allBlocks.iterate() as Iterable<RawBlock>) yield toBlockRow(row);
  }

  *allTransactions(): Generator<TransactionRow> {
    for (const row of this.statements.allTx.iterate() as Iterable<RawTx>) yield toTxRow(row);
  }

  *allState(): Generator<StateRow> {
    for (const row of this.statements.allState.iterate() as Iterable<RawState>) yield toStateRow(row);
  }

  *allHistory(): Generator<HistoryInsert> {
    type Raw = {
      key: Buffer;
      block: number;
      tx_num: number;
      tx_id: string;
      timestamp: number;
      is_delete: number;
      value: Buffer | null;
    };
    for (const r of this.statements.allHistory.iterate() as Iterable<Raw>) {
      yield {
        key: r.key.toString('utf8'),
        version: { block: r.block, txNum: r.tx_num },
        txId: r.tx_id,
        timestamp: r.timestamp,
        isDelete: r.is_delete === 1,
        value: r.value,
      };
    }
  }

  /** Number of the newest block holding a channel configuration. */
  lastConfigBlock(): number | undefined {
    const row = this.statements.lastConfig.get() as { block: number } | undefined;
    return row?.block;
  }

  commit(write: BlockWrite): void {
    this.commitTx(write);
  }

  private apply({ block, transactions, state, history }: BlockWrite): void {
    const s = this.statements;
    s.insertBlock.run(
      block.number,
      block.previousHash,
      block.dataHash,
      block.headerHash,
      block.data,
      JSON.stringify(block.validation),
    );
    for (const t of transactions) {
      s.insertTx.run(
        t.txId,
        t.block,
        t.txNum,
        t.validationCode,
        t.creatorMspId,
        t.timestamp,
        t.eventName,
        t.eventPayload,
      );
    }
    for (const u of state) {
      if (u.value === null) s.delete.run(k(u.key));
      else
        s.upsert.run(
          k(u.key),
          u.value,
          u.version.block,
          u.version.txNum,
          u.metadata ? JSON.stringify(u.metadata) : null,
        );
    }
    for (const h of history) {
      s.insertHistory.run(k(h.key), h.version.block, h.version.txNum, h.txId, h.timestamp, h.isDelete ? 1 : 0, h.value);
    }
  }

  get open(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
