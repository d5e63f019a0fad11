/**
 * LedgerPort on a real Fabric network, through the Gateway service of this hospital's peers
 * (@hyperledger/fabric-gateway over @grpc/grpc-js, TLS). Every proposal is signed with the caller's
 * own certificate and key; one gRPC connection per peer is shared by all of them.
 *
 * Several peers (the hospital's own, in order of preference): a call that cannot reach one goes to
 * the next, and the one that answered is tried first from then on. Only the hospital's own peers are
 * listed, never another member's: the gatekeeper's access decisions are evaluations, and a hospital
 * trusts only its own peers to answer them truthfully.
 */
import { createPrivateKey } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  type ChaincodeEvent as FabricChaincodeEvent,
  type Checkpointer,
  type Gateway,
  type Status,
  connect,
  GatewayError,
  hash,
  signers,
} from '@hyperledger/fabric-gateway';
import { gateway as gatewayPb, msp as mspPb } from '@hyperledger/fabric-protos';
import {
  type AccessQuestion,
  type ChaincodeEvent,
  type Decision,
  type ChannelConfigListener,
  type LedgerResendListener,
  type ChannelMember,
  type Creator,
  type EventOptions,
  type LedgerPort,
  type LedgerVerifyReport,
  type OfflineProposal,
  type OfflineTransaction,
  type OrderingState,
  type Signer,
  type SubmitOptions,
  type SubmitResult,
  type TransactionInfo,
  AccessDeniedError,
  ChaincodeError,
  LedgerUnavailableError,
  TransactionInvalidError,
} from '../../../ports/ledger.js';
import { decideAs } from '../decision.js';
import { AccessIndex, Height, PeerHeight } from './access-index.js';
import { checkLink } from '../embedded/block.js';
import { chainHeight, decodeBlock, transactionInBlock, validationCodeName } from './blocks.js';
import { lastConfigIndex, membersOfConfigBlock, orderingOfConfigBlock } from './channel-config.js';
import { toPortError } from './errors.js';
import { settle as settleOrdering } from './settle.js';

/** One of the hospital's peers (its Gateway service). */
export interface PeerEndpoint {
  /** host:port */
  endpoint: string;
  /** PEM of the CA that issued the peer's TLS certificate. */
  tlsRootCert: string;
  /** TLS server name to expect when it differs from the endpoint's host. */
  hostAlias?: string;
}

export interface FabricLedgerOptions {
  /** This hospital's peers, most preferred first (at least one). */
  peers: readonly PeerEndpoint[];
  channel: string;
  chaincode: string;
  /** This hospital's service identity, for reads that belong to no user: events, height, lookups. */
  serviceSigner: Signer;
  /**
   * Checkpointer (e.g. `checkpointers.file(path)`): events() records each event the consumer has
   * handled and, when asked to start at or before the checkpoint, resumes right after it, so a
   * restarted gateway neither loses nor repeats notifications, even within a block.
   */
  checkpointer?: Checkpointer;
  /** Per-call deadlines (ms). */
  timeouts?: Partial<FabricTimeouts>;
  /**
   * checkAccess from the block-fed access index (./access-index.ts), which falls back to evaluate;
   * false: every checkAccess is evaluated on the peer.
   */
  accessIndex?: boolean;
}

/** Deadlines of each call to a peer (ms): no call waits longer. */
export interface FabricTimeouts {
  evaluate: number;
  endorse: number;
  submit: number;
  /** How long a submit waits for its transaction's commit before answering "outcome unknown". */
  commitStatus: number;
}

export const DEFAULT_FABRIC_TIMEOUTS: FabricTimeouts = { evaluate: 10_000, endorse: 15_000, submit: 10_000, commitStatus: 30_000 };
const CONFIG_TX_TYPE = 1; // common.HeaderType.CONFIG
const CONFIG_RETRY_MS = 2_000;
const MAX_CACHED_GATEWAYS = 256;
const ORDERER_PROBE_MS = 2_000;

/** Whether a TLS (gRPC) connection to `endpoint` comes up within `ms`. */
function reachable(endpoint: string, tlsRootCerts: string, ms: number): Promise<boolean> {
  const client = new grpc.Client(endpoint, grpc.credentials.createSsl(Buffer.from(tlsRootCerts)), { 'grpc.service_config_disable_resolution': 1 });
  return new Promise((resolve) => client.waitForReady(Date.now() + ms, (error) => resolve(!error))).finally(() => client.close()) as Promise<boolean>;
}
const UNKNOWN_TX = /no such transaction ID|Failed to get block for txID/i;
/** How long a decision waits for the index to receive blocks the peer already reported, before it evaluates instead. */
const INDEX_WAIT_MS = 200;

function deadline(ms: number): () => grpc.CallOptions {
  return () => ({ deadline: Date.now() + ms });
}

/** One peer: its connection and the gateway views over it, cached per identity. */
class PeerConnection {
  readonly client: grpc.Client;
  readonly gateways = new Map<string, Gateway>();

  constructor(readonly peer: PeerEndpoint) {
    this.client = new grpc.Client(peer.endpoint, grpc.credentials.createSsl(Buffer.from(peer.tlsRootCert)), {
      ...(peer.hostAlias ? { 'grpc.ssl_target_name_override': peer.hostAlias } : {}),
      // Service configs from DNS TXT records are not wanted: the peer's address is all there is.
      'grpc.service_config_disable_resolution': 1,
    });
  }

  close(): void {
    for (const gateway of this.gateways.values()) gateway.close();
    this.gateways.clear();
    this.client.close();
  }
}

export class FabricLedger implements LedgerPort {
  private readonly peers: PeerConnection[];
  /** Index of the peer that answered last: tried first. */
  private preferred = 0;
  private readonly timeouts: FabricTimeouts;
  private closed = false;
  private readonly configListeners = new Set<ChannelConfigListener>();
  private readonly resendListeners = new Set<LedgerResendListener>();
  private configWatch: AbortController | undefined;
  private index: AccessIndex | undefined;
  private indexWatch: AbortController | undefined;
  private readonly peerHeight = new PeerHeight(() => this.height());
  /** Blocks whose configuration every onChannelConfig listener has been told of (the gatekeeper's trust). */
  private readonly configHeight = new Height();
  /** How checkAccess calls were answered: from the index, or evaluated on the peer. */
  readonly accessAnswers = { index: 0, evaluated: 0 };

  constructor(private readonly options: FabricLedgerOptions) {
    if (options.peers.length === 0) throw new Error('FabricLedger needs at least one peer');
    this.peers = options.peers.map((p) => new PeerConnection(p));
    this.timeouts = { ...DEFAULT_FABRIC_TIMEOUTS, ...options.timeouts };
  }

  /**
   * Gateways are cheap views over a peer's connection; cached per identity to keep the parsed key.
   * A creator without a key gets an offline-signing gateway (fabric-gateway with no signer).
   */
  private gatewayFor(signer: Signer | Creator, peer: PeerConnection): Gateway {
    if (this.closed) throw new LedgerUnavailableError('the Fabric ledger client is closed');
    const offline = !('privateKey' in signer);
    const key = `${offline ? 'offline' : 'signer'}\n${signer.mspId}\n${signer.certificate}`;
    const cached = peer.gateways.get(key);
    if (cached) return cached;
    if (peer.gateways.size >= MAX_CACHED_GATEWAYS) {
      const oldest = peer.gateways.keys().next().value as string;
      peer.gateways.get(oldest)?.close();
      peer.gateways.delete(oldest);
    }
    const gateway = connect({
      client: peer.client,
      identity: { mspId: signer.mspId, credentials: Buffer.from(signer.certificate) },
      ...(offline ? {} : { signer: signers.newPrivateKeySigner(createPrivateKey(signer.privateKey)) }),
      hash: hash.sha256,
      evaluateOptions: deadline(this.timeouts.evaluate),
      endorseOptions: deadline(this.timeouts.endorse),
      submitOptions: deadline(this.timeouts.submit),
      commitStatusOptions: deadline(this.timeouts.commitStatus),
    });
    peer.gateways.set(key, gateway);
    return gateway;
  }

  /** The peers in the order to try them: the one that answered last first. */
  private order(): PeerConnection[] {
    return [...this.peers.slice(this.preferred), ...this.peers.slice(0, this.preferred)];
  }

  /**
   * Runs `call` on the first peer that can be reached; a peer that cannot (or has no answer: the
   * port's LedgerUnavailableError) hands the call to the next. Any other error is the answer.
   */
  private async onAnyPeer<T>(signer: Signer | Creator, call: (gateway: Gateway, peer: PeerConnection) => Promise<T>): Promise<T> {
    let last: Error | undefined;
    for (const peer of this.order()) {
      try {
        const result = await call(this.gatewayFor(signer, peer), peer);
        this.preferred = this.peers.indexOf(peer);
        return result;
      } catch (error) {
        last = toPortError(error);
        if (!(last instanceof LedgerUnavailableError) || this.closed) throw last;
      }
    }
    throw last!;
  }

  /**
   * Endorsed on the first peer that can be reached (nothing is ordered before endorsement, so trying
   * the next is safe), then sent for ordering through that peer. From then on the transaction may
   * commit whatever this call sees: a failure to learn its outcome is TransactionOutcomeUnknownError
   * with its id, after resending it and asking the other peers for its status too (`settle`).
   */
  async submit(
    signer: Signer,
    contract: string,
    transaction: string,
    args: string[],
    options?: SubmitOptions,
  ): Promise<SubmitResult> {
    const { endorsed, peer } = await this.onAnyPeer(signer, async (gateway, peer) => {
      const proposal = gateway.getNetwork(this.options.channel).getContract(this.options.chaincode, contract).newProposal(transaction, {
        arguments: args,
        ...(options?.endorsingOrganizations ? { endorsingOrganizations: options.endorsingOrganizations } : {}),
      });
      return { endorsed: await proposal.endorse(), peer };
    });
    const txId = endorsed.getTransactionId();
    const status = await this.settle(txId, peer, async (to, deadline) => {
      // The first send signs the envelope; a resend carries the same signed bytes through `to`.
      await (to === peer ? endorsed.submit({ deadline }) : this.gatewayFor(signer, to).newTransaction(endorsed.getBytes()).submit({ deadline }));
    });
    if (!status.successful) throw new TransactionInvalidError(status.transactionId, validationCodeName(status.code));
    return { txId, blockNumber: status.blockNumber, result: endorsed.getResult() };
  }

  /** Orders the transaction through `first` and waits for its commit status, resending as `settle` says; each resend told to the resend listeners. */
  private settle(txId: string, first: PeerConnection, send: (peer: PeerConnection, deadline: number) => Promise<void>): Promise<Status> {
    const service = this.options.serviceSigner;
    const request = serviceCommitRequest(service, this.options.channel, txId);
    return settleOrdering(
      txId,
      {
        peers: [first, ...this.peers.filter((p) => p !== first)],
        name: (peer) => peer.peer.endpoint,
        send,
        status: (peer, deadline) => this.gatewayFor(service, peer).newCommit(request).getStatus({ deadline }),
        onResend: (resend) => {
          for (const listener of this.resendListeners) listener(resend);
        },
        closed: () => this.closed,
      },
      this.timeouts,
    );
  }

  onResend(listener: LedgerResendListener): () => void {
    this.resendListeners.add(listener);
    return () => void this.resendListeners.delete(listener);
  }

  /**
   * fabric-gateway's offline-signing flow: newProposal → newSignedProposal → endorse →
   * newSignedTransaction → submit. Endorsed on the first peer that can be reached (as `submit`), then
   * ordered through that peer; the commit status is read with this hospital's service identity (its
   * own signed CommitStatusRequest), so the creator signs twice, not three times. Once ordered, a
   * failure to learn the outcome is TransactionOutcomeUnknownError with the transaction's id.
   */
  async propose(creator: Creator, contract: string, transaction: string, args: string[], options?: SubmitOptions): Promise<OfflineProposal> {
    const port = <T>(call: () => Promise<T>) => call().catch((error: unknown) => Promise.reject(toPortError(error)));
    const offline: Creator = { mspId: creator.mspId, certificate: creator.certificate };
    return port(async () => {
      // Building a proposal talks to no peer: any peer's offline gateway makes the same bytes.
      const proposal = this.gatewayFor(offline, this.order()[0]!)
        .getNetwork(this.options.channel)
        .getContract(this.options.chaincode, contract)
        .newProposal(transaction, {
          arguments: args,
          ...(options?.endorsingOrganizations ? { endorsingOrganizations: options.endorsingOrganizations } : {}),
        });
      const bytes = proposal.getBytes();
      const txId = proposal.getTransactionId();
      const endorse = async (signature: Uint8Array): Promise<OfflineTransaction> => {
        const { endorsed, peer } = await this.onAnyPeer(offline, async (gateway, peer) => ({
          endorsed: await gateway.newSignedProposal(bytes, signature).endorse(),
          peer,
        }));
        const transactionBytes = endorsed.getBytes();
        const result = endorsed.getResult();
        return {
          txId,
          bytes: transactionBytes,
          digest: endorsed.getDigest(),
          message: gatewayPb.PreparedTransaction.deserializeBinary(transactionBytes).getEnvelope()!.getPayload_asU8(),
          result,
          submit: async (envelopeSignature) => {
            const status = await this.settle(txId, peer, async (to, deadline) => {
              await this.gatewayFor(offline, to).newSignedTransaction(transactionBytes, envelopeSignature).submit({ deadline });
            });
            if (!status.successful) throw new TransactionInvalidError(txId, validationCodeName(status.code));
            return { txId, blockNumber: status.blockNumber, result };
          },
        };
      };
      return {
        txId,
        bytes,
        digest: proposal.getDigest(),
        message: gatewayPb.ProposedTransaction.deserializeBinary(bytes).getProposal()!.getProposalBytes_asU8(),
        endorse,
        evaluate: (signature) => this.onAnyPeer(offline, (gateway) => gateway.newSignedProposal(bytes, signature).evaluate()),
      };
    });
  }

  async evaluate(signer: Signer, contract: string, transaction: string, args: string[]): Promise<Uint8Array> {
    return this.onAnyPeer(signer, (gateway) =>
      gateway.getNetwork(this.options.channel).getContract(this.options.chaincode, contract).evaluateTransaction(transaction, ...args),
    );
  }

  /**
   * From the access index when it holds every block the peer had committed when this call came (the
   * peer's height is read after it arrived, once per batch of concurrent calls); otherwise, or when
   * anything about the index fails, evaluated on the peer. Either way the chaincode domain's decision.
   */
  async checkAccess(signer: Signer, question: AccessQuestion): Promise<Decision> {
    const index = this.accessIndex();
    if (index) {
      try {
        const decided = await this.fromIndex(index, signer, question);
        if (decided) {
          this.accessAnswers.index++;
          return decided;
        }
      } catch (error) {
        // The decision's own refusals are answers; anything else (the height not read): evaluate.
        if (error instanceof ChaincodeError || error instanceof AccessDeniedError) {
          this.accessAnswers.index++;
          throw error;
        }
      }
    }
    this.accessAnswers.evaluated++;
    const { relationshipId, requesterIdentityId, category, fieldsJson } = question;
    const bytes = await this.evaluate(signer, 'Relationship', 'checkAccess', [relationshipId, requesterIdentityId, category, fieldsJson]);
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as Decision;
  }

  private async fromIndex(index: AccessIndex, signer: Signer, question: AccessQuestion): Promise<Decision | undefined> {
    const peerHeight = await this.peerHeight.next();
    if (!(await index.reached(peerHeight, INDEX_WAIT_MS))) return undefined;
    // The trust of whoever listens (the gatekeeper re-checks its requester after the decision) is as current.
    if (this.configListeners.size > 0 && !(await this.configHeight.reached(peerHeight, INDEX_WAIT_MS))) return undefined;
    const at = new Date();
    const height = index.height;
    const creator = (await index.trust).check(signer.mspId, signer.certificate, at);
    if (!creator.ok) throw new AccessDeniedError(`access denied: ${creator.reason}`);
    const decision = await decideAs(index, signer, question, at);
    // A block applied while deciding could have been seen in part: decide on the peer instead.
    return index.height === height ? decision : undefined;
  }

  /** The access index, started on first use; undefined when switched off or closed. */
  private accessIndex(): AccessIndex | undefined {
    if (this.options.accessIndex === false || this.closed) return undefined;
    if (!this.index) {
      this.index = new AccessIndex();
      this.indexWatch = new AbortController();
      void this.feedIndex(this.index, this.indexWatch.signal);
    }
    return this.index;
  }

  /** Every block from the index's height on, as the peer delivers them; after a broken stream, resumes. */
  private async feedIndex(index: AccessIndex, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.closed) {
      try {
        const from = index.height;
        const blocks = await this.onAnyPeer(this.options.serviceSigner, (gateway) =>
          gateway.getNetwork(this.options.channel).getBlockEvents({ startBlock: from }),
        );
        const stop = () => blocks.close();
        signal.addEventListener('abort', stop, { once: true });
        try {
          for await (const block of blocks) await index.apply(block, this.options.chaincode);
        } finally {
          signal.removeEventListener('abort', stop);
          blocks.close();
        }
      } catch {
        // The peer went away or the stream broke: decisions are evaluated until it is back.
      }
      if (!signal.aborted && !this.closed) await new Promise((r) => setTimeout(r, CONFIG_RETRY_MS).unref());
    }
  }

  async *events(options: EventOptions): AsyncIterable<ChaincodeEvent> {
    const checkpointer = this.options.checkpointer;
    const checkpointBlock = checkpointer?.getBlockNumber();
    const resume = checkpointer && checkpointBlock !== undefined && checkpointBlock >= options.startBlock;
    const stream = await this.onAnyPeer(this.options.serviceSigner, (gateway) =>
      gateway
        .getNetwork(this.options.channel)
        .getChaincodeEvents(this.options.chaincode, resume ? { checkpoint: checkpointer } : { startBlock: options.startBlock }),
    );
    const stop = () => stream.close();
    options.signal?.addEventListener('abort', stop, { once: true });
    // An event is checkpointed once the consumer comes back for the next one or stops reading:
    // at least once, never lost, even if the process dies while handling it.
    let delivered: FabricChaincodeEvent | undefined;
    let failed = false;
    try {
      for await (const event of stream) {
        delivered = event;
        yield {
          blockNumber: event.blockNumber,
          txId: event.transactionId,
          eventName: event.eventName,
          payload: event.payload,
        };
        await checkpointer?.checkpointChaincodeEvent(event);
        delivered = undefined;
      }
    } catch (error) {
      if (options.signal?.aborted || this.closed) return;
      failed = true;
      throw toPortError(error);
    } finally {
      options.signal?.removeEventListener('abort', stop);
      stream.close();
      if (delivered && !failed) await checkpointer?.checkpointChaincodeEvent(delivered);
    }
  }

  private query(name: string, args: string[]): Promise<Uint8Array> {
    return this.onAnyPeer(this.options.serviceSigner, (gateway) =>
      gateway.getNetwork(this.options.channel).getContract('qscc').evaluateTransaction(name, this.options.channel, ...args),
    );
  }

  async height(): Promise<bigint> {
    return chainHeight(await this.query('GetChainInfo', []));
  }

  /** The peer's block hash chain, every block read through qscc and its link checked as a peer does. */
  async verify(): Promise<LedgerVerifyReport> {
    const height = await this.height();
    const problems: string[] = [];
    let previousHash: Buffer = Buffer.alloc(0);
    for (let n = 0n; n < height; n++) {
      const block = decodeBlock(await this.query('GetBlockByNumber', [String(n)]));
      previousHash = checkLink(block.header, block.data, { number: n, previousHash }, problems);
    }
    return { ok: problems.length === 0, height: Number(height), problems, checked: 'hash-chain' };
  }

  async getTransaction(txId: string): Promise<TransactionInfo | undefined> {
    let block: Uint8Array;
    try {
      block = await this.query('GetBlockByTxID', [txId]);
    } catch (error) {
      // qscc answers an unknown id with an error, not an empty result.
      const cause = (error as Error).cause;
      const messages = [(error as Error).message, ...(cause instanceof GatewayError ? cause.details.map((d) => d.message) : [])];
      if (messages.some((m) => UNKNOWN_TX.test(m))) return undefined;
      throw error;
    }
    return transactionInBlock(block, txId);
  }

  /** The configuration block the latest block names (qscc), as Fabric's own peers read it. */
  private async configBlock(): Promise<Uint8Array> {
    const height = chainHeight(await this.query('GetChainInfo', []));
    const latest = await this.query('GetBlockByNumber', [String(height - 1n)]);
    const index = lastConfigIndex(latest);
    return index === height - 1n ? latest : this.query('GetBlockByNumber', [String(index)]);
  }

  async channelMembers(): Promise<ChannelMember[]> {
    try {
      return membersOfConfigBlock(await this.configBlock());
    } catch (error) {
      throw toPortError(error);
    }
  }

  /** Each orderer the channel configuration names, asked for a TLS connection from here (bounded). */
  async ordering(): Promise<OrderingState> {
    const { consensus, orderers } = orderingOfConfigBlock(await this.configBlock());
    const up = await Promise.all(orderers.map((o) => reachable(o.endpoint, o.tlsRootCerts.join('\n'), ORDERER_PROBE_MS)));
    const total = orderers.length;
    const quorum = consensus === 'BFT' ? total - Math.floor((total - 1) / 3) : Math.floor(total / 2) + 1;
    return { consensus, total, reachable: up.filter(Boolean).length, quorum };
  }

  /**
   * Follows the channel's blocks (filtered events: only their transaction types) from the current
   * height; at each configuration block the members are read again and every listener told.
   */
  onChannelConfig(listener: ChannelConfigListener): () => void {
    this.configListeners.add(listener);
    if (!this.configWatch) {
      this.configWatch = new AbortController();
      void this.watchConfig(this.configWatch.signal);
    }
    return () => {
      this.configListeners.delete(listener);
      if (this.configListeners.size === 0) {
        this.configWatch?.abort();
        this.configWatch = undefined;
      }
    };
  }

  private async watchConfig(signal: AbortSignal): Promise<void> {
    let next: bigint | undefined;
    while (!signal.aborted && !this.closed) {
      try {
        if (next === undefined) {
          next = await this.height();
          // The listeners started from the members of this height (channelMembers()).
          this.configHeight.reach(next);
        }
        const from = next;
        const blocks = await this.onAnyPeer(this.options.serviceSigner, (gateway) =>
          gateway.getNetwork(this.options.channel).getFilteredBlockEvents({ startBlock: from }),
        );
        const stop = () => blocks.close();
        signal.addEventListener('abort', stop, { once: true });
        try {
          for await (const block of blocks) {
            if (block.getFilteredTransactionsList().some((tx) => tx.getType() === CONFIG_TX_TYPE)) {
              const members = await this.channelMembers();
              for (const l of [...this.configListeners]) await l(members);
            }
            next = BigInt(block.getNumber()) + 1n;
            this.configHeight.reach(next);
          }
        } finally {
          signal.removeEventListener('abort', stop);
          blocks.close();
        }
      } catch {
        // The peer went away or the stream broke: resume from the next unseen block.
      }
      if (!signal.aborted && !this.closed) await new Promise((r) => setTimeout(r, CONFIG_RETRY_MS).unref());
    }
  }

  async close(): Promise<void> {
    this.configWatch?.abort();
    this.indexWatch?.abort();
    this.closed = true;
    for (const peer of this.peers) peer.close();
  }
}

/** A CommitStatusRequest for `txId` in `identity`'s name, unsigned: fabric-gateway signs it with that identity's gateway. */
function serviceCommitRequest(identity: Creator, channel: string, txId: string): Uint8Array {
  const creator = new mspPb.SerializedIdentity();
  creator.setMspid(identity.mspId);
  creator.setIdBytes(Buffer.from(identity.certificate));
  const request = new gatewayPb.CommitStatusRequest();
  request.setTransactionId(txId);
  request.setChannelId(channel);
  request.setIdentity(creator.serializeBinary());
  const signed = new gatewayPb.SignedCommitStatusRequest();
  signed.setRequest(request.serializeBinary());
  return signed.serializeBinary();
}
