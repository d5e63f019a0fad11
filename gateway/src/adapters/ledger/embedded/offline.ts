/**
 * The messages of Fabric Gateway's offline-signing flow, built by the embedded peer: the
 * gateway.ProposedTransaction a device signs (fabric-gateway's `Proposal.getBytes()`) and the
 * gateway.PreparedTransaction around the envelope it signs next (`Transaction.getBytes()`), shaped as
 * a peer's Gateway assembles it (Fabric's protoutil.CreateSignedTx: one action, the proposal's
 * headers, its invocation without transient data, and the endorsed response whose proposal hash
 * committing peers check). The embedded ledger has no endorsing peer key, so the envelope carries no
 * endorsement: the device's own checks (docs/device-keys.md §5) do not depend on one.
 */
import { createHash } from 'node:crypto';
import { protos } from './fabric.js';
import type { UnsignedProposal } from './proposal.js';

const { common, peer } = protos;
// fabric-shim's protobuf package carries the gateway messages too (the same .proto files as fabric-gateway's).
const { gateway } = protos as unknown as { gateway: any };

export const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** fabric-gateway's `Proposal.getBytes()` for this proposal: unsigned, with the organisations that must endorse. */
export function proposedTransaction(proposal: UnsignedProposal, endorsingOrganizations: readonly string[] = []): Uint8Array {
  const signed = new peer.SignedProposal();
  signed.setProposalBytes(proposal.proposalBytes);
  const proposed = new gateway.ProposedTransaction();
  proposed.setTransactionId(proposal.txId);
  proposed.setProposal(signed);
  proposed.setEndorsingOrganizationsList([...endorsingOrganizations]);
  return proposed.serializeBinary();
}

export interface EndorsedResult {
  chaincodeName: string;
  response: { status: number; message: string; payload: Uint8Array };
  /** The simulation's read-write set as the embedded ledger records it (its JSON): what the device's signature covers. */
  results: Uint8Array;
  event?: { name: string; payload: Uint8Array };
}

export interface PreparedTransaction {
  /** gateway.PreparedTransaction bytes. */
  bytes: Uint8Array;
  /** The envelope payload the creator signs (its SHA-256 is the digest). */
  payload: Uint8Array;
}

/** The envelope a peer's Gateway returns from Endorse for this proposal. */
export function preparedTransaction(proposal: UnsignedProposal, endorsed: EndorsedResult): PreparedTransaction {
  // GetBytesProposalPayloadForTx: the proposal payload without its transient map.
  const forTx = new peer.ChaincodeProposalPayload();
  forTx.setInput(proposal.invocation);
  const forTxBytes: Uint8Array = forTx.serializeBinary();

  const chaincodeId = new peer.ChaincodeID();
  chaincodeId.setName(endorsed.chaincodeName);
  const response = new peer.Response();
  response.setStatus(endorsed.response.status);
  response.setMessage(endorsed.response.message);
  response.setPayload(endorsed.response.payload);
  const action = new peer.ChaincodeAction();
  action.setResults(endorsed.results);
  action.setResponse(response);
  action.setChaincodeId(chaincodeId);
  if (endorsed.event) {
    const event = new peer.ChaincodeEvent();
    event.setChaincodeId(endorsed.chaincodeName);
    event.setTxId(proposal.txId);
    event.setEventName(endorsed.event.name);
    event.setPayload(endorsed.event.payload);
    action.setEvents(event.serializeBinary());
  }
  const responsePayload = new peer.ProposalResponsePayload();
  // Fabric's GetProposalHash2: what committing peers compare with the proposal the creator signed.
  responsePayload.setProposalHash(sha256(proposal.channelHeaderBytes, proposal.signatureHeaderBytes, forTxBytes));
  responsePayload.setExtension$(action.serializeBinary());
  const endorsedAction = new peer.ChaincodeEndorsedAction();
  endorsedAction.setProposalResponsePayload(responsePayload.serializeBinary());
  const actionPayload = new peer.ChaincodeActionPayload();
  actionPayload.setChaincodeProposalPayload(forTxBytes);
  actionPayload.setAction(endorsedAction);
  const transactionAction = new peer.TransactionAction();
  transactionAction.setHeader(proposal.signatureHeaderBytes);
  transactionAction.setPayload(actionPayload.serializeBinary());
  const transaction = new peer.Transaction();
  transaction.setActionsList([transactionAction]);
  const payload = new common.Payload();
  payload.setHeader(proposal.header);
  payload.setData(transaction.serializeBinary());
  const payloadBytes: Uint8Array = payload.serializeBinary();
  const envelope = new common.Envelope();
  envelope.setPayload(payloadBytes);
  const prepared = new gateway.PreparedTransaction();
  prepared.setTransactionId(proposal.txId);
  prepared.setEnvelope(envelope);
  return { bytes: prepared.serializeBinary(), payload: payloadBytes };
}
