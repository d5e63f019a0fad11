import './quiet';
import { ChaincodeStub } from 'fabric-shim';
import { JSONSerializer } from 'fabric-contract-api';
import type { Creator } from './identities';

// fabric-shim's contract dispatcher: the code path a peer runs, with real (de)serialisation.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Long = require('long');

const MAX_RUNE = '\u{10FFFF}';

export interface KeyModification {
  txId: string;
  timestamp: { seconds: unknown; nanos: number };
  isDelete: boolean;
  value: Uint8Array;
}

export interface Response {
  status: number;
  message: string;
  payload: string;
}

export interface CommittedEvent {
  txId: string;
  name: string;
  payload: string;
}

function iterable<T>(items: T[]) {
  let i = 0;
  const iterator = {
    async next() {
      return i < items.length ? { value: items[i++], done: false } : { value: undefined, done: true };
    },
    async close() {},
    [Symbol.asyncIterator]() {
      return (async function* () {
        yield* items;
      })();
    },
  };
  return Object.assign(Promise.resolve(iterator), { [Symbol.asyncIterator]: iterator[Symbol.asyncIterator] });
}

/**
 * A ChaincodeStub test double with Fabric's transaction semantics: reads see the committed state
 * only (never the transaction's own writes), writes and the event land on commit, a failed
 * transaction changes nothing, and every committed write leaves a history entry.
 */
export class TestStub {
  readonly writes = new Map<string, Buffer | null>();
  readonly validation = new Map<string, Uint8Array>();
  events: { name: string; payload: Uint8Array }[] = [];

  constructor(
    private readonly ledger: TestLedger,
    private readonly creator: Creator,
    private readonly args: string[],
    private readonly txId: string,
    private readonly time: Date,
  ) {}

  getBufferArgs(): Buffer[] {
    return this.args.map((a) => Buffer.from(a, 'utf8'));
  }
  getArgs(): string[] {
    return [...this.args];
  }
  getTxID(): string {
    return this.txId;
  }
  getChannelID(): string {
    return 'medrec';
  }
  getCreator(): Creator {
    return this.creator;
  }
  getMspID(): string {
    return this.creator.mspid;
  }
  getTxTimestamp() {
    const ms = this.time.getTime();
    return { seconds: Long.fromNumber(Math.floor(ms / 1000), true), nanos: (ms % 1000) * 1e6 };
  }
  getDateTimestamp(): Date {
    return new Date(this.time);
  }
  async getState(key: string): Promise<Uint8Array> {
    return this.ledger.state.get(key) ?? Buffer.alloc(0);
  }
  async putState(key: string, value: Uint8Array): Promise<void> {
    if (typeof key !== 'string' || key.length === 0) throw new Error('key must not be empty');
    this.writes.set(key, Buffer.from(value));
  }
  /** As Fabric: a delete is a write of nothing, committed with the others and kept in the key's history. */
  async deleteState(key: string): Promise<void> {
    if (typeof key !== 'string' || key.length === 0) throw new Error('key must not be empty');
    this.writes.set(key, null);
  }
  async setStateValidationParameter(key: string, ep: Uint8Array): Promise<void> {
    this.validation.set(key, ep);
  }
  async getStateValidationParameter(key: string): Promise<Uint8Array> {
    return this.ledger.validation.get(key) ?? Buffer.alloc(0);
  }
  getStateByPartialCompositeKey(objectType: string, attributes: string[]) {
    const start = this.createCompositeKey(objectType, attributes);
    const end = start + MAX_RUNE;
    const kvs = [...this.ledger.state.keys()]
      .filter((k) => k >= start && k < end)
      .sort()
      .map((key) => ({ namespace: 'medrec', key, value: this.ledger.state.get(key)! }));
    return iterable(kvs);
  }
  /** Fabric's paginated scan: a page from the bookmark (the next page's first key), and the next bookmark. */
  async getStateByPartialCompositeKeyWithPagination(objectType: string, attributes: string[], pageSize: number, bookmark = '') {
    const start = this.createCompositeKey(objectType, attributes);
    const end = start + MAX_RUNE;
    const from = bookmark || start;
    const keys = [...this.ledger.state.keys()].filter((k) => k >= from && k < end).sort();
    const page = keys.slice(0, pageSize).map((key) => ({ namespace: 'medrec', key, value: this.ledger.state.get(key)! }));
    const next = keys[pageSize] ?? '';
    // As Fabric: an empty last page's metadata is all defaults, which the peer sends as nothing.
    return { iterator: await iterable(page), ...(page.length > 0 || next !== '' ? { metadata: { fetchedRecordsCount: page.length, bookmark: next } } : {}) };
  }
  getHistoryForKey(key: string) {
    // Fabric returns the newest modification first.
    return iterable([...(this.ledger.history.get(key) ?? [])].reverse());
  }
  setEvent(name: string, payload: Uint8Array): void {
    this.events.push({ name, payload });
  }
  createCompositeKey(objectType: string, attributes: string[]): string {
    return ChaincodeStub.prototype.createCompositeKey.call(this, objectType, attributes);
  }
  splitCompositeKey(key: string) {
    return ChaincodeStub.prototype.splitCompositeKey.call(this, key);
  }
}

export interface TxOptions {
  /** submit (commit on success) or evaluate (never commit) */
  commit: boolean;
  /** transaction time; defaults to the ledger clock, which advances one second per transaction */
  at?: Date;
}

export class TestLedger {
  readonly state = new Map<string, Buffer>();
  readonly history = new Map<string, KeyModification[]>();
  readonly validation = new Map<string, Uint8Array>();
  readonly events: CommittedEvent[] = [];
  /** every transaction's stub, committed or not, for assertions on what it tried */
  readonly stubs: TestStub[] = [];
  clock = new Date('2026-01-01T00:00:00.000Z');
  private seq = 0;
  private readonly chaincode: { Invoke(stub: unknown): Promise<{ status: number; message?: string; payload?: Buffer }> };

  /** `contracts` as the chaincode's main module exports them, with fabric-shim's default serializer */
  constructor(contracts: unknown[]) {
    this.chaincode = new ChaincodeFromContract(
      [...contracts],
      { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } },
      {},
      'medrec',
      '0.1.0',
    );
  }

  async invoke(creator: Creator, fn: string, args: string[], options: TxOptions): Promise<Response> {
    const txId = `tx${String(++this.seq).padStart(6, '0')}`;
    const time = options.at ?? new Date((this.clock = new Date(this.clock.getTime() + 1000)));
    const stub = new TestStub(this, creator, [fn, ...args], txId, time);
    this.stubs.push(stub);
    const res = await this.chaincode.Invoke(stub);
    const response = { status: res.status, message: res.message ?? '', payload: res.payload ? Buffer.from(res.payload).toString('utf8') : '' };
    if (options.commit && res.status === 200) this.commit(stub, txId, time);
    return response;
  }

  private commit(stub: TestStub, txId: string, time: Date): void {
    const ms = time.getTime();
    for (const [key, value] of stub.writes) {
      if (value === null) this.state.delete(key);
      else this.state.set(key, value);
      const mods = this.history.get(key) ?? [];
      mods.push({ txId, timestamp: { seconds: Long.fromNumber(Math.floor(ms / 1000), true), nanos: (ms % 1000) * 1e6 }, isDelete: value === null, value: value ?? Buffer.alloc(0) });
      this.history.set(key, mods);
    }
    for (const [key, ep] of stub.validation) this.validation.set(key, ep);
    // Fabric keeps only the last event of a transaction.
    const last = stub.events.at(-1);
    if (last) this.events.push({ txId, name: last.name, payload: Buffer.from(last.payload).toString('utf8') });
  }
}
