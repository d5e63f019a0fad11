/** Builds and decodes Fabric proposals (SignedProposal protobufs), as a Fabric client SDK does. */
import { createHash, randomBytes } from 'node:crypto';
import type { Creator, Signer } from '../../../ports/ledger.js';
import { protos, Timestamp } from './fabric.js';
import { signLowS } from '../../../pki/ecdsa.js';

const { common, peer, msp } = protos;

export interface SignedProposalParts {
  txId: string;
  timestamp: Date;
  /** The SignedProposal protobuf as bytes: what is stored in the block and re-verified by verify(). */
  signedProposalBytes: Uint8Array;
}

export function serializedIdentity(mspId: string, certificatePem: string): Uint8Array {
  const identity = new msp.SerializedIdentity();
  identity.setMspid(mspId);
  identity.setIdBytes(Buffer.from(certificatePem));
  return identity.serializeBinary();
}

/** Fabric's transaction id: SHA-256 of nonce ‖ creator, hex. */
export function transactionId(nonce: Uint8Array, creator: Uint8Array): string {
  return createHash('sha256').update(nonce).update(creator).digest('hex');
}

/** An unsigned proposal: what the creator signs (SHA-256 of `proposalBytes`), and its parts a transaction repeats. */
export interface UnsignedProposal {
  txId: string;
  timestamp: Date;
  proposalBytes: Uint8Array;
  /** The proposal's Header message (channel header and signature header bytes). */
  header: unknown;
  channelHeaderBytes: Uint8Array;
  signatureHeaderBytes: Uint8Array;
  /** The ChaincodeInvocationSpec bytes (the proposal payload's input). */
  invocation: Uint8Array;
}

export function buildSignedProposal(
  signer: Signer,
  channelId: string,
  chaincodeName: string,
  args: readonly string[],
  now: Date = new Date(),
): SignedProposalParts {
  const proposal = buildProposal(signer, channelId, chaincodeName, args, now);
  return {
    txId: proposal.txId,
    timestamp: proposal.timestamp,
    signedProposalBytes: signedProposal(proposal.proposalBytes, signLowS(proposal.proposalBytes, signer.privateKey)),
  };
}

/** A SignedProposal protobuf from the proposal bytes and the creator's signature over them. */
export function signedProposal(proposalBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  const signed = new peer.SignedProposal();
  signed.setProposalBytes(proposalBytes);
  signed.setSignature(signature);
  return signed.serializeBinary();
}

/** The proposal a Fabric client SDK builds for `args` on `creator`'s behalf, not yet signed. */
export function buildProposal(
  who: Creator,
  channelId: string,
  chaincodeName: string,
  args: readonly string[],
  now: Date = new Date(),
): UnsignedProposal {
  const creator = serializedIdentity(who.mspId, who.certificate);
  const nonce = randomBytes(24);
  const txId = transactionId(nonce, creator);

  const chaincodeId = new peer.ChaincodeID();
  chaincodeId.setName(chaincodeName);
  const extension = new peer.ChaincodeHeaderExtension();
  extension.setChaincodeId(chaincodeId);

  const timestamp = new Timestamp();
  timestamp.setSeconds(Math.floor(now.getTime() / 1000));
  timestamp.setNanos((now.getTime() % 1000) * 1_000_000);

  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
  channelHeader.setChannelId(channelId);
  channelHeader.setTxId(txId);
  channelHeader.setEpoch(0);
  channelHeader.setTimestamp(timestamp);
  channelHeader.setExtension$(extension.serializeBinary());

  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(creator);
  signatureHeader.setNonce(nonce);

  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());

  const input = new peer.ChaincodeInput();
  input.setArgsList(args.map((arg) => Buffer.from(arg)));
  const spec = new peer.ChaincodeSpec();
  spec.setType(peer.ChaincodeSpec.Type.NODE);
  spec.setChaincodeId(chaincodeId);
  spec.setInput(input);
  const invocation = new peer.ChaincodeInvocationSpec();
  invocation.setChaincodeSpec(spec);
  const payload = new peer.ChaincodeProposalPayload();

  const invocationBytes: Uint8Array = invocation.serializeBinary();
  payload.setInput(invocationBytes);
  const proposal = new peer.Proposal();
  proposal.setHeader(header.serializeBinary());
  proposal.setPayload(payload.serializeBinary());
  return {
    txId,
    timestamp: now,
    proposalBytes: proposal.serializeBinary(),
    header,
    channelHeaderBytes: header.getChannelHeader_asU8(),
    signatureHeaderBytes: header.getSignatureHeader_asU8(),
    invocation: invocationBytes,
  };
}

/** What the peer reads out of a signed proposal before running it. */
export interface DecodedProposal {
  /** The SignedProposal protobuf object, handed to fabric-shim's ChaincodeStub. */
  signedProposal: unknown;
  /** ChaincodeInput protobuf object (the signed args). */
  input: unknown;
  args: string[];
  proposalBytes: Uint8Array;
  signature: Uint8Array;
  txId: string;
  channelId: string;
  chaincodeName: string;
  timestamp: Date;
  mspId: string;
  certificate: string;
  nonce: Uint8Array;
  creator: Uint8Array;
}

export function decodeSignedProposal(bytes: Uint8Array): DecodedProposal {
  const signedProposal = peer.SignedProposal.deserializeBinary(bytes);
  const proposalBytes: Uint8Array = signedProposal.getProposalBytes_asU8();
  const proposal = peer.Proposal.deserializeBinary(proposalBytes);
  const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
  const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
  const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
  const creator: Uint8Array = signatureHeader.getCreator_asU8();
  const identity = msp.SerializedIdentity.deserializeBinary(creator);
  const extension = peer.ChaincodeHeaderExtension.deserializeBinary(channelHeader.getExtension_asU8());
  const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
  const invocation = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8());
  const input = invocation.getChaincodeSpec().getInput();
  const ts = channelHeader.getTimestamp();
  return {
    signedProposal,
    input,
    args: (input.getArgsList_asU8() as Uint8Array[]).map((a) => Buffer.from(a).toString()),
    proposalBytes,
    signature: signedProposal.getSignature_asU8(),
    txId: channelHeader.getTxId(),
    channelId: channelHeader.getChannelId(),
    chaincodeName: extension.getChaincodeId()?.getName() ?? '',
    timestamp: new Date(ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1_000_000)),
    mspId: identity.getMspid(),
    certificate: Buffer.from(identity.getIdBytes_asU8()).toString(),
    nonce: signatureHeader.getNonce_asU8(),
    creator,
  };
}
