/**
 * Relationship.checkAccess on Fabric without an evaluate per request: a copy of the committed records
 * the decision reads (identities, relationships, pointers, grants of the chaincode's namespace) and
 * of the channel's MSPs, fed by the peer's block events from block 0 and tagged with the number of
 * blocks it holds (its height). The adapter answers from it only when that height has reached the
 * peer's height read after the request arrived, so it holds every block the peer had committed when
 * the request came — as an evaluate on that peer would see them; otherwise the adapter evaluates.
 */
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { isAccessKey, type StateReader } from '@medrec/chaincode/domain';
import { TrustStore } from '../../../pki/trust-store.js';
import { membersOfConfigBlock } from './channel-config.js';

const VALID = 0;

export interface BlockWrites {
  number: bigint;
  /** access records written by valid transactions, in order; null deletes */
  writes: [key: string, value: string | null][];
  /** the block is a configuration block (its channel members, when it is) */
  config: boolean;
}

/** What a block changes of the access records (or of the keys `keep` keeps): the write sets of its valid transactions on `chaincode`. */
export function accessWrites(block: common.Block, chaincode: string, keep: (key: string) => boolean = isAccessKey): BlockWrites {
  const number = BigInt(block.getHeader()?.getNumber() ?? 0);
  const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
  const writes: BlockWrites['writes'] = [];
  let config = false;
  for (const [index, envelope] of (block.getData()?.getDataList_asU8() ?? []).entries()) {
    const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelope).getPayload_asU8());
    const header = payload.getHeader();
    if (!header) continue;
    const type = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()).getType();
    if (type === common.HeaderType.CONFIG) config = true;
    if (type !== common.HeaderType.ENDORSER_TRANSACTION || (filter?.[index] ?? -1) !== VALID) continue;
    for (const action of peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()) {
      const endorsed = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8()).getAction();
      if (!endorsed) continue;
      const response = peer.ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8());
      const results = peer.ChaincodeAction.deserializeBinary(response.getExtension_asU8()).getResults_asU8();
      for (const ns of ledger.rwset.TxReadWriteSet.deserializeBinary(results).getNsRwsetList()) {
        if (ns.getNamespace() !== chaincode) continue;
        for (const write of ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8()).getWritesList()) {
          const key = write.getKey();
          if (!keep(key)) continue;
          const value = write.getValue_asU8();
          // As the peer applies it: a delete, or an empty value, removes the key.
          writes.push([key, write.getIsDelete() || value.length === 0 ? null : Buffer.from(value).toString('utf8')]);
        }
      }
    }
  }
  return { number, writes, config };
}

/** A block height that only grows, and waiting for it to reach a value. */
export class Height {
  private value = 0n;
  private readonly waiters = new Set<() => void>();

  get current(): bigint {
    return this.value;
  }

  reach(height: bigint): void {
    if (height <= this.value) return;
    this.value = height;
    for (const wake of [...this.waiters]) wake();
  }

  /** Whether it reached `height`, waiting at most `waitMs`. */
  async reached(height: bigint, waitMs: number): Promise<boolean> {
    if (this.value >= height) return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const check = () => {
        if (this.value >= height) done(true);
      };
      const timer = setTimeout(() => done(false), waitMs);
      this.waiters.add(check);
    });
  }
}

export class AccessIndex implements StateReader {
  private readonly records = new Map<string, string>();
  private readonly blocks = new Height();
  /** the channel's MSPs as of this height: a caller's certificate is checked against them */
  readonly trust: Promise<TrustStore> = TrustStore.fromMembers([]);
  /** set when the index outgrew its bound: it stops answering (every decision is evaluated) */
  overflowed = false;

  constructor(private readonly maxRecords = 2_000_000) {}

  /** Number of blocks applied: every block below it is in the index. */
  get height(): bigint {
    return this.blocks.current;
  }

  /** Applies the next block; configuration blocks replace the MSPs first. */
  async apply(block: common.Block, chaincode: string): Promise<void> {
    const { number, writes, config } = accessWrites(block, chaincode);
    if (number !== this.height) throw new Error(`block ${number} out of order (expected ${this.height})`);
    if (config) await (await this.trust).update(membersOfConfigBlock(block.serializeBinary()));
    for (const [key, value] of writes) {
      if (value === null) this.records.delete(key);
      else this.records.set(key, value);
    }
    if (this.records.size > this.maxRecords) this.overflowed = true;
    this.blocks.reach(number + 1n);
  }

  async get<T>(key: string): Promise<T | null> {
    if (!isAccessKey(key)) throw new Error(`the access index holds no ${JSON.stringify(key)}`);
    const text = this.records.get(key);
    return text === undefined ? null : (JSON.parse(text) as T);
  }

  /** Whether the index holds `height` blocks, waiting at most `waitMs` for the blocks still to come. */
  async reached(height: bigint, waitMs: number): Promise<boolean> {
    return !this.overflowed && this.blocks.reached(height, waitMs);
  }
}

/**
 * The peer's height, read after the asker arrived: requests that come while a read is on its way
 * wait for the next one, so one qscc call serves a batch of concurrent requests and none is answered
 * from a height read before it came.
 */
export class PeerHeight {
  private waiting: { resolve: (h: bigint) => void; reject: (e: unknown) => void }[] = [];
  private reading = false;

  constructor(private readonly read: () => Promise<bigint>) {}

  next(): Promise<bigint> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.reading) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.reading = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        const height = await this.read();
        for (const w of batch) w.resolve(height);
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.reading = false;
  }
}
