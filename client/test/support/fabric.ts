/**
 * Real Fabric messages for the signing tests: proposals from @hyperledger/fabric-gateway's own
 * offline-signing API (nothing is sent: the gRPC client never connects), and transaction envelopes
 * assembled from them exactly as a peer's Gateway does (Fabric's protoutil.CreateSignedTx).
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { connect, type Gateway } from '@hyperledger/fabric-gateway';
import { common, gateway, peer } from '../../src/fabric/protos.js';

export const CHANNEL = 'medrec';
export const CHAINCODE = 'medrec';

export interface OfflineGateway {
  gateway: Gateway;
  /** fabric-gateway's `Proposal.getBytes()` and `getDigest()` for one transaction */
  propose(contract: string, transaction: string, args: string[], options?: { transient?: Record<string, string>; channel?: string; chaincode?: string }): { bytes: Uint8Array; digest: Uint8Array; txId: string };
  close(): void;
}

/** A fabric-gateway Gateway in offline-signing mode for one identity (no signer: the device signs). */
export function offlineGateway(mspId: string, certificatePem: string): OfflineGateway {
  const client = new grpc.Client('127.0.0.1:9', grpc.credentials.createInsecure());
  const gw = connect({ client, identity: { mspId, credentials: new TextEncoder().encode(certificatePem) } });
  return {
    gateway: gw,
    propose(contractName, transaction, args, options = {}) {
      const contract = gw.getNetwork(options.channel ?? CHANNEL).getContract(options.chaincode ?? CHAINCODE, contractName);
      const proposal = contract.newProposal(transaction, {
        arguments: args,
        ...(options.transient
          ? { transientData: Object.fromEntries(Object.entries(options.transient).map(([k, v]) => [k, new TextEncoder().encode(v)])) }
          : {}),
      });
      return { bytes: proposal.getBytes(), digest: proposal.getDigest(), txId: proposal.getTransactionId() };
    },
    close() {
      gw.close();
      client.close();
    },
  };
}

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return new Uint8Array(hash.digest());
};

const peerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

export interface EnvelopeOptions {
  /** what the chaincode returned */
  result?: string;
  /** tampering, to test the device's refusals */
  transactionId?: string;
  proposalHash?: Uint8Array;
  /** replace the invocation carried in the transaction (another ChaincodeInvocationSpec) */
  invocation?: Uint8Array;
  /** a second action in the transaction */
  extraAction?: boolean;
}

/** The PreparedTransaction a peer's Gateway returns from Endorse for a proposal (fabric-gateway bytes). */
export function envelopeFor(proposedBytes: Uint8Array, options: EnvelopeOptions = {}): Uint8Array {
  const proposed = gateway.ProposedTransaction.deserializeBinary(proposedBytes);
  const proposal = peer.Proposal.deserializeBinary(proposed.getProposal()!.getProposalBytes_asU8());
  const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
  const original = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
  // GetBytesProposalPayloadForTx: the proposal payload without its transient map.
  const forTx = new peer.ChaincodeProposalPayload();
  forTx.setInput(options.invocation ?? original.getInput_asU8());
  const forTxBytes = forTx.serializeBinary();

  const response = new peer.Response();
  response.setStatus(200);
  response.setPayload(new TextEncoder().encode(options.result ?? '{"ok":true}'));
  const chaincodeId = new peer.ChaincodeID();
  chaincodeId.setName(CHAINCODE);
  chaincodeId.setVersion('1.0');
  const action = new peer.ChaincodeAction();
  action.setResults(new Uint8Array([1, 2, 3]));
  action.setResponse(response);
  action.setChaincodeId(chaincodeId);
  const responsePayload = new peer.ProposalResponsePayload();
  responsePayload.setProposalHash(
    options.proposalHash ?? sha256(header.getChannelHeader_asU8(), header.getSignatureHeader_asU8(), forTxBytes),
  );
  responsePayload.setExtension$(action.serializeBinary());
  const responsePayloadBytes = responsePayload.serializeBinary();
  const endorser = new TextEncoder().encode('peer0.hospital1 identity');
  const endorsement = new peer.Endorsement();
  endorsement.setEndorser(endorser);
  endorsement.setSignature(sign('sha256', Buffer.concat([responsePayloadBytes, endorser]), peerKey.privateKey));
  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(responsePayloadBytes);
  endorsed.setEndorsementsList([endorsement]);
  const actionPayload = new peer.ChaincodeActionPayload();
  actionPayload.setChaincodeProposalPayload(forTxBytes);
  actionPayload.setAction(endorsed);
  const transactionAction = new peer.TransactionAction();
  transactionAction.setHeader(header.getSignatureHeader_asU8());
  transactionAction.setPayload(actionPayload.serializeBinary());
  const transaction = new peer.Transaction();
  transaction.setActionsList(options.extraAction ? [transactionAction, transactionAction] : [transactionAction]);
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(transaction.serializeBinary());
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  const prepared = new gateway.PreparedTransaction();
  prepared.setTransactionId(options.transactionId ?? proposed.getTransactionId());
  prepared.setEnvelope(envelope);
  return prepared.serializeBinary();
}

/** The SignedCommitStatusRequest fabric-gateway builds after submitting (Commit.getBytes()). */
export function commitStatusFor(txId: string, channel: string, creator: Uint8Array): Uint8Array {
  const request = new gateway.CommitStatusRequest();
  request.setTransactionId(txId);
  request.setChannelId(channel);
  request.setIdentity(creator);
  const signed = new gateway.SignedCommitStatusRequest();
  signed.setRequest(request.serializeBinary());
  return signed.serializeBinary();
}

/** An invocation spec for other arguments (to forge an envelope that carries another call). */
export function invocationOf(args: string[]): Uint8Array {
  const input = new peer.ChaincodeInput();
  input.setArgsList(args.map((a) => new TextEncoder().encode(a)));
  const id = new peer.ChaincodeID();
  id.setName(CHAINCODE);
  const spec = new peer.ChaincodeSpec();
  spec.setChaincodeId(id);
  spec.setInput(input);
  const invocation = new peer.ChaincodeInvocationSpec();
  invocation.setChaincodeSpec(spec);
  return invocation.serializeBinary();
}

/** The SignedProposal a peer receives, out of fabric-gateway's signed `Proposal.getBytes()`. */
export function signedProposalOf(signedProposedBytes: Uint8Array): Uint8Array {
  return gateway.ProposedTransaction.deserializeBinary(signedProposedBytes).getProposal()!.serializeBinary();
}
