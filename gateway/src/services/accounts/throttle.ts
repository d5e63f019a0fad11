/**
 * Login throttling against password guessing, kept in memory (a restart forgets it). Keyed by the
 * username as typed, whether or not the account exists, so a refusal reveals nothing about it.
 */

export interface LoginThrottleSettings {
  /** Consecutive failures for one username before it is locked. */
  maxFailures: number;
  /** First lockout; each further one doubles it, up to `maxLockoutSeconds`. */
  lockoutSeconds: number;
  maxLockoutSeconds: number;
  /** Failures one client address may make, across usernames, within `ipWindowSeconds`. */
  ipMaxFailures: number;
  ipWindowSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleSettings = {
  maxFailures: 10,
  lockoutSeconds: 30,
  maxLockoutSeconds: 900,
  ipMaxFailures: 20,
  ipWindowSeconds: 60,
};

interface UserState {
  failures: number;
  lockouts: number;
  lockedUntil: number;
  lastFailure: number;
}

/** Bounds memory when an attacker sprays invented usernames or addresses. */
const MAX_TRACKED = 10_000;

export class LoginThrottle {
  private readonly users = new Map<string, UserState>();
  private readonly ips = new Map<string, number[]>();

  constructor(
    private readonly settings: LoginThrottleSettings = DEFAULT_LOGIN_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Call before the password is checked. Returns the seconds to wait when refused; otherwise the
   * attempt is charged as a failure up front (so parallel guesses count) until `succeeded` clears it.
   */
  attempt(username: string, ip: string): number | undefined {
    const now = this.now();
    const user = this.userState(username, now);
    const window = this.ipWindow(ip, now);
    const waits: number[] = [];
    if (user && user.lockedUntil > now) waits.push(user.lockedUntil - now);
    if (window.length >= this.settings.ipMaxFailures) {
      waits.push(window[window.length - this.settings.ipMaxFailures]! + this.settings.ipWindowSeconds * 1000 - now);
    }
    if (waits.length > 0) return Math.max(1, Math.ceil(Math.max(...waits) / 1000));
    this.fail(username, user, now);
    window.push(now);
    this.remember(this.ips, ip, window);
    return undefined;
  }

  /** The password was right: the username starts afresh and the address gets its attempt back. */
  succeeded(username: string, ip: string): void {
    this.users.delete(username);
    const window = this.ips.get(ip);
    window?.pop();
    if (window?.length === 0) this.ips.delete(ip);
  }

  private fail(username: string, known: UserState | undefined, now: number): void {
    const user = known ?? { failures: 0, lockouts: 0, lockedUntil: 0, lastFailure: 0 };
    user.failures += 1;
    user.lastFailure = now;
    // After a first lockout, a single further failure locks again, for twice as long.
    if (user.failures >= this.settings.maxFailures || user.lockouts > 0) {
      const seconds = Math.min(this.settings.lockoutSeconds * 2 ** user.lockouts, this.settings.maxLockoutSeconds);
      user.lockouts += 1;
      user.failures = 0;
      user.lockedUntil = now + seconds * 1000;
    }
    this.remember(this.users, username, user);
  }

  /** A username idle for longer than the longest lockout is forgotten, escalation and all. */
  private userState(username: string, now: number): UserState | undefined {
    const user = this.users.get(username);
    if (user && user.lockedUntil <= now && now - user.lastFailure > this.settings.maxLockoutSeconds * 1000) {
      this.users.delete(username);
      return undefined;
    }
    return user;
  }

  private ipWindow(ip: string, now: number): number[] {
    const since = now - this.settings.ipWindowSeconds * 1000;
    const window = (this.ips.get(ip) ?? []).filter((t) => t > since);
    if (window.length === 0) this.ips.delete(ip);
    return window;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_TRACKED) map.delete(map.keys().next().value!);
  }
}
