/**
 * The peer side of one transaction's simulation: what fabric-shim's ChaincodeStub asks the peer for
 * (its "handler"), answered from committed state only, recording the read set, range reads and
 * write set as Fabric's transaction simulator does. The transaction's own writes are never read back.
 */
import { createRequire } from 'node:module';
import { protos, Timestamp } from './fabric.js';
import type { LedgerStore, StateRow } from './store.js';
import type { RangeRead, ReadWriteSet, Version } from './records.js';

const { peer, ledger } = protos;
const requireShim = createRequire(createRequire(import.meta.url).resolve('fabric-shim'));
const { StateQueryIterator, HistoryQueryIterator } = requireShim('./lib/iterators.js') as {
  StateQueryIterator: new (handler: object, channelId: string, txId: string, response: unknown) => object;
  HistoryQueryIterator: new (handler: object, channelId: string, txId: string, response: unknown) => object;
};

/** Results per QueryResponse, as the peer's default maxResultLimit. */
const BATCH = 100;

/** A failure of the ledger's own store during simulation: never the chaincode's fault. */
export class StoreFailure extends Error {}

interface OpenQuery {
  next(): { results: Uint8Array[]; hasMore: boolean };
}

export class Simulation {
  private readonly reads = new Map<string, Version | null>();
  private readonly ranges: RangeRead[] = [];
  private readonly writes = new Map<string, Buffer | null>();
  private readonly metadataWrites = new Map<string, Record<string, string>>();
  private readonly queries = new Map<string, OpenQuery>();
  private nextQueryId = 0;
  private paginated = false;
  storeFailed: unknown;

  constructor(private readonly store: LedgerStore) {}

  readWriteSet(): ReadWriteSet {
    return {
      reads: [...this.reads],
      ranges: this.ranges,
      writes: [...this.writes].map(([key, value]) => [key, value === null ? null : value.toString('base64')]),
      metadataWrites: [...this.metadataWrites],
    };
  }

  private committed<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      this.storeFailed = error;
      throw new StoreFailure('ledger store unavailable');
    }
  }

  private get(key: string): StateRow | undefined {
    const row = this.committed(() => this.store.get(key));
    if (!this.reads.has(key)) this.reads.set(key, row ? row.version : null);
    return row;
  }

  private checkWrite(collection: string, key: string): void {
    publicOnly(collection);
    if (this.paginated) {
      throw new Error('transaction has already performed a paginated query. Writes are not allowed');
    }
    if (key === '') throw new Error('key must not be an empty string');
  }

  async handleGetState(collection: string, key: string): Promise<Buffer> {
    publicOnly(collection);
    return this.get(key)?.value ?? Buffer.alloc(0);
  }

  async handlePutState(collection: string, key: string, value: Uint8Array): Promise<Buffer> {
    this.checkWrite(collection, key);
    // As in Fabric, an empty value is a delete.
    this.writes.set(key, value.length === 0 ? null : Buffer.from(value));
    return Buffer.alloc(0);
  }

  async handleDeleteState(collection: string, key: string): Promise<Buffer> {
    this.checkWrite(collection, key);
    this.writes.set(key, null);
    return Buffer.alloc(0);
  }

  async handlePutStateMetadata(collection: string, key: string, metakey: string, value: Uint8Array): Promise<Buffer> {
    this.checkWrite(collection, key);
    // As Fabric's peer: the write replaces the key's metadata and reads nothing.
    const entries = this.metadataWrites.get(key) ?? {};
    entries[metakey] = Buffer.from(value).toString('base64');
    this.metadataWrites.set(key, entries);
    return Buffer.alloc(0);
  }

  async handleGetStateMetadata(collection: string, key: string): Promise<Record<string, Buffer>> {
    publicOnly(collection);
    const metadata = this.get(key)?.metadata ?? {};
    return Object.fromEntries(Object.entries(metadata).map(([name, b64]) => [name, Buffer.from(b64, 'base64')]));
  }

  async handleGetStateByRange(
    collection: string,
    startKey: string,
    endKey: string,
    channelId: string,
    txId: string,
    metadata?: Uint8Array,
  ): Promise<{ iterator: object; metadata?: { bookmark: string; fetchedRecordsCount: number } }> {
    publicOnly(collection);
    const id = String(this.nextQueryId++);
    if (metadata && metadata.length > 0) {
      const query = peer.QueryMetadata.deserializeBinary(metadata);
      return this.paginatedRange(id, startKey, endKey, query.getPagesize(), query.getBookmark(), channelId, txId);
    }
    const record: RangeRead = { start: startKey, end: endKey, exhausted: false, reads: [] };
    this.ranges.push(record);
    let from = startKey;
    let after = false;
    this.queries.set(id, {
      next: () => {
        const rows = this.committed(() => this.store.range(from, endKey, BATCH + 1, after));
        const page = rows.slice(0, BATCH);
        for (const row of page) record.reads.push([row.key, row.version]);
        if (page.length > 0) {
          from = page[page.length - 1]!.key;
          after = true;
        }
        const hasMore = rows.length > BATCH;
        if (!hasMore) record.exhausted = true;
        return { results: page.map(kv), hasMore };
      },
    });
    return { iterator: new StateQueryIterator(this, channelId, txId, this.respond(id)) };
  }

  private paginatedRange(
    id: string,
    startKey: string,
    endKey: string,
    pageSize: number,
    bookmark: string,
    channelId: string,
    txId: string,
  ) {
    if (this.writes.size > 0 || this.metadataWrites.size > 0) {
      throw new Error('paginated queries are supported only in a read-only transaction');
    }
    this.paginated = true;
    const from = bookmark || startKey;
    const rows = this.committed(() => this.store.range(from, endKey, pageSize + 1));
    const page = rows.slice(0, pageSize);
    const next = rows[pageSize]?.key ?? '';
    this.queries.set(id, batches(page.map(kv)));
    const response = this.respond(id);
    const result = new peer.QueryResponseMetadata();
    result.setFetchedRecordsCount(page.length);
    result.setBookmark(next);
    const bytes = result.serializeBinary();
    response.setMetadata(bytes);
    return {
      iterator: new StateQueryIterator(this, channelId, txId, response),
      // As fabric-shim reads a peer's answer: an empty last page's metadata serialises to nothing, so there is none.
      ...(bytes.length > 0 ? { metadata: { bookmark: next, fetchedRecordsCount: page.length } } : {}),
    };
  }

  async handleGetHistoryForKey(key: string, channelId: string, txId: string): Promise<object> {
    const id = String(this.nextQueryId++);
    let offset = 0;
    this.queries.set(id, {
      next: () => {
        const rows = this.committed(() => this.store.history(key, BATCH + 1, offset));
        const page = rows.slice(0, BATCH);
        offset += page.length;
        return { results: page.map(modification), hasMore: rows.length > BATCH };
      },
    });
    return new HistoryQueryIterator(this, channelId, txId, this.respond(id));
  }

  async handleQueryStateNext(id: string): Promise<unknown> {
    if (!this.queries.has(id)) throw new Error(`query iterator ${id} not found`);
    return this.respond(id);
  }

  async handleQueryStateClose(id: string): Promise<unknown> {
    this.queries.delete(id);
    const response = new peer.QueryResponse();
    response.setId(id);
    return response;
  }

  async handleGetQueryResult(): Promise<never> {
    throw new Error('ExecuteQuery not supported for leveldb');
  }

  async handleInvokeChaincode(): Promise<never> {
    throw new Error('chaincode-to-chaincode calls are not supported by the embedded ledger');
  }

  async handleGetPrivateDataHash(): Promise<never> {
    throw new Error('private data is not supported by the embedded ledger');
  }

  async handlePurgeState(): Promise<never> {
    throw new Error('private data is not supported by the embedded ledger');
  }

  private respond(id: string) {
    const { results, hasMore } = this.queries.get(id)!.next();
    if (!hasMore) this.queries.delete(id);
    const response = new peer.QueryResponse();
    response.setId(id);
    response.setHasMore(hasMore);
    response.setResultsList(
      results.map((bytes) => {
        const result = new peer.QueryResultBytes();
        result.setResultbytes(bytes);
        return result;
      }),
    );
    return response;
  }
}

function publicOnly(collection: string): void {
  if (collection !== '') throw new Error('private data is not supported by the embedded ledger');
}

function kv(row: StateRow): Uint8Array {
  const message = new ledger.queryresult.KV();
  message.setNamespace('');
  message.setKey(row.key);
  message.setValue(row.value);
  return message.serializeBinary();
}

function modification(row: { txId: string; timestamp: number; isDelete: boolean; value: Buffer }): Uint8Array {
  const message = new ledger.queryresult.KeyModification();
  message.setTxId(row.txId);
  message.setValue(row.value);
  message.setIsDelete(row.isDelete);
  const ts = new Timestamp();
  ts.setSeconds(Math.floor(row.timestamp / 1000));
  ts.setNanos((row.timestamp % 1000) * 1_000_000);
  message.setTimestamp(ts);
  return message.serializeBinary();
}

function batches(all: Uint8Array[]): OpenQuery {
  let at = 0;
  return {
    next: () => {
      const results = all.slice(at, at + BATCH);
      at += results.length;
      return { results, hasMore: at < all.length };
    },
  };
}
