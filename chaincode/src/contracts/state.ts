import type { Context } from 'fabric-contract-api';
import { KeyEndorsementPolicy } from 'fabric-shim';
import { chaincodeEvent, encodeEvent } from '../domain/events';
import { keyAttributes, type KeyPrefix } from '../domain/keys';
import type { EventName, HistoryEntry, Notification } from '../domain/types';

interface StubTimestamp {
  seconds: { toString(): string } | number;
  nanos: number;
}

export function isoFromTimestamp(ts: StubTimestamp): string {
  return new Date(Number(String(ts.seconds)) * 1000 + Math.floor(ts.nanos / 1e6)).toISOString();
}

/**
 * The world state as JSON records, for one transaction. Reads see the state before the
 * transaction (Fabric's rule): callers never read back what they wrote.
 */
export class State {
  private emitted = false;
  readonly now: string;
  readonly txId: string;

  constructor(private readonly ctx: Context) {
    this.now = isoFromTimestamp(ctx.stub.getTxTimestamp());
    this.txId = ctx.stub.getTxID();
  }

  async get<T>(key: string): Promise<T | null> {
    const bytes = await this.ctx.stub.getState(key);
    if (!bytes || bytes.length === 0) return null;
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
  }

  async put(key: string, value: unknown): Promise<void> {
    await this.ctx.stub.putState(key, Buffer.from(JSON.stringify(value), 'utf8'));
  }

  /** The key's history keeps the delete, so auditors still read what it held. */
  async delete(key: string): Promise<void> {
    await this.ctx.stub.deleteState(key);
  }

  async scan<T>(prefix: KeyPrefix): Promise<T[]> {
    return (await this.entries<T>(prefix)).map((e) => e.value);
  }

  /** Each value under the prefix with its key's attributes (stored values leave out what the key says). */
  async entries<T>(prefix: KeyPrefix): Promise<{ attributes: string[]; value: T }[]> {
    const out: { attributes: string[]; value: T }[] = [];
    for await (const kv of this.ctx.stub.getStateByPartialCompositeKey(prefix.objectType, prefix.attributes)) {
      out.push({ attributes: keyAttributes(kv.key), value: JSON.parse(Buffer.from(kv.value).toString('utf8')) as T });
    }
    return out;
  }

  /**
   * One page of the values under a prefix, from `bookmark` ('' for the first). Fabric allows paginated
   * reads only in a query (evaluate) that writes nothing.
   */
  async page<T>(prefix: KeyPrefix, pageSize: number, bookmark: string): Promise<{ items: { attributes: string[]; value: T }[]; next: string }> {
    const { iterator, metadata } = await this.ctx.stub.getStateByPartialCompositeKeyWithPagination(prefix.objectType, prefix.attributes, pageSize, bookmark);
    const items: { attributes: string[]; value: T }[] = [];
    try {
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
        items.push({ attributes: keyAttributes(r.value.key), value: JSON.parse(Buffer.from(r.value.value).toString('utf8')) as T });
      }
    } finally {
      await iterator.close();
    }
    // Fabric sends no metadata at all for an empty last page (every field at its default).
    return { items, next: metadata?.bookmark ?? '' };
  }

  /** expand turns a stored value back into the record readers know. */
  async history(key: string, expand: (value: never) => unknown = (v) => v): Promise<HistoryEntry[]> {
    const out: HistoryEntry[] = [];
    for await (const mod of this.ctx.stub.getHistoryForKey(key)) {
      const text = mod.value && mod.value.length > 0 ? Buffer.from(mod.value).toString('utf8') : '';
      out.push({
        txId: mod.txId,
        timestamp: isoFromTimestamp(mod.timestamp),
        isDelete: mod.isDelete,
        value: text ? expand(JSON.parse(text) as never) : null,
      });
    }
    return out;
  }

  /** Key-level endorsement: only the named org's peers may endorse later changes of this key. */
  async endorseBy(key: string, mspId: string): Promise<void> {
    const policy = new KeyEndorsementPolicy();
    policy.addOrgs('PEER', mspId);
    await this.ctx.stub.setStateValidationParameter(key, policy.getPolicy());
  }

  /** Fabric keeps only the last event of a transaction, so a second one is a bug. */
  emit(type: EventName, notifications: Notification[]): void {
    if (this.emitted) throw new Error('a transaction emits exactly one event');
    this.emitted = true;
    this.ctx.stub.setEvent(type, encodeEvent(chaincodeEvent(notifications)));
  }
}
