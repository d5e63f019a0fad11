/**
 * Request ids already used, each kept until its request expires (after which the request itself is
 * refused as expired, so forgetting it is safe). Keyed by requester and jti so one requester cannot
 * burn another's ids. Seeded from the audit log at start, so a restart does not reopen a replay window.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private nextSweep = 0;

  constructor(entries: Iterable<{ requester: string; jti: string; exp: number }> = []) {
    for (const e of entries) this.seen.set(key(e.requester, e.jti), e.exp);
  }

  /** Records the id; false if it was already used and is still within its lifetime. */
  claim(requester: string, jti: string, exp: number, nowSeconds: number): boolean {
    this.sweep(nowSeconds);
    const k = key(requester, jti);
    const known = this.seen.get(k);
    if (known !== undefined && known >= nowSeconds) return false;
    this.seen.set(k, exp);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 30;
    for (const [k, exp] of this.seen) if (exp < now) this.seen.delete(k);
  }
}

const key = (requester: string, jti: string) => `${requester}\u0000${jti}`;
