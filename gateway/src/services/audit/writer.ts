/**
 * The audit log's writer thread. It owns the only writing connection (WAL, synchronous=FULL), extends
 * the hash chain and commits each batch in one transaction; the fsync happens here, so the gateway's
 * event loop keeps serving while a batch becomes durable. A batch is acknowledged only after commit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { GENESIS_HASH, recordHash, type AuditEntry } from './record.js';

export type WriterRequest = { id: number; entries: AuditEntry[] };
/** Each entry's place in the chain, in order: the caller holds the entries, so only what the writer added comes back. */
export type ChainLink = [seq: number, prevHash: string, hash: string];
export type WriterReply = { id: number; links: ChainLink[] } | { id: number; error: string };

const db = new Database((workerData as { file: string }).file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
const insert = db.prepare(
  `INSERT INTO audit_log (seq, at, requester, msp_id, role, relationship_id, category, fields,
     decision, status, hash_matches, jti, exp, query_id, prev_hash, hash)
   VALUES (@seq, @at, @requester, @mspId, @role, @relationshipId, @category, @fields,
     @decision, @status, @hashMatches, @jti, @exp, @queryId, @prevHash, @hash)`,
);
const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');

const commit = db.transaction((entries: AuditEntry[]) => {
  // Read inside the transaction: the head on disk is the truth, whatever an earlier batch believed.
  let head = (last.get() as { seq: number; hash: string } | undefined) ?? { seq: 0, hash: GENESIS_HASH };
  return entries.map((entry): ChainLink => {
    const seq = head.seq + 1;
    const hash = recordHash(seq, head.hash, entry);
    insert.run({
      ...entry,
      seq,
      prevHash: head.hash,
      hash,
      fields: entry.fields === null ? null : JSON.stringify(entry.fields),
      hashMatches: entry.hashMatches === null ? null : entry.hashMatches ? 1 : 0,
      queryId: entry.queryId ?? null,
    });
    const link: ChainLink = [seq, head.hash, hash];
    head = { seq, hash };
    return link;
  });
});

parentPort!.on('message', ({ id, entries }: WriterRequest) => {
  let reply: WriterReply;
  try {
    // BEGIN IMMEDIATE: the transaction reads the head before it writes, and a deferred one that
    // upgrades to a writer while another connection (the notification feed) wrote gets SQLITE_BUSY
    // at once, without the busy timeout. Taking the write lock first makes it wait instead.
    reply = { id, links: commit.immediate(entries) };
  } catch (err) {
    reply = { id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
