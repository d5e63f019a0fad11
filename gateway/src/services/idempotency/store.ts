/**
 * Idempotency keys (the `Idempotency-Key` header, draft-ietf-httpapi-idempotency-key-header): per
 * caller and key, the request's fingerprint and, once answered, the answer to replay. A key is
 * claimed before the request runs, so two requests with one key never both run.
 */
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';

export interface StoredAnswer {
  status: number;
  contentType: string;
  body: string;
}

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; answer: StoredAnswer }
  /** The same key with another request: the client reused a key it should not have. */
  | { kind: 'mismatch' }
  /** The first request with this key is still running. */
  | { kind: 'in-flight' };

export interface IdempotencyOptions {
  /** How long an answer is kept for replay (ms). */
  retentionMs: number;
  /** After how long a claim whose request never finished may be taken over (ms); a restart frees them all. */
  abandonedAfterMs: number;
}

export const DEFAULT_IDEMPOTENCY: IdempotencyOptions = { retentionMs: 24 * 3600_000, abandonedAfterMs: 5 * 60_000 };

/** What identifies a request for its key: method, path and body. */
export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n${JSON.stringify(body ?? null)}`).digest('hex');
}

export class IdempotencyStore {
  constructor(
    private readonly db: Database,
    private readonly options: IdempotencyOptions = DEFAULT_IDEMPOTENCY,
    private readonly now: () => number = Date.now,
  ) {
    // One gateway process owns its gateway.db: a claim still pending at open belongs to a process
    // that stopped mid-request, and its client's retry must be able to run.
    db.prepare("DELETE FROM idempotency_keys WHERE state = 'pending'").run();
  }

  /** Claims `key` for `caller`'s request, or says why not (its stored answer, another request, in flight). */
  claim(caller: string, key: string, print: string): Claim {
    const now = this.now();
    return this.db.transaction((): Claim => {
      this.db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').run(now - this.options.retentionMs);
      const row = this.db
        .prepare('SELECT fingerprint, state, status, content_type, body, created_at FROM idempotency_keys WHERE caller = ? AND key = ?')
        .get(caller, key) as
        | { fingerprint: string; state: string; status: number | null; content_type: string | null; body: string | null; created_at: number }
        | undefined;
      if (!row) {
        this.db
          .prepare("INSERT INTO idempotency_keys (caller, key, fingerprint, state, created_at) VALUES (?, ?, ?, 'pending', ?)")
          .run(caller, key, print, now);
        return { kind: 'claimed' };
      }
      if (row.fingerprint !== print) return { kind: 'mismatch' };
      if (row.state === 'done') return { kind: 'replay', answer: { status: row.status!, contentType: row.content_type!, body: row.body! } };
      if (now - row.created_at < this.options.abandonedAfterMs) return { kind: 'in-flight' };
      this.db.prepare('UPDATE idempotency_keys SET created_at = ? WHERE caller = ? AND key = ?').run(now, caller, key);
      return { kind: 'claimed' };
    }).immediate();
  }

  /** The claimed request's final answer, replayed for the key from now on. */
  complete(caller: string, key: string, answer: StoredAnswer): void {
    this.db
      .prepare("UPDATE idempotency_keys SET state = 'done', status = ?, content_type = ?, body = ? WHERE caller = ? AND key = ?")
      .run(answer.status, answer.contentType, answer.body, caller, key);
  }

  /** The request had no final answer (a server fault, a component down, an unknown outcome): the key may be used again. */
  release(caller: string, key: string): void {
    this.db.prepare("DELETE FROM idempotency_keys WHERE caller = ? AND key = ? AND state = 'pending'").run(caller, key);
  }
}
