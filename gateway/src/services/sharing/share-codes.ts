/**
 * Share codes (the app's "show this to a patient"): a short code that stands for a viewer's
 * participant id for a day. Kept in gateway.db so a code survives a restart; only its keyed hash is
 * stored (HMAC-SHA256 under the hospital's share-code key), so the file alone does not reveal a live
 * code. One live code per participant, a bounded number in all.
 */
import { createHmac, randomInt } from 'node:crypto';
import type Database from 'better-sqlite3';
import { Problem } from '../problem.js';

/** 8 characters from an alphabet without look-alikes (about 39 bits), shown as XXXX-XXXX. */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CODE_TTL_MS = 24 * 3600_000;
export const CODE_MAX = 10_000;

export interface Shared {
  participantId: string;
  role: string;
  mspId: string;
}

export interface ShareCodeOptions {
  /** The hospital's secret for the codes' hashes (a persistent secret of its data directory). */
  key: string;
  ttlMs?: number;
  max?: number;
  now?: () => number;
}

export class ShareCodeStore {
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(
    private readonly db: Database.Database,
    private readonly options: ShareCodeOptions,
  ) {
    this.ttlMs = options.ttlMs ?? CODE_TTL_MS;
    this.max = options.max ?? CODE_MAX;
    this.now = options.now ?? Date.now;
  }

  /** A new code for this participant; their previous one stops working. 503 SHARE_CODES_FULL at the bound. */
  issue(who: Shared): { code: string; expiresAt: string } {
    return this.db.transaction(() => {
      const now = this.now();
      this.db.prepare('DELETE FROM share_codes WHERE expires_at <= ? OR participant_id = ?').run(now, who.participantId);
      const live = this.db.prepare('SELECT count(*) FROM share_codes').pluck().get() as number;
      if (live >= this.max) throw new Problem(503, 'SHARE_CODES_FULL', 'too many live share codes; try again later');
      const expiresAt = now + this.ttlMs;
      const insert = this.db.prepare(
        'INSERT OR IGNORE INTO share_codes (code_hash, participant_id, role, msp_id, expires_at) VALUES (?, ?, ?, ?, ?)',
      );
      let code: string;
      // A collision with a live code is rare (10,000 of 31^8); draw again rather than replace it.
      do code = Array.from({ length: 8 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
      while (insert.run(this.hash(code), who.participantId, who.role, who.mspId, expiresAt).changes === 0);
      return { code: `${code.slice(0, 4)}-${code.slice(4)}`, expiresAt: new Date(expiresAt).toISOString() };
    }).immediate();
  }

  /** Who a live code stands for (with or without its dash); undefined for an unknown or expired one. */
  resolve(code: string): Shared | undefined {
    const row = this.db
      .prepare('SELECT participant_id AS participantId, role, msp_id AS mspId FROM share_codes WHERE code_hash = ? AND expires_at > ?')
      .get(this.hash(code.replace('-', '').toUpperCase()), this.now()) as Shared | undefined;
    return row ? { participantId: row.participantId, role: row.role, mspId: row.mspId } : undefined;
  }

  private hash(code: string): string {
    return createHmac('sha256', this.options.key).update(`share-code:${code}`).digest('hex');
  }
}
