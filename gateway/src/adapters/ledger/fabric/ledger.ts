/**
 * LedgerPort on a real Fabric network, through the peer's Gateway service
 * (@hyperledger/fabric-gateway over @grpc/grpc-js, TLS). Every proposal is signed with the caller's
 * own certificate and key; one gRPC connection to this hospital's peer is shared by all of them.
 */
import { createPrivateKey } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  type ChaincodeEvent as FabricChaincodeEvent,
  type Checkpointer,
  type Gateway,
  connect,
  GatewayError,
  hash,
  signers,
} from '@hyperledger/fabric-gateway';
import { gateway as gatewayPb, msp as mspPb } from '@hyperledger/fabric-protos';
import {
  CommitUnknownError,
  type ChaincodeEvent,
  type ChannelConfigListener,
  type ChannelMember,
  type Creator,
  type EventOptions,
  type LedgerPort,
  type OfflineProposal,
  type OfflineTransaction,
  type Signer,
  type SubmitOptions,
  type SubmitResult,
  type TransactionInfo,
  LedgerUnavailableError,
  TransactionInvalidError,
} from '../../../ports/ledger.js';
import { chainHeight, transactionInBlock, validationCodeName } from './blocks.js';
import { lastConfigIndex, membersOfConfigBlock } from './channel-config.js';
import { toPortError } from './errors.js';

export interface FabricLedgerOptions {
  /** host:port of this hospital's peer (its Gateway service). */
  peerEndpoint: string;
  /** PEM of the CA that issued the peer's TLS certificate. */
  tlsRootCert: string;
  /** TLS server name to expect when it differs from the endpoint's host. */
  hostAlias?: string;
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
  timeouts?: Partial<Record<'evaluate' | 'endorse' | 'submit' | 'commitStatus', number>>;
}

const DEFAULT_TIMEOUTS = { evaluate: 10_000, endorse: 30_000, submit: 10_000, commitStatus: 60_000 };
const CONFIG_TX_TYPE = 1; // common.HeaderType.CONFIG
const CONFIG_RETRY_MS = 2_000;
const MAX_CACHED_GATEWAYS = 256;
const UNKNOWN_TX = /no such transaction ID|Failed to get block for txID/i;

function deadline(ms: number): () => grpc.CallOptions {
  return () => ({ deadline: Date.now() + ms });
}

export class FabricLedger implements LedgerPort {
  private readonly client: grpc.Client;
  private readonly gateways = new Map<string, Gateway>();
  private readonly timeouts: typeof DEFAULT_TIMEOUTS;
  private closed = false;
  private readonly configListeners = new Set<ChannelConfigListener>();
  private configWatch: AbortController | undefined;

  constructor(private readonly options: FabricLedgerOptions) {
    const credentials = grpc.credentials.createSsl(Buffer.from(options.tlsRootCert));
    this.client = new grpc.Client(
      options.peerEndpoint,
      credentials,
      options.hostAlias ? { 'grpc.ssl_target_name_override': options.hostAlias } : {},
    );
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  }

  /**
   * Gateways are cheap views over the shared connection; cached per identity to keep the parsed key.
   * A creator without a key gets an offline-signing gateway (fabric-gateway with no signer).
   */
  private gatewayFor(signer: Signer | Creator): Gateway {
    if (this.closed) throw new LedgerUnavailableError('the Fabric ledger client is closed');
    const offline = !('privateKey' in signer);
    const key = `${offline ? 'offline' : 'signer'}\n${signer.mspId}\n${signer.certificate}`;
    const cached = this.gateways.get(key);
    if (cached) return cached;
    if (this.gateways.size >= MAX_CACHED_GATEWAYS) {
      const oldest = this.gateways.keys().next().value as string;
      this.gateways.get(oldest)?.close();
      this.gateways.delete(oldest);
    }
    const gateway = connect({
      client: this.client,
      identity: { mspId: signer.mspId, credentials: Buffer.from(signer.certificate) },
      ...(offline ? {} : { signer: signers.newPrivateKeySigner(createPrivateKey(signer.privateKey)) }),
      hash: hash.sha256,
      evaluateOptions: deadline(this.timeouts.evaluate),
      endorseOptions: deadline(this.timeouts.endorse),
      submitOptions: deadline(this.timeouts.submit),
      commitStatusOptions: deadline(this.timeouts.commitStatus),
    });
    this.gateways.set(key, gateway);
    return gateway;
  }

  async submit(
    signer: Signer,
    contract: string,
    transaction: string,
    args: string[],
    options?: SubmitOptions,
  ): Promise<SubmitResult> {
    try {
      const network = this.gatewayFor(signer).getNetwork(this.options.channel);
      const submitted = await network.getContract(this.options.chaincode, contract).submitAsync(transaction, {
        arguments: args,
        ...(options?.endorsingOrganizations ? { endorsingOrganizations: options.endorsingOrganizations } : {}),
      });
      const status = await submitted.getStatus();
      if (!status.successful) {
        throw new TransactionInvalidError(status.transactionId, validationCodeName(status.code));
      }
      return { txId: status.transactionId, blockNumber: status.blockNumber, result: submitted.getResult() };
    } catch (error) {
      throw toPortError(error);
    }
  }

  /**
   * fabric-gateway's offline-signing flow: newProposal → newSignedProposal → endorse →
   * newSignedTransaction → submit. The commit status is then read with this hospital's service
   * identity (its own signed CommitStatusRequest), so the creator signs twice, not three times.
   */
  async propose(creator: Creator, contract: string, transaction: string, args: string[], options?: SubmitOptions): Promise<OfflineProposal> {
    const port = <T>(call: () => Promise<T>) => call().catch((error: unknown) => Promise.reject(toPortError(error)));
    return port(async () => {
      const gateway = this.gatewayFor({ mspId: creator.mspId, certificate: creator.certificate });
      const proposal = gateway.getNetwork(this.options.channel).getContract(this.options.chaincode, contract).newProposal(transaction, {
        arguments: args,
        ...(options?.endorsingOrganizations ? { endorsingOrganizations: options.endorsingOrganizations } : {}),
      });
      const bytes = proposal.getBytes();
      const txId = proposal.getTransactionId();
      const endorse = (signature: Uint8Array) =>
        port(async (): Promise<OfflineTransaction> => {
          const endorsed = await gateway.newSignedProposal(bytes, signature).endorse();
          const transactionBytes = endorsed.getBytes();
          const result = endorsed.getResult();
          return {
            txId,
            bytes: transactionBytes,
            digest: endorsed.getDigest(),
            message: gatewayPb.PreparedTransaction.deserializeBinary(transactionBytes).getEnvelope()!.getPayload_asU8(),
            result,
            submit: (envelopeSignature) =>
              port(async () => {
                await gateway.newSignedTransaction(transactionBytes, envelopeSignature).submit();
                // Ordered: from here on a failure to learn the outcome is not a failure of the transaction.
                const status = await this.commitStatus(txId).catch((error: unknown) => {
                  throw toPortError(error) instanceof LedgerUnavailableError ? new CommitUnknownError(txId, { cause: error }) : error;
                });
                if (!status.successful) throw new TransactionInvalidError(txId, validationCodeName(status.code));
                return { txId, blockNumber: status.blockNumber, result };
              }),
          };
        });
      return {
        txId,
        bytes,
        digest: proposal.getDigest(),
        message: gatewayPb.ProposedTransaction.deserializeBinary(bytes).getProposal()!.getProposalBytes_asU8(),
        endorse,
        evaluate: (signature) => port(() => gateway.newSignedProposal(bytes, signature).evaluate()),
      };
    });
  }

  /** Waits for a transaction's commit status, asked and signed by this hospital's service identity. */
  private commitStatus(txId: string) {
    const service = this.options.serviceSigner;
    const identity = new mspPb.SerializedIdentity();
    identity.setMspid(service.mspId);
    identity.setIdBytes(Buffer.from(service.certificate));
    const request = new gatewayPb.CommitStatusRequest();
    request.setTransactionId(txId);
    request.setChannelId(this.options.channel);
    request.setIdentity(identity.serializeBinary());
    const signed = new gatewayPb.SignedCommitStatusRequest();
    signed.setRequest(request.serializeBinary());
    return this.gatewayFor(service).newCommit(signed.serializeBinary()).getStatus();
  }

  async evaluate(signer: Signer, contract: string, transaction: string, args: string[]): Promise<Uint8Array> {
    try {
      const network = this.gatewayFor(signer).getNetwork(this.options.channel);
      return await network.getContract(this.options.chaincode, contract).evaluateTransaction(transaction, ...args);
    } catch (error) {
      throw toPortError(error);
    }
  }

  async *events(options: EventOptions): AsyncIterable<ChaincodeEvent> {
    const network = this.gatewayFor(this.options.serviceSigner).getNetwork(this.options.channel);
    const checkpointer = this.options.checkpointer;
    const checkpointBlock = checkpointer?.getBlockNumber();
    const resume = checkpointer && checkpointBlock !== undefined && checkpointBlock >= options.startBlock;
    let stream;
    try {
      stream = await network.getChaincodeEvents(
        this.options.chaincode,
        resume ? { checkpoint: checkpointer } : { startBlock: options.startBlock },
      );
    } catch (error) {
      throw toPortError(error);
    }
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

  private async query(name: string, args: string[]): Promise<Uint8Array> {
    const network = this.gatewayFor(this.options.serviceSigner).getNetwork(this.options.channel);
    return network.getContract('qscc').evaluateTransaction(name, this.options.channel, ...args);
  }

  async height(): Promise<bigint> {
    try {
      return chainHeight(await this.query('GetChainInfo', []));
    } catch (error) {
      throw toPortError(error);
    }
  }

  async getTransaction(txId: string): Promise<TransactionInfo | undefined> {
    let block: Uint8Array;
    try {
      block = await this.query('GetBlockByTxID', [txId]);
    } catch (error) {
      // qscc answers an unknown id with an error, not an empty result.
      if (error instanceof GatewayError && [error.message, ...error.details.map((d) => d.message)].some((m) => UNKNOWN_TX.test(m))) {
        return undefined;
      }
      throw toPortError(error);
    }
    return transactionInBlock(block, txId);
  }

  /** From the configuration block the latest block names (qscc), as Fabric's own peers read it. */
  async channelMembers(): Promise<ChannelMember[]> {
    try {
      const height = chainHeight(await this.query('GetChainInfo', []));
      const latest = await this.query('GetBlockByNumber', [String(height - 1n)]);
      const index = lastConfigIndex(latest);
      return membersOfConfigBlock(index === height - 1n ? latest : await this.query('GetBlockByNumber', [String(index)]));
    } catch (error) {
      throw toPortError(error);
    }
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
        next ??= await this.height();
        const network = this.gatewayFor(this.options.serviceSigner).getNetwork(this.options.channel);
        const blocks = await network.getFilteredBlockEvents({ startBlock: next });
        const stop = () => blocks.close();
        signal.addEventListener('abort', stop, { once: true });
        try {
          for await (const block of blocks) {
            next = BigInt(block.getNumber()) + 1n;
            if (!block.getFilteredTransactionsList().some((tx) => tx.getType() === CONFIG_TX_TYPE)) continue;
            const members = await this.channelMembers();
            for (const l of [...this.configListeners]) await l(members);
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
    this.closed = true;
    for (const gateway of this.gateways.values()) gateway.close();
    this.gateways.clear();
    this.client.close();
  }
}
