// A dependency of @hyperledger/fabric-gateway, pinned by it: the same protobuf classes it uses.
import { common, msp, peer } from '@hyperledger/fabric-protos';
import type { TransactionInfo } from '../../../ports/ledger.js';

const CODE_NAMES = new Map<number, string>(Object.entries(peer.TxValidationCode).map(([name, code]) => [code, name]));

/** Fabric's name for a transaction validation code, e.g. 11 → MVCC_READ_CONFLICT. */
export function validationCodeName(code: number): string {
  return CODE_NAMES.get(code) ?? String(code);
}

/** A block's header and data (qscc GetBlockByNumber's answer), for checking its hash-chain link. */
export function decodeBlock(bytes: Uint8Array): { header: { number: bigint; previousHash: Buffer; dataHash: Buffer }; data: Uint8Array[] } {
  const block = common.Block.deserializeBinary(bytes);
  const header = block.getHeader();
  return {
    header: {
      number: BigInt(header?.getNumber() ?? 0),
      previousHash: Buffer.from(header?.getPreviousHash_asU8() ?? []),
      dataHash: Buffer.from(header?.getDataHash_asU8() ?? []),
    },
    data: block.getData()?.getDataList_asU8() ?? [],
  };
}

/** Decodes qscc GetChainInfo's answer. */
export function chainHeight(bytes: Uint8Array): bigint {
  return BigInt(common.BlockchainInfo.deserializeBinary(bytes).getHeight());
}

/** Finds a transaction in a block (qscc GetBlockByTxID's answer) with its validation code. */
export function transactionInBlock(bytes: Uint8Array, txId: string): TransactionInfo | undefined {
  const block = common.Block.deserializeBinary(bytes);
  const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
  const envelopes = block.getData()?.getDataList_asU8() ?? [];
  for (const [index, envelopeBytes] of envelopes.entries()) {
    const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelopeBytes).getPayload_asU8());
    const header = payload.getHeader();
    if (!header) continue;
    const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    if (channelHeader.getTxId() !== txId) continue;
    const creator = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()).getCreator_asU8();
    const code = filter?.[index] ?? 255;
    return {
      txId,
      blockNumber: BigInt(block.getHeader()?.getNumber() ?? 0),
      validationCode: validationCodeName(code),
      creatorMspId: msp.SerializedIdentity.deserializeBinary(creator).getMspid(),
      timestamp: channelHeader.getTimestamp()?.toDate() ?? new Date(0),
    };
  }
  return undefined;
}
