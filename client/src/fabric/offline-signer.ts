/**
 * The device half of Fabric Gateway's offline-signing flow. The gateway prepares; the device decodes
 * what it is asked to sign, refuses unless it is exactly what its user asked for, and signs the
 * SHA-256 of the bytes it checked (ECDSA P-256, DER, low-S). A digest is never signed on its own:
 * one handed over is only compared with the device's own.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '../bytes.js';
import { WalletError } from '../errors.js';
import { certifiesKey } from '../keys/certificate.js';
import type { DeviceKey } from '../keys/device-key.js';
import {
  decodeCommitStatusRequest,
  decodePreparedTransaction,
  decodeProposedTransaction,
  type DecodedProposal,
} from './decode.js';

/** What the user asked for: one chaincode transaction with its arguments. */
export interface TransactionIntent {
  channel: string;
  chaincode: string;
  /** contract name, e.g. `Relationship` */
  contract: string;
  /** transaction name, e.g. `accept` */
  transaction: string;
  args: readonly string[];
}

/** The device identity that signs: its enrolled certificate and its key. */
export interface OfflineSignerIdentity {
  mspId: string;
  /** PEM */
  certificate: string;
  key: DeviceKey;
}

/** Remembered from a signed proposal, to check the envelope and commit request that follow it. */
export interface ProposalTicket {
  txId: string;
  channel: string;
  chaincode: string;
  intent: TransactionIntent;
  channelHeader: Uint8Array;
  signatureHeader: Uint8Array;
  invocation: Uint8Array;
  creator: Uint8Array;
}

export interface Signed {
  txId: string;
  /** DER, low-S */
  signature: Uint8Array;
  /** the SHA-256 the device computed and signed */
  digest: Uint8Array;
}

export interface SignedTransaction extends Signed {
  /** the chaincode's endorsed response (its result is `payload`) */
  response: { status: number; message: string; payload: Uint8Array };
  endorsements: number;
}

function checkDigest(bytes: Uint8Array, given: Uint8Array | undefined): Uint8Array {
  const digest = sha256(bytes);
  if (given !== undefined && !equalBytes(digest, given)) {
    throw new WalletError('DIGEST_MISMATCH', 'the digest handed over is not the SHA-256 of the bytes handed over');
  }
  return digest;
}

function checkIntent(decoded: DecodedProposal, intent: TransactionIntent): void {
  const mismatch = (what: string) => new WalletError('INTENT_MISMATCH', `the proposal's ${what} is not what was asked for`);
  if (decoded.channel !== intent.channel) throw mismatch('channel');
  if (decoded.chaincode !== intent.chaincode) throw mismatch('chaincode');
  if (decoded.args[0] !== `${intent.contract}:${intent.transaction}`) throw mismatch('contract or transaction');
  const args = decoded.args.slice(1);
  if (args.length !== intent.args.length || args.some((arg, i) => arg !== intent.args[i])) throw mismatch('arguments');
}

/** Signs proposals, envelopes and commit-status requests for one enrolled device identity. */
export class OfflineSigner {
  constructor(private readonly identity: OfflineSignerIdentity) {}

  /**
   * Signs a prepared proposal (fabric-gateway `Proposal.getBytes()`), after checking that its creator
   * is this identity and that it asks for exactly `intent`. The same holds for an evaluation.
   */
  async signProposal(
    bytes: Uint8Array,
    intent: TransactionIntent,
    givenDigest?: Uint8Array,
  ): Promise<Signed & { ticket: ProposalTicket; proposal: DecodedProposal }> {
    const decoded = decodeProposedTransaction(bytes);
    if (decoded.mspId !== this.identity.mspId || !(await certifiesKey(decoded.certificate, this.identity.key))) {
      throw new WalletError('WRONG_SIGNER', "the proposal's creator is not this device's identity");
    }
    checkIntent(decoded, intent);
    const digest = checkDigest(decoded.proposalBytes, givenDigest);
    return {
      txId: decoded.txId,
      signature: this.identity.key.signDigest(digest),
      digest,
      proposal: decoded,
      ticket: {
        txId: decoded.txId,
        channel: decoded.channel,
        chaincode: decoded.chaincode,
        intent: structuredClone({ ...intent, args: [...intent.args] }),
        channelHeader: decoded.channelHeader,
        signatureHeader: decoded.signatureHeader,
        invocation: decoded.invocation,
        creator: decoded.creator,
      },
    };
  }

  /**
   * Signs the transaction envelope (fabric-gateway `Transaction.getBytes()`) only if it is the
   * proposal this device signed: same transaction id, headers byte for byte, same invocation, and an
   * endorsed proposal hash that is the hash of those (what committing peers check).
   */
  async signTransaction(bytes: Uint8Array, ticket: ProposalTicket, givenDigest?: Uint8Array): Promise<SignedTransaction> {
    const decoded = decodePreparedTransaction(bytes);
    const mismatch = (what: string) => new WalletError('TRANSACTION_MISMATCH', `the envelope's ${what} is not that of the signed proposal`);
    if (decoded.txId !== ticket.txId) throw mismatch('transaction id');
    if (!equalBytes(decoded.channelHeader, ticket.channelHeader)) throw mismatch('channel header');
    if (!equalBytes(decoded.signatureHeader, ticket.signatureHeader) || !equalBytes(decoded.actionHeader, ticket.signatureHeader)) {
      throw mismatch('signature header (creator and nonce)');
    }
    if (!equalBytes(decoded.invocation, ticket.invocation) || decoded.transientKeys.length > 0) throw mismatch('invocation');
    if (!equalBytes(decoded.proposalHash, decoded.computedProposalHash)) throw mismatch('endorsed proposal hash');
    if (decoded.chaincode !== ticket.chaincode) throw mismatch('chaincode');
    const digest = checkDigest(decoded.payload, givenDigest);
    return {
      txId: decoded.txId,
      signature: this.identity.key.signDigest(digest),
      digest,
      response: decoded.response,
      endorsements: decoded.endorsements,
    };
  }

  /** Signs a commit-status request (fabric-gateway `Commit.getBytes()`) for a transaction this device signed. */
  async signCommitStatus(bytes: Uint8Array, ticket: ProposalTicket, givenDigest?: Uint8Array): Promise<Signed> {
    const decoded = decodeCommitStatusRequest(bytes);
    if (decoded.txId !== ticket.txId || decoded.channel !== ticket.channel) {
      throw new WalletError('TRANSACTION_MISMATCH', 'the commit-status request is not for the signed transaction');
    }
    if (!equalBytes(decoded.identity, ticket.creator)) {
      throw new WalletError('WRONG_SIGNER', "the commit-status request's identity is not this device's identity");
    }
    const digest = checkDigest(decoded.request, givenDigest);
    return { txId: decoded.txId, signature: this.identity.key.signDigest(digest), digest };
  }
}
