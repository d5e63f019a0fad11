/**
 * Request ids already used, each kept until its request expires (after which the request itself is
 * refused as expired, so forgetting it is safe). Keyed by requester and jti so one requester cannot
 * burn another's ids. Seeded from the audit log at start, so a restart does not reopen a replay window.
 *
 * Forgetting is incremental: ids are queued in the order they were claimed, and each claim looks at
 * the oldest few, dropping those already expired, so no request ever pays for a sweep of the whole
 * cache. A long-lived id at the head holds back shorter-lived ones behind it, but only until it
 * expires itself: memory stays bounded by the request rate times the longest lifetime (120 s).
 */
const SWEEP_PER_CLAIM = 4;

export class ReplayCache {
  private readonly seen = new Map<string, number>();
  /** ids with the expiry they were claimed with, oldest claim first */
  private queue: { k: string; exp: number }[] = [];
  private head = 0;

  constructor(entries: Iterable<{ requester: string; jti: string; exp: number }> = []) {
    for (const e of [...entries].sort((a, b) => a.exp - b.exp)) this.remember(key(e.requester, e.jti), e.exp);
  }

  /** Records the id; false if it was already used and is still within its lifetime. */
  claim(requester: string, jti: string, exp: number, nowSeconds: number): boolean {
    this.sweep(nowSeconds);
    const k = key(requester, jti);
    const known = this.seen.get(k);
    if (known !== undefined && known >= nowSeconds) return false;
    this.remember(k, exp);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private remember(k: string, exp: number): void {
    this.seen.set(k, exp);
    this.queue.push({ k, exp });
  }

  private sweep(now: number): void {
    for (let n = 0; n < SWEEP_PER_CLAIM && this.head < this.queue.length; n++) {
      const { k, exp } = this.queue[this.head]!;
      if (exp >= now) break;
      // Forgotten only if not claimed again since (a later claim is further back in the queue).
      if (this.seen.get(k) === exp) this.seen.delete(k);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

const key = (requester: string, jti: string) => `${requester}\u0000${jti}`;
