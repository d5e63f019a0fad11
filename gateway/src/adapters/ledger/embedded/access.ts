/**
 * Relationship.checkAccess answered in-process from committed state (LedgerPort.checkAccess): the
 * chaincode domain's own decision (`decideAccess`) over the records it reads — identities,
 * relationships, grants, pointers — kept in memory as they were committed. There is no proposal to
 * sign and verify (the caller is this process), no protobuf and no shim; the caller's certificate is
 * still checked against the channel's MSPs, as the peer checks a creator.
 *
 * The guarantee: entries are read through from the store and dropped inside the block commit that
 * writes their key, and a decision runs under the ledger's commit lock, so it sees either all of a
 * block or none of it, and every block committed before it began.
 */
import { LRUCache } from 'lru-cache';
import type { StateReader } from '@medrec/chaincode/domain';
import { StoreFailure } from './simulation.js';
import type { LedgerStore } from './store.js';

/** Committed records by key: a miss reads the store (a missing key is remembered as null too). */
export class CommittedRecords implements StateReader {
  private readonly cache: LRUCache<string, { value: unknown }>;

  constructor(
    private readonly store: LedgerStore,
    capacity = 100_000,
  ) {
    this.cache = new LRUCache({ max: capacity });
  }

  async get<T>(key: string): Promise<T | null> {
    const hit = this.cache.get(key);
    if (hit) return hit.value as T | null;
    let bytes: Buffer | undefined;
    try {
      bytes = this.store.get(key)?.value;
    } catch (error) {
      throw new StoreFailure('ledger store unavailable', { cause: error });
    }
    const value = bytes && bytes.length > 0 ? deepFreeze(JSON.parse(bytes.toString('utf8'))) : null;
    this.cache.set(key, { value });
    return value as T | null;
  }

  /** Inside the block commit, under the commit lock: every key the block wrote. */
  invalidate(keys: Iterable<string>): void {
    for (const key of keys) this.cache.delete(key);
  }
}

/** Values are shared between decisions: none may change one. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
