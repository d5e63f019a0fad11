import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { AUDIT_GUARDS, migrate } from '../store/gateway-db.js';
import { GENESIS_HASH, recordHash, type AuditEntry, type AuditRecord } from './record.js';
import { auditSearchSql, type AuditFilter } from './search.js';
import type { WriterReply, WriterRequest } from './writer.js';

export interface ChainHead {
  seq: number;
  hash: string;
}

export type ChainProblem =
  | { seq: number; kind: 'edited' }
  | { seq: number; kind: 'missing'; count: number }
  | { seq: number; kind: 'relinked' };

export interface ChainReport {
  ok: boolean;
  count: number;
  head: ChainHead;
  problems: ChainProblem[];
}

interface Row {
  seq: number;
  at: string;
  requester: string | null;
  msp_id: string | null;
  role: string | null;
  relationship_id: string | null;
  category: string | null;
  fields: string | null;
  decision: string;
  status: number;
  hash_matches: number | null;
  jti: string | null;
  exp: number | null;
  query_id: string | null;
  prev_hash: string;
  hash: string;
}

type Pending = { entry: AuditEntry; resolve: (r: AuditRecord) => void; reject: (e: unknown) => void };

/**
 * Append-only, hash-chained audit log in SQLite. Appends go to a writer thread (./writer.ts) that
 * commits with WAL and synchronous=FULL: once `append` resolves, the record has been fsynced and
 * survives a crash. While one batch is being made durable the next one gathers (group commit), so
 * concurrent answers share an fsync and the event loop never waits on the disk.
 * Reads (verify, records) use the connection given here; WAL lets them run beside the writer.
 */
export class AuditLog {
  private head: ChainHead;
  private queue: Pending[] = [];
  private inFlight: Pending[] | undefined;
  private batches = 0;
  private drained: Array<() => void> = [];
  private dead: Error | undefined;
  private readonly listeners: Array<(head: ChainHead) => void> = [];
  private readonly writer: Worker;

  constructor(private readonly db: Database.Database) {
    if (db.memory) throw new Error('the audit log needs a database file: its writer thread opens the same file');
    db.pragma('journal_mode = WAL');
    migrate(db);
    // An insider who drops the append-only guard must drop it again after every restart.
    db.exec(AUDIT_GUARDS);
    const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as
      | ChainHead
      | undefined;
    this.head = last ?? { seq: 0, hash: GENESIS_HASH };
    this.writer = new Worker(new URL('./writer.js', import.meta.url), { workerData: { file: db.name } });
    this.writer.on('message', (reply: WriterReply) => this.settle(reply));
    this.writer.on('error', (err) => this.fail(err));
    this.writer.unref();
  }

  static open(file: string): AuditLog {
    return new AuditLog(new Database(file));
  }

  /** Resolves once the record is durable; rejects (and the chain is unchanged) if it could not be written. */
  append(entry: AuditEntry): Promise<AuditRecord> {
    return new Promise((resolve, reject) => {
      if (this.dead) return reject(this.dead);
      this.queue.push({ entry, resolve, reject });
      if (!this.inFlight) this.send();
    });
  }

  /** Called after every durable commit with the new head (the anchorer listens). */
  onAppend(listener: (head: ChainHead) => void): void {
    this.listeners.push(listener);
  }

  currentHead(): ChainHead {
    return { ...this.head };
  }

  /** Hash of the record at `seq` as stored now, or undefined when there is no such row. */
  hashAt(seq: number): string | undefined {
    const row = this.db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(seq) as
      | { hash: string }
      | undefined;
    return row?.hash;
  }

  /** Request ids still inside their lifetime: a restarted gatekeeper refuses their replay too. */
  liveJtis(nowSeconds: number): Array<{ requester: string; jti: string; exp: number }> {
    return this.db
      .prepare(
        `SELECT DISTINCT requester, jti, exp FROM audit_log
         WHERE exp IS NOT NULL AND exp > ? AND jti IS NOT NULL AND requester IS NOT NULL`,
      )
      .all(nowSeconds) as Array<{ requester: string; jti: string; exp: number }>;
  }

  records(fromSeq = 1, limit = 1000): AuditRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?')
      .all(fromSeq, limit) as Row[];
    return rows.map(fromRow);
  }

  /** Records matching a filter, newest first (./search.ts). */
  search(filter: AuditFilter): AuditRecord[] {
    const { sql, params } = auditSearchSql(filter);
    return (this.db.prepare(sql).all(...params) as Row[]).map(fromRow);
  }

  /** Recomputes the whole chain: an edited row breaks its own hash, a deleted one leaves a gap and a broken link. */
  verify(): ChainReport {
    const problems: ChainProblem[] = [];
    let prev: ChainHead = { seq: 0, hash: GENESIS_HASH };
    let count = 0;
    for (const row of this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<Row>) {
      const rec = fromRow(row);
      count++;
      if (rec.seq !== prev.seq + 1) {
        problems.push({ seq: prev.seq + 1, kind: 'missing', count: rec.seq - prev.seq - 1 });
      } else if (rec.prevHash !== prev.hash) {
        problems.push({ seq: rec.seq, kind: 'relinked' });
      }
      if (recordHash(rec.seq, rec.prevHash, rec) !== rec.hash) problems.push({ seq: rec.seq, kind: 'edited' });
      prev = { seq: rec.seq, hash: rec.hash };
    }
    return { ok: problems.length === 0, count, head: prev, problems };
  }

  /** Waits for queued appends, stops the writer, then closes the database. */
  async close(): Promise<void> {
    if (!this.db.open) return;
    if (this.inFlight || this.queue.length > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    await this.writer.terminate();
    this.db.close();
  }

  private send(): void {
    if (this.queue.length === 0) {
      this.writer.unref();
      for (const resolve of this.drained.splice(0)) resolve();
      return;
    }
    this.inFlight = this.queue;
    this.queue = [];
    this.writer.ref();
    const request: WriterRequest = { id: ++this.batches, entries: this.inFlight.map((p) => p.entry) };
    this.writer.postMessage(request);
  }

  private settle(reply: WriterReply): void {
    const batch = this.inFlight ?? [];
    this.inFlight = undefined;
    if ('error' in reply) {
      for (const p of batch) p.reject(new Error(reply.error));
    } else {
      batch.forEach((p, i) => {
        const [seq, prevHash, hash] = reply.links[i]!;
        p.resolve({ ...p.entry, seq, prevHash, hash });
      });
      const last = reply.links.at(-1);
      if (last) {
        this.head = { seq: last[0], hash: last[2] };
        for (const listener of this.listeners) listener({ ...this.head });
      }
    }
    this.send();
  }

  /** The writer thread died: nothing pending can be confirmed durable. */
  private fail(err: Error): void {
    this.dead = err;
    for (const p of [...(this.inFlight ?? []), ...this.queue]) p.reject(err);
    this.inFlight = undefined;
    this.queue = [];
    for (const resolve of this.drained.splice(0)) resolve();
  }
}

function fromRow(row: Row): AuditRecord {
  return {
    seq: row.seq,
    at: row.at,
    requester: row.requester,
    mspId: row.msp_id,
    role: row.role,
    relationshipId: row.relationship_id,
    category: row.category,
    fields: row.fields === null ? null : (JSON.parse(row.fields) as string[]),
    decision: row.decision,
    status: row.status,
    hashMatches: row.hash_matches === null ? null : row.hash_matches === 1,
    jti: row.jti,
    exp: row.exp,
    ...(row.query_id === null ? {} : { queryId: row.query_id }),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
