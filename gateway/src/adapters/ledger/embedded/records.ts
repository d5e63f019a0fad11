/** What a block stores per transaction: the signed proposal and the endorsed results (JSON text). */
import { createHash } from 'node:crypto';
import type { ChannelMember } from '../../../ports/ledger.js';

export interface Version {
  block: number;
  txNum: number;
}

export const sameVersion = (a: Version | null | undefined, b: Version | null | undefined): boolean =>
  (a ?? null) === null ? (b ?? null) === null : !!b && a!.block === b.block && a!.txNum === b.txNum;

/** A range query as Fabric's RangeQueryInfo records it, for phantom-read validation. */
export interface RangeRead {
  start: string;
  end: string;
  exhausted: boolean;
  reads: [key: string, version: Version][];
}

export interface ReadWriteSet {
  reads: [key: string, version: Version | null][];
  ranges: RangeRead[];
  /** Base64 value; null is a delete. */
  writes: [key: string, value: string | null][];
  /** Metadata entries (e.g. VALIDATION_PARAMETER), base64. */
  metadataWrites: [key: string, entries: Record<string, string>][];
}

export interface EndorserRecord {
  type: 'endorser';
  /** SignedProposal protobuf, base64: the creator's signature stays verifiable forever. */
  signedProposal: string;
  endorsingOrganizations?: string[];
  rwset: ReadWriteSet;
  response: { status: number; message: string; payload: string };
  event?: { name: string; payload: string };
  /**
   * When the creator signed offline (a device key): the transaction envelope's payload it signed
   * and that signature, base64, kept so that its consent stays verifiable with the block.
   */
  envelope?: { payload: string; signature: string };
}

export interface ConfigRecord {
  type: 'config';
  channelId: string;
  chaincodeName: string;
  members: ChannelMember[];
}

export type TransactionRecord = EndorserRecord | ConfigRecord;

export const encodeRecord = (record: TransactionRecord): Buffer => Buffer.from(JSON.stringify(record));

export function decodeBlockData(data: Buffer): Buffer[] {
  // Block data: each transaction's bytes prefixed by its 4-byte big-endian length.
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const length = data.readUInt32BE(at);
    if (at + 4 + length > data.length) throw new RangeError('block data: a transaction runs past the end');
    out.push(data.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

export function encodeBlockData(transactions: readonly Buffer[]): Buffer {
  return Buffer.concat(
    transactions.flatMap((tx) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(tx.length);
      return [length, tx];
    }),
  );
}

/** A configuration transaction's id: its block number and bytes (the same config may come back). */
export const configTxId = (block: number, bytes: Uint8Array): string =>
  createHash('sha256').update(`config:${block}:`).update(bytes).digest('hex');
