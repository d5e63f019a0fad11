/**
 * Blocks as Fabric chains them: data hash = SHA-256 over the concatenated transaction bytes, header
 * hash = SHA-256 of the ASN.1 DER sequence (number, previous header hash, data hash).
 */
import { createHash } from 'node:crypto';

export interface BlockHeader {
  number: bigint;
  previousHash: Buffer;
  dataHash: Buffer;
}

export function dataHash(transactions: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const tx of transactions) hash.update(tx);
  return hash.digest();
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function derTlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(value.length), value]);
}

function derUnsignedInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return derTlv(0x02, bytes);
}

/** Fabric's protoutil.BlockHeaderBytes: asn1.Marshal(struct{Number *big.Int; PreviousHash, DataHash []byte}). */
export function headerBytes(header: BlockHeader): Buffer {
  return derTlv(
    0x30,
    Buffer.concat([
      derUnsignedInteger(header.number),
      derTlv(0x04, header.previousHash),
      derTlv(0x04, header.dataHash),
    ]),
  );
}

export function headerHash(header: BlockHeader): Buffer {
  return createHash('sha256').update(headerBytes(header)).digest();
}

/**
 * One link of the hash chain, checked as a peer checks it: the block's number, its data hash over
 * its data, its previous hash against the header hash of the block before. Appends what is wrong to
 * `problems`; returns this block's header hash, the next block's previous hash.
 */
export function checkLink(header: BlockHeader, data: readonly Uint8Array[], expected: { number: bigint; previousHash: Buffer }, problems: string[]): Buffer {
  const n = header.number;
  if (n !== expected.number) problems.push(`block ${n}: expected block number ${expected.number}`);
  if (!dataHash(data).equals(header.dataHash)) problems.push(`block ${n}: data hash does not match its transactions`);
  if (!header.previousHash.equals(expected.previousHash)) problems.push(`block ${n}: previous hash does not match block ${n - 1n}`);
  return headerHash(header);
}
