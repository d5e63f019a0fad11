/** The gateway's view of any ledger: the embedded one or a real Fabric network. */
import { ERROR_CODES, type AccessQuestion, type Decision, type ErrorCode } from '@medrec/chaincode/domain';

export type { AccessQuestion, Decision } from '@medrec/chaincode/domain';

/** Who a transaction is for: the creator's MSP and enrolled certificate (PEM). */
export interface Creator {
  mspId: string;
  certificate: string;
}

/** Who signs a proposal here: the user's own enrolled certificate and private key (PEM, PKCS#8). */
export interface Signer extends Creator {
  privateKey: string;
}

export interface SubmitResult {
  txId: string;
  blockNumber: bigint;
  /** What the transaction function returned (JSON text as bytes). */
  result: Uint8Array;
}

export interface ChaincodeEvent {
  blockNumber: bigint;
  txId: string;
  eventName: string;
  payload: Uint8Array;
}

export interface OrderingState {
  consensus: string;
  total: number;
  reachable: number;
  /** How many orderers must be up for a write to commit (etcdraft: a majority; BFT: n − f). */
  quorum: number;
}

export interface TransactionInfo {
  txId: string;
  blockNumber: bigint;
  /** Fabric's validation code name, e.g. VALID, MVCC_READ_CONFLICT, ENDORSEMENT_POLICY_FAILURE. */
  validationCode: string;
  creatorMspId: string;
  timestamp: Date;
}

export interface EventOptions {
  /** First block to deliver events from (inclusive); resume with the last seen block + 1. */
  startBlock: bigint;
  signal?: AbortSignal;
}

export interface SubmitOptions {
  /**
   * Organisations whose peers must endorse (state-based endorsement: a relationship's keys need the
   * provider's own hospital). Absent: the chaincode-level policy decides.
   */
  endorsingOrganizations?: string[];
}

/** One organisation of the channel, as its MSP definition in the channel configuration says. */
export interface ChannelMember {
  mspId: string;
  /** PEM CA certificates (roots and intermediates) that issue this org's identities. */
  caCertificates: string[];
  /** PEM X.509 CRLs signed by one of those CAs (the MSP's revocation_list). */
  revocationLists?: string[];
  /** PEM TLS CA certificates (the MSP's tls_root_certs and tls_intermediate_certs): what its servers' HTTPS certificates chain to. */
  tlsRootCertificates?: string[];
}

/** Told of each new channel configuration; awaited by the ledger before it reports the change done. */
export type ChannelConfigListener = (members: ChannelMember[]) => void | Promise<void>;

/**
 * A transaction sent for ordering again (Fabric): `refused` — ordering refused the previous send;
 * `late_status` — its commit status did not come in time. Carries no transaction content.
 */
export interface LedgerResend {
  txId: string;
  /** the peer it was resent through (host:port) */
  peer: string;
  reason: 'refused' | 'late_status';
}
export type LedgerResendListener = (resend: LedgerResend) => void;

/**
 * A proposal whose creator signs elsewhere (a person's device): fabric-gateway's offline-signing
 * flow (docs/device-keys.md §5). Each step hands out bytes and a digest and takes the creator's
 * ECDSA signature over that digest; the ledger itself refuses a signature that does not verify.
 */
export interface OfflineProposal {
  readonly txId: string;
  /** A gateway.ProposedTransaction, as fabric-gateway's `Proposal.getBytes()`. */
  readonly bytes: Uint8Array;
  /** SHA-256 of the proposal bytes: what the creator signs. */
  readonly digest: Uint8Array;
  /** The bytes `digest` is the hash of (the Proposal protobuf), for verifying a signature before it is used. */
  readonly message: Uint8Array;
  /** Endorses the signed proposal; resolves with the envelope to sign (or rejects like submit). */
  endorse(signature: Uint8Array): Promise<OfflineTransaction>;
  /** Evaluates the signed proposal on committed state; nothing is ordered. */
  evaluate(signature: Uint8Array): Promise<Uint8Array>;
}

/** The endorsed transaction, waiting for the creator's envelope signature. */
export interface OfflineTransaction {
  readonly txId: string;
  /** A gateway.PreparedTransaction, as fabric-gateway's `Transaction.getBytes()`. */
  readonly bytes: Uint8Array;
  /** SHA-256 of the envelope payload: what the creator signs. */
  readonly digest: Uint8Array;
  /** The bytes `digest` is the hash of (the envelope payload). */
  readonly message: Uint8Array;
  /** What the endorsed transaction function returned. */
  readonly result: Uint8Array;
  /**
   * Orders the signed envelope and waits for its commit, like LedgerPort.submit; rejects with
   * CommitUnknownError when the envelope went out but its outcome could not be learnt.
   */
  submit(signature: Uint8Array): Promise<SubmitResult>;
}

export interface LedgerVerifyReport {
  ok: boolean;
  /** blocks read */
  height: number;
  /** each finding, naming its block ("block 7: data hash does not match its transactions") */
  problems: string[];
  /** what was checked: the embedded ledger's whole file, or a Fabric peer's block hash chain */
  checked: 'file' | 'hash-chain';
}

/** What typed chaincode calls need of a ledger: a hospital's own, or another hospital's gateway acting for a custodial delegate. */
export type LedgerCalls = Pick<LedgerPort, 'submit' | 'evaluate' | 'checkAccess'>;

export interface LedgerPort {
  /** Prepares a proposal for `creator` to sign elsewhere (offline signing); nothing is sent yet. */
  propose(creator: Creator, contract: string, transaction: string, args: string[], options?: SubmitOptions): Promise<OfflineProposal>;
  /** Endorse, order and commit. Resolves after commit; rejects with ChaincodeError or LedgerUnavailableError. */
  submit(
    signer: Signer,
    contract: string,
    transaction: string,
    args: string[],
    options?: SubmitOptions,
  ): Promise<SubmitResult>;
  /** Query on committed state; nothing is ordered. */
  evaluate(signer: Signer, contract: string, transaction: string, args: string[]): Promise<Uint8Array>;
  /**
   * Relationship.checkAccess as `signer`: the chaincode domain's own decision (`decideAccess`) on
   * committed state, with the same Decision and the same errors as evaluating the transaction. An
   * adapter may answer it from its own copy of the committed state, but only when that copy holds
   * every block the ledger had committed when the call began: a revocation committed before a request
   * is honoured by that request (docs/DESIGN.md, "Access decisions").
   */
  checkAccess(signer: Signer, question: AccessQuestion): Promise<Decision>;
  /** Chaincode events of committed, valid transactions, in ledger order, from options.startBlock. */
  events(options: EventOptions): AsyncIterable<ChaincodeEvent>;
  /** Number of blocks on the ledger. */
  height(): Promise<bigint>;
  /**
   * The ledger's own integrity, as far as this client can check it: the embedded ledger replays its
   * whole file (hash chain, creators' signatures, state, history, index); a Fabric client checks the
   * peer's block hash chain (each block read through qscc).
   */
  verify(): Promise<LedgerVerifyReport>;
  getTransaction(txId: string): Promise<TransactionInfo | undefined>;
  /**
   * The ordering service as this ledger client can reach it (absent: ordering is part of the ledger
   * itself, as in the embedded one). Fewer reachable than `quorum`: writes cannot commit.
   */
  ordering?(): Promise<OrderingState>;
  /** The channel's organisations as its latest configuration block defines them (CAs and CRLs). */
  channelMembers(): Promise<ChannelMember[]>;
  /**
   * Calls `listener` with the members whenever a configuration block commits (a new CRL, a new
   * organisation). Returns the unsubscribe function.
   */
  onChannelConfig(listener: ChannelConfigListener): () => void;
  /**
   * Calls `listener` for each transaction this client sends for ordering again (absent: a ledger
   * that never resends, as the embedded one). Returns the unsubscribe function.
   */
  onResend?(listener: LedgerResendListener): () => void;
  close(): Promise<void>;
}

/** The chaincode's stable error codes: its contract with every caller, defined once in its domain. */
export const CHAINCODE_ERROR_CODES = ERROR_CODES;
export type ChaincodeErrorCode = ErrorCode;

const CODE_PATTERN = new RegExp(`\\b(${CHAINCODE_ERROR_CODES.join('|')}): ([^\\n]*)`);

/** The chaincode refused the transaction for a reason of its own (a 4xx for the caller). */
export class ChaincodeError extends Error {
  constructor(
    readonly code: ChaincodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ChaincodeError';
  }

  /** Finds the chaincode's `CODE: text` inside whatever message a ledger client produced. */
  static fromMessage(message: string): ChaincodeError | undefined {
    const match = CODE_PATTERN.exec(message);
    return match ? new ChaincodeError(match[1] as ChaincodeErrorCode, match[2]!) : undefined;
  }
}

/** No decision could be had from the ledger (peer, orderer or store down): callers fail closed (503). */
export class LedgerUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerUnavailableError';
  }
}

/**
 * The ledger did not answer a call within its deadline (Fabric: gRPC DEADLINE_EXCEEDED, e.g. an
 * endorsement longer than the endorse deadline). Unavailable like any unanswered call; a caller
 * whose own request size is the cause may ask again with less.
 */
export class LedgerTimeoutError extends LedgerUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerTimeoutError';
  }
}

/**
 * The transaction was sent for ordering, but its outcome could not be learnt in time (the orderers
 * lost their quorum while it may still be ordered, the commit wait ran out, the peer went away): it
 * may yet commit, or never. Nothing should be resubmitted blindly: ask getTransaction(txId).
 * A LedgerUnavailableError, so a caller that only fails closed still does.
 */
export class TransactionOutcomeUnknownError extends LedgerUnavailableError {
  constructor(
    readonly txId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`the outcome of transaction ${txId} is unknown: ${message}`, options);
    this.name = 'TransactionOutcomeUnknownError';
  }
}

/** Why the network refused a submitter's certificate or signature. */
export type AccessDeniedCode = 'CERTIFICATE_REVOKED' | 'ACCESS_DENIED';

/** The network refused the submitter before running anything: unknown or revoked certificate, bad signature (403). */
export class AccessDeniedError extends Error {
  constructor(
    message: string,
    readonly code: AccessDeniedCode = /\brevoked\b/i.test(message) ? 'CERTIFICATE_REVOKED' : 'ACCESS_DENIED',
  ) {
    super(message);
    this.name = 'AccessDeniedError';
  }
}

/**
 * The transaction was ordered but invalidated at commit, so it wrote nothing: e.g. MVCC_READ_CONFLICT
 * or PHANTOM_READ_CONFLICT (a concurrent transaction changed what it read: retry) or
 * ENDORSEMENT_POLICY_FAILURE.
 */
export class TransactionInvalidError extends Error {
  constructor(
    readonly txId: string,
    readonly validationCode: string,
  ) {
    super(`transaction ${txId} was invalidated at commit: ${validationCode}`);
    this.name = 'TransactionInvalidError';
  }
}
