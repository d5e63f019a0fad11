import type { Signer } from '../../ports/ledger.js';

/** Why a session stopped: its owner logged out, it expired, its password changed, its certificate is no longer valid. */
export type SessionEnd = 'logout' | 'expired' | 'password-changed' | 'certificate-invalid';

interface Session {
  username: string;
  signer: Signer;
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

  constructor(private readonly now: () => number = Date.now) {}

  start(jti: string, username: string, signer: Signer, expiresAt: number): void {
    const session: Session = { username, signer, expiresAt, timer: this.arm(jti, expiresAt), listeners: new Set() };
    this.sessions.set(jti, session);
  }

  /** The session's signer while it lives. */
  signer(jti: string): Signer | undefined {
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

  /** Ends every session whose signer `invalid` names (after a new channel configuration). */
  endWhere(invalid: (signer: Signer) => boolean, why: SessionEnd): number {
    let ended = 0;
    for (const [jti, session] of [...this.sessions]) {
      if (invalid(session.signer)) {
        this.end(jti, why);
        ended++;
      }
    }
    return ended;
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
