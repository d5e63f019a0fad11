/**
 * Decodes what a gateway hands the device to sign, as plain values: the fabric-gateway offline-signing
 * messages (gateway.proto's ProposedTransaction, PreparedTransaction, SignedCommitStatusRequest) down
 * to the fields a person would recognise. Every nested message of a proposal must re-encode to the
 * bytes it came from, so the device and a peer cannot read the same bytes differently.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, equalBytes, utf8 } from '../bytes.js';
import { WalletError } from '../errors.js';
import { common, gateway, msp, peer } from './protos.js';

const ENDORSER_TRANSACTION = common.HeaderType.ENDORSER_TRANSACTION;

export interface DecodedProposal {
  txId: string;
  channel: string;
  chaincode: string;
  /** ChaincodeInput args as UTF-8 text: [`Contract:transaction`, ...arguments] */
  args: string[];
  mspId: string;
  /** the creator's certificate, PEM */
  certificate: string;
  timestamp: Date | undefined;
  endorsingOrganizations: string[];
  /** the exact bytes whose SHA-256 the device signs */
  proposalBytes: Uint8Array;
  channelHeader: Uint8Array;
  signatureHeader: Uint8Array;
  /** ChaincodeProposalPayload.input: the serialised ChaincodeInvocationSpec */
  invocation: Uint8Array;
  creator: Uint8Array;
}

export interface DecodedTransaction {
  txId: string;
  /** the bytes whose SHA-256 the device signs: the envelope's payload */
  payload: Uint8Array;
  channelHeader: Uint8Array;
  signatureHeader: Uint8Array;
  actionHeader: Uint8Array;
  invocation: Uint8Array;
  transientKeys: string[];
  /** ProposalResponsePayload.proposal_hash, as endorsed */
  proposalHash: Uint8Array;
  /** SHA-256(channel header ‖ signature header ‖ chaincode proposal payload): Fabric's GetProposalHash2 */
  computedProposalHash: Uint8Array;
  chaincode: string;
  response: { status: number; message: string; payload: Uint8Array };
  endorsements: number;
}

export interface DecodedCommitStatus {
  request: Uint8Array;
  txId: string;
  channel: string;
  identity: Uint8Array;
}

const malformed = (what: string, cause?: unknown) =>
  new WalletError('MALFORMED_MESSAGE', `not a well-formed ${what}`, cause === undefined ? undefined : { cause });

interface Message {
  serializeBinary(): Uint8Array;
}

/** Decodes and insists on canonical bytes: no unknown fields, no duplicates, nothing a peer would read otherwise. */
function strict<T extends Message>(type: { deserializeBinary(bytes: Uint8Array): T }, bytes: Uint8Array, what: string): T {
  let message: T;
  try {
    message = type.deserializeBinary(bytes);
  } catch (cause) {
    throw malformed(what, cause);
  }
  if (!equalBytes(message.serializeBinary(), bytes)) throw malformed(`${what} (not canonically encoded)`);
  return message;
}

/**
 * For the envelope, which a Go peer assembles: its encoding is Go's, not ours, so the device does not
 * insist on re-encoding; it compares the parts that bind it (headers, invocation) byte for byte instead.
 */
function lenient<T>(type: { deserializeBinary(bytes: Uint8Array): T }, bytes: Uint8Array, what: string): T {
  try {
    return type.deserializeBinary(bytes);
  } catch (cause) {
    throw malformed(what, cause);
  }
}

function text(bytes: Uint8Array, what: string): string {
  try {
    return utf8(bytes);
  } catch (cause) {
    throw malformed(`${what} (not UTF-8)`, cause);
  }
}

/** fabric-gateway's `Proposal.getBytes()`: a gateway.ProposedTransaction. */
export function decodeProposedTransaction(bytes: Uint8Array): DecodedProposal {
  const proposed = strict(gateway.ProposedTransaction, bytes, 'ProposedTransaction');
  const signed = proposed.getProposal();
  if (!signed) throw malformed('ProposedTransaction (no proposal)');
  if (signed.getSignature_asU8().length > 0) throw malformed('ProposedTransaction (already signed)');
  const proposalBytes = signed.getProposalBytes_asU8();
  const proposal = strict(peer.Proposal, proposalBytes, 'Proposal');
  const header = strict(common.Header, proposal.getHeader_asU8(), 'Header');
  const channelHeaderBytes = header.getChannelHeader_asU8();
  const signatureHeaderBytes = header.getSignatureHeader_asU8();
  const channelHeader = strict(common.ChannelHeader, channelHeaderBytes, 'ChannelHeader');
  const signatureHeader = strict(common.SignatureHeader, signatureHeaderBytes, 'SignatureHeader');
  if (channelHeader.getType() !== ENDORSER_TRANSACTION) throw malformed('endorser transaction proposal (wrong header type)');
  const creator = signatureHeader.getCreator_asU8();
  const identity = strict(msp.SerializedIdentity, creator, 'SerializedIdentity');
  const extension = strict(peer.ChaincodeHeaderExtension, channelHeader.getExtension_asU8(), 'ChaincodeHeaderExtension');
  const payload = strict(peer.ChaincodeProposalPayload, proposal.getPayload_asU8(), 'ChaincodeProposalPayload');
  if (payload.getTransientmapMap().getLength() > 0) throw malformed('proposal (carries transient data)');
  const invocation = payload.getInput_asU8();
  const spec = strict(peer.ChaincodeInvocationSpec, invocation, 'ChaincodeInvocationSpec').getChaincodeSpec();
  const input = spec?.getInput();
  if (!spec || !input) throw malformed('ChaincodeInvocationSpec (no input)');
  if (input.getIsInit() || input.getDecorationsMap().getLength() > 0) throw malformed('ChaincodeInput (init or decorations)');
  const chaincode = extension.getChaincodeId()?.getName() ?? '';
  if (spec.getChaincodeId()?.getName() !== chaincode) throw malformed('proposal (two different chaincode names)');

  const txId = channelHeader.getTxId();
  const expectedTxId = bytesToHex(sha256(concatBytes(signatureHeader.getNonce_asU8(), creator)));
  if (txId !== expectedTxId || proposed.getTransactionId() !== txId) {
    throw malformed('proposal (transaction id is not SHA-256 of nonce and creator)');
  }
  const ts = channelHeader.getTimestamp();
  return {
    txId,
    channel: channelHeader.getChannelId(),
    chaincode,
    args: input.getArgsList_asU8().map((arg, i) => text(arg, `argument ${i}`)),
    mspId: identity.getMspid(),
    certificate: text(identity.getIdBytes_asU8(), 'creator certificate'),
    timestamp: ts ? new Date(ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1e6)) : undefined,
    endorsingOrganizations: proposed.getEndorsingOrganizationsList(),
    proposalBytes,
    channelHeader: channelHeaderBytes,
    signatureHeader: signatureHeaderBytes,
    invocation,
    creator,
  };
}

/**
 * fabric-gateway's `Transaction.getBytes()`: a gateway.PreparedTransaction around the envelope the
 * peer assembled from the endorsements (Fabric's protoutil.CreateSignedTx shape).
 */
export function decodePreparedTransaction(bytes: Uint8Array): DecodedTransaction {
  const prepared = lenient(gateway.PreparedTransaction, bytes, 'PreparedTransaction');
  const envelope = prepared.getEnvelope();
  if (!envelope) throw malformed('PreparedTransaction (no envelope)');
  if (envelope.getSignature_asU8().length > 0) throw malformed('PreparedTransaction (already signed)');
  const payloadBytes = envelope.getPayload_asU8();
  const payload = lenient(common.Payload, payloadBytes, 'Payload');
  const header = payload.getHeader();
  if (!header) throw malformed('Payload (no header)');
  const transaction = lenient(peer.Transaction, payload.getData_asU8(), 'Transaction');
  const actions = transaction.getActionsList();
  if (actions.length !== 1) throw malformed('Transaction (an endorser transaction has exactly one action)');
  const action = actions[0]!;
  const actionPayload = lenient(peer.ChaincodeActionPayload, action.getPayload_asU8(), 'ChaincodeActionPayload');
  const proposalPayloadBytes = actionPayload.getChaincodeProposalPayload_asU8();
  const proposalPayload = lenient(peer.ChaincodeProposalPayload, proposalPayloadBytes, 'ChaincodeProposalPayload');
  const endorsed = actionPayload.getAction();
  if (!endorsed) throw malformed('ChaincodeActionPayload (no endorsed action)');
  const responsePayload = lenient(peer.ProposalResponsePayload, endorsed.getProposalResponsePayload_asU8(), 'ProposalResponsePayload');
  const chaincodeAction = lenient(peer.ChaincodeAction, responsePayload.getExtension_asU8(), 'ChaincodeAction');
  const response = chaincodeAction.getResponse();
  const channelHeader = header.getChannelHeader_asU8();
  const actionHeader = action.getHeader_asU8();
  return {
    txId: prepared.getTransactionId(),
    payload: payloadBytes,
    channelHeader,
    signatureHeader: header.getSignatureHeader_asU8(),
    actionHeader,
    invocation: proposalPayload.getInput_asU8(),
    transientKeys: proposalPayload.getTransientmapMap().getEntryList().map(([key]) => key),
    proposalHash: responsePayload.getProposalHash_asU8(),
    computedProposalHash: sha256(concatBytes(channelHeader, actionHeader, proposalPayloadBytes)),
    chaincode: chaincodeAction.getChaincodeId()?.getName() ?? '',
    response: {
      status: response?.getStatus() ?? 0,
      message: response?.getMessage() ?? '',
      payload: response?.getPayload_asU8() ?? new Uint8Array(),
    },
    endorsements: endorsed.getEndorsementsList().length,
  };
}

/** fabric-gateway's `Commit.getBytes()`: a gateway.SignedCommitStatusRequest. */
export function decodeCommitStatusRequest(bytes: Uint8Array): DecodedCommitStatus {
  const signed = strict(gateway.SignedCommitStatusRequest, bytes, 'SignedCommitStatusRequest');
  if (signed.getSignature_asU8().length > 0) throw malformed('SignedCommitStatusRequest (already signed)');
  const requestBytes = signed.getRequest_asU8();
  const request = strict(gateway.CommitStatusRequest, requestBytes, 'CommitStatusRequest');
  return {
    request: requestBytes,
    txId: request.getTransactionId(),
    channel: request.getChannelId(),
    identity: request.getIdentity_asU8(),
  };
}
