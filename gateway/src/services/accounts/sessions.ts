import type { Creator, Signer } from '../../ports/ledger.js';
import type { Problem } from '../problem.js';

/** Why a session stopped: its owner logged out, it expired, its password changed, its certificate is no longer valid, an admin disabled its account. */
export type SessionEnd = 'logout' | 'expired' | 'password-changed' | 'certificate-invalid' | 'account-disabled';

interface Session {
  username: string;
  /** A password session's unsealed key; a device session's certificate only (its key stays on the device). */
  signer: Signer | Creator;
  expiresAt: number;
  timer: NodeJS.Timeout;
  listeners: Set<(why: SessionEnd) => void>;
}

// setTimeout's longest delay; a longer session is re-armed when it fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The unsealed keys of live sessions, in memory only, each dropped the moment its session ends —
 * at expiry by its own timer (not at the next request), at logout, at a password change, or when
 * the channel no longer trusts its certificate. Whatever holds a session open (an event stream)
 * listens for its end. A restart forgets every key, so every earlier session ends with it.
 */
export class SessionKeys {
  private readonly sessions = new Map<string, Session>();
  /** Why sessions were ended for their certificate, until they would have expired: their token is answered with it. */
  private readonly refused = new Map<string, { problem: Problem; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  start(jti: string, username: string, signer: Signer | Creator, expiresAt: number): void {
    const session: Session = { username, signer, expiresAt, timer: this.arm(jti, expiresAt), listeners: new Set() };
    this.sessions.set(jti, session);
  }

  /** The session's signer (or, for a device session, its creator) while it lives. */
  signer(jti: string): Signer | Creator | undefined {
    const session = this.sessions.get(jti);
    if (session && session.expiresAt <= this.now()) this.end(jti, 'expired');
    return this.sessions.get(jti)?.signer;
  }

  /** Calls `listener` once when the session ends (at once if it already has); returns the unsubscribe. */
  onEnd(jti: string, listener: (why: SessionEnd) => void): () => void {
    const session = this.sessions.get(jti);
    if (!session) {
      listener('expired');
      return () => undefined;
    }
    session.listeners.add(listener);
    return () => session.listeners.delete(listener);
  }

  end(jti: string, why: SessionEnd): void {
    const session = this.sessions.get(jti);
    if (!session) return;
    this.sessions.delete(jti);
    clearTimeout(session.timer);
    for (const listener of session.listeners) listener(why);
  }

  /** Ends every session of a user, but `except` (the one that changed the password). */
  endUser(username: string, why: SessionEnd, except?: string): void {
    for (const [jti, session] of [...this.sessions]) if (session.username === username && jti !== except) this.end(jti, why);
  }

  /**
   * Ends every session whose certificate the channel refuses now (after a new channel
   * configuration), remembering the refusal so that the session's token is answered with it.
   */
  endRefused(refusal: (signer: Creator) => Problem | undefined): number {
    let ended = 0;
    for (const [jti, session] of [...this.sessions]) {
      const problem = refusal(session.signer);
      if (problem) {
        this.refuse(jti, session.expiresAt, problem);
        ended++;
      }
    }
    return ended;
  }

  /** Ends the session because its certificate was refused; its token is answered with `problem` from then on. */
  refuse(jti: string, until: number, problem: Problem): void {
    const now = this.now();
    for (const [key, entry] of this.refused) if (entry.until <= now) this.refused.delete(key);
    this.refused.set(jti, { problem, until });
    this.end(jti, 'certificate-invalid');
  }

  /** The refusal a session was ended with, while its token would still be valid. */
  refusalOf(jti: string): Problem | undefined {
    const entry = this.refused.get(jti);
    return entry && entry.until > this.now() ? entry.problem : undefined;
  }

  /** When a live session expires (ms since epoch). */
  expiresAt(jti: string): number | undefined {
    return this.sessions.get(jti)?.expiresAt;
  }

  get size(): number {
    return this.sessions.size;
  }

  close(): void {
    for (const jti of [...this.sessions.keys()]) this.end(jti, 'expired');
  }

  private arm(jti: string, expiresAt: number): NodeJS.Timeout {
    const delay = Math.max(0, expiresAt - this.now());
    const timer = setTimeout(() => {
      const session = this.sessions.get(jti);
      if (!session) return;
      if (delay > MAX_TIMER_MS) session.timer = this.arm(jti, expiresAt);
      else this.end(jti, 'expired');
    }, Math.min(delay, MAX_TIMER_MS));
    timer.unref();
    return timer;
  }
}
