/**
 * The embedded ledger: the medrec chaincode run in-process through fabric-contract-api's own dispatch,
 * with Fabric's rules — proposals signed by the user's own key and checked against the channel's
 * MSPs, simulation on committed state, ordering into hash-chained blocks, MVCC validation at commit,
 * events after commit — persisted in SQLite.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  AccessDeniedError,
  ChaincodeError,
  type AccessQuestion,
  type Decision,
  LedgerUnavailableError,
  TransactionInvalidError,
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
} from '../../../ports/ledger.js';
import { decideAs } from '../decision.js';
import { CommittedRecords } from './access.js';
import { dataHash, headerHash } from './block.js';
import { ChaincodeStub, chaincodeFromContracts, type Chaincode, type Serializers, type StubInstance } from './fabric.js';
import { CommitLock } from './lock.js';
import { TrustStore } from '../../../pki/trust-store.js';
import { preparedTransaction, proposedTransaction, sha256 } from './offline.js';
import { buildProposal, buildSignedProposal, decodeSignedProposal, signedProposal, type DecodedProposal } from './proposal.js';
import { configTxId, encodeBlockData, encodeRecord, type ConfigRecord, type EndorserRecord } from './records.js';
import { verifyLowS } from '../../../pki/ecdsa.js';
import { Simulation, StoreFailure } from './simulation.js';
import { LedgerStore, type HistoryInsert, type TransactionRow } from './store.js';
import { verifyLedger, type VerifyReport } from './verify.js';
import { BlockView } from './view.js';

export interface EmbeddedLedgerOptions {
  /** Directory of the ledger's files (created when missing). */
  dataDir: string;
  /** The channel's organisations: who may transact, and the CAs (and CRLs) that vouch for them. */
  members: ChannelMember[];
  /** The chaincode's contract classes, e.g. `contracts` of `@medrec/chaincode`. */
  contracts: readonly unknown[];
  /** The chaincode module's `serializers` export, if it has one. */
  serializers?: Serializers;
  channelId?: string;
  chaincodeName?: string;
  /** Block cutter: at most this many transactions per block (Fabric's BatchSize.MaxMessageCount). */
  maxBlockTransactions?: number;
  /** Block cutter: cut a block this long after its first transaction arrived (Fabric's BatchTimeout). */
  batchTimeoutMs?: number;
}

interface Pending {
  txId: string;
  mspId: string;
  certificate: string;
  timestamp: number;
  bytes: Buffer;
  record: EndorserRecord;
  settle(outcome: { code: string; block: number } | { error: Error }): void;
}

interface Endorsement {
  proposal: DecodedProposal;
  simulation: Simulation;
  payload: Buffer;
  message: string;
  event: { name: string; payload: Buffer } | undefined;
}

const GENESIS_PREVIOUS_HASH = Buffer.alloc(0);

export async function openEmbeddedLedger(options: EmbeddedLedgerOptions): Promise<EmbeddedLedger> {
  mkdirSync(options.dataDir, { recursive: true });
  const store = new LedgerStore(join(options.dataDir, 'ledger.sqlite'));
  try {
    const ledger = new EmbeddedLedger(store, await TrustStore.fromMembers(options.members), options);
    await ledger.configure(options.members);
    return ledger;
  } catch (error) {
    store.close();
    throw error;
  }
}

function unavailable(error: unknown): LedgerUnavailableError {
  return error instanceof LedgerUnavailableError
    ? error
    : new LedgerUnavailableError('the embedded ledger store is unavailable', { cause: error });
}

/** A chaincode error without the agreed `CODE: text` is a fault of the chaincode, not of the caller. */
function chaincodeFailure(message: string): Error {
  return ChaincodeError.fromMessage(message) ?? new Error(`chaincode failed: ${message}`);
}

export class EmbeddedLedger implements LedgerPort {
  readonly channelId: string;
  readonly chaincodeName: string;
  private readonly chaincode: Chaincode;
  private readonly lock = new CommitLock();
  private readonly maxBlockTransactions: number;
  private readonly batchTimeoutMs: number;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private commits: Promise<void> = Promise.resolve();
  private configUpdates: Promise<void> = Promise.resolve();
  private nextBlock = 0;
  private previousHash: Buffer = GENESIS_PREVIOUS_HASH;
  private closed = false;
  private readonly commitWaiters = new Set<() => void>();
  private readonly configListeners = new Set<ChannelConfigListener>();
  /** What checkAccess reads: committed records in memory, dropped inside the commit of each block that writes them. */
  private readonly records: CommittedRecords;

  /** Use openEmbeddedLedger. */
  constructor(
    private readonly store: LedgerStore,
    private membership: TrustStore,
    options: EmbeddedLedgerOptions,
  ) {
    this.channelId = options.channelId ?? 'medrec';
    this.chaincodeName = options.chaincodeName ?? 'medrec';
    this.chaincode = chaincodeFromContracts(options.contracts, options.serializers, this.chaincodeName);
    this.maxBlockTransactions = options.maxBlockTransactions ?? 500;
    this.batchTimeoutMs = options.batchTimeoutMs ?? 2;
    this.records = new CommittedRecords(store);
    const last = store.lastBlock();
    if (last) {
      this.nextBlock = last.number + 1;
      this.previousHash = last.headerHash;
    }
  }

  /** Writes the genesis block, or a configuration block when the channel's members changed. */
  async configure(members: ChannelMember[]): Promise<void> {
    const record: ConfigRecord = {
      type: 'config',
      channelId: this.channelId,
      chaincodeName: this.chaincodeName,
      members,
    };
    const current = this.currentConfig();
    if (current && (current.channelId !== this.channelId || current.chaincodeName !== this.chaincodeName)) {
      throw new Error(`the ledger holds channel ${current.channelId}/${current.chaincodeName}`);
    }
    // What the members mean — identity CAs, revoked serials, TLS roots — whatever the CRLs' bytes.
    const meaning = async (of: ChannelMember[]) =>
      JSON.stringify([(await TrustStore.fromMembers(of)).fingerprint, of.map((m) => [m.mspId, [...(m.tlsRootCertificates ?? [])].sort()]).sort()]);
    if (current && (await meaning(current.members)) === (await meaning(members))) return;
    await this.enqueueCommit(() => this.commitConfig(record));
    // Awaited: when a configuration update resolves, every listener (the gatekeepers' trust) has it.
    for (const listener of [...this.configListeners]) await listener(members.map((m) => ({ ...m })));
  }

  /** A channel configuration update: new CA certificates or revocation lists for an organisation. */
  async updateMember(member: ChannelMember): Promise<void> {
    this.assertOpen();
    // One update at a time: each starts from the configuration the previous one wrote.
    const update = this.configUpdates.then(async () => {
      const members = (this.currentConfig()?.members ?? []).filter((m) => m.mspId !== member.mspId);
      members.push(member);
      this.membership = await TrustStore.fromMembers(members);
      await this.configure(members);
    });
    this.configUpdates = update.catch(() => undefined);
    return update;
  }

  async channelMembers(): Promise<ChannelMember[]> {
    this.assertOpen();
    return (this.currentConfig()?.members ?? []).map((m) => ({ ...m }));
  }

  onChannelConfig(listener: ChannelConfigListener): () => void {
    this.configListeners.add(listener);
    return () => this.configListeners.delete(listener);
  }

  private currentConfig(): ConfigRecord | undefined {
    const number = this.store.lastConfigBlock();
    if (number === undefined) return undefined;
    const data = this.store.block(number)!.data;
    // A configuration block holds exactly one transaction.
    return JSON.parse(data.subarray(4).toString()) as ConfigRecord;
  }

  async submit(
    signer: Signer,
    contract: string,
    transaction: string,
    args: string[],
    options?: SubmitOptions,
  ): Promise<SubmitResult> {
    this.assertOpen();
    const endorsers = this.endorsers(options);
    const signed = buildSignedProposal(signer, this.channelId, this.chaincodeName, [
      `${contract}:${transaction}`,
      ...args,
    ]);
    const endorsement = await this.endorse(signed.signedProposalBytes);
    return this.orderAndWait(signed.txId, signer, signed.timestamp, this.record(signed.signedProposalBytes, endorsement, endorsers), endorsement);
  }

  /**
   * The offline-signing flow: the same proposal submit() builds, with the creator's signatures made
   * elsewhere. The endorser checks the proposal signature like any other; the orderer's check of the
   * envelope signature (Fabric's: by the creator, over the payload) is made before ordering, and the
   * envelope and its signature are kept with the block record.
   */
  async propose(creator: Creator, contract: string, transaction: string, args: string[], options?: SubmitOptions): Promise<OfflineProposal> {
    this.assertOpen();
    const endorsers = this.endorsers(options);
    const proposal = buildProposal(creator, this.channelId, this.chaincodeName, [`${contract}:${transaction}`, ...args]);
    const endorse = async (signature: Uint8Array): Promise<OfflineTransaction> => {
      const signedBytes = signedProposal(proposal.proposalBytes, signature);
      const endorsement = await this.endorse(signedBytes);
      const base = this.record(signedBytes, endorsement, endorsers);
      const prepared = preparedTransaction(proposal, {
        chaincodeName: this.chaincodeName,
        response: { status: 200, message: endorsement.message, payload: endorsement.payload },
        results: Buffer.from(JSON.stringify(base.rwset)),
        ...(endorsement.event ? { event: endorsement.event } : {}),
      });
      return {
        txId: proposal.txId,
        bytes: prepared.bytes,
        digest: sha256(prepared.payload),
        message: prepared.payload,
        result: endorsement.payload,
        submit: async (envelopeSignature: Uint8Array) => {
          this.assertOpen();
          const key = this.membership.check(creator.mspId, creator.certificate, new Date());
          if (!key.ok) throw new AccessDeniedError(`access denied: ${key.reason}`);
          if (!verifyLowS(prepared.payload, envelopeSignature, key.publicKey)) {
            throw new AccessDeniedError('access denied: the envelope signature does not match the creator certificate');
          }
          const envelope = { payload: Buffer.from(prepared.payload).toString('base64'), signature: Buffer.from(envelopeSignature).toString('base64') };
          return this.orderAndWait(proposal.txId, creator, proposal.timestamp, { ...base, envelope }, endorsement);
        },
      };
    };
    return {
      txId: proposal.txId,
      bytes: proposedTransaction(proposal, endorsers),
      digest: sha256(proposal.proposalBytes),
      message: proposal.proposalBytes,
      endorse,
      evaluate: async (signature) => (await this.endorse(signedProposal(proposal.proposalBytes, signature))).payload,
    };
  }

  private endorsers(options: SubmitOptions | undefined): string[] | undefined {
    const endorsers = options?.endorsingOrganizations;
    const unknown = endorsers?.filter((org) => !this.membership.mspIds.includes(org)) ?? [];
    if (unknown.length > 0) throw new Error(`no peers of ${unknown.join(', ')} on this channel`);
    return endorsers && [...endorsers];
  }

  private record(signedProposalBytes: Uint8Array, endorsement: Endorsement, endorsers: string[] | undefined): EndorserRecord {
    return {
      type: 'endorser',
      signedProposal: Buffer.from(signedProposalBytes).toString('base64'),
      ...(endorsers ? { endorsingOrganizations: endorsers } : {}),
      rwset: endorsement.simulation.readWriteSet(),
      response: { status: 200, message: endorsement.message, payload: endorsement.payload.toString('base64') },
      ...(endorsement.event
        ? { event: { name: endorsement.event.name, payload: endorsement.event.payload.toString('base64') } }
        : {}),
    };
  }

  private async orderAndWait(txId: string, creator: Creator, timestamp: Date, record: EndorserRecord, endorsement: Endorsement): Promise<SubmitResult> {
    const outcome = await new Promise<{ code: string; block: number }>((resolve, reject) => {
      this.order({
        txId,
        mspId: creator.mspId,
        certificate: creator.certificate,
        timestamp: timestamp.getTime(),
        bytes: encodeRecord(record),
        record,
        settle: (o) => ('error' in o ? reject(o.error) : resolve(o)),
      });
    });
    if (outcome.code !== 'VALID') throw new TransactionInvalidError(txId, outcome.code);
    return { txId, blockNumber: BigInt(outcome.block), result: endorsement.payload };
  }

  async evaluate(signer: Signer, contract: string, transaction: string, args: string[]): Promise<Uint8Array> {
    this.assertOpen();
    const signed = buildSignedProposal(signer, this.channelId, this.chaincodeName, [
      `${contract}:${transaction}`,
      ...args,
    ]);
    return (await this.endorse(signed.signedProposalBytes)).payload;
  }

  /**
   * The chaincode's decision in-process, on committed state (./access.ts): the caller's certificate
   * is checked against the channel's MSPs as a creator is; then, under the commit lock, the domain's
   * decideAccess reads the committed records. A block committed before this call began is seen whole.
   */
  async checkAccess(signer: Signer, question: AccessQuestion): Promise<Decision> {
    this.assertOpen();
    const at = new Date();
    const creator = this.membership.check(signer.mspId, signer.certificate, at);
    if (!creator.ok) throw new AccessDeniedError(`access denied: ${creator.reason}`);
    return this.lock.read(async () => {
      this.assertOpen();
      try {
        return await decideAs(this.records, signer, question, at);
      } catch (error) {
        throw error instanceof StoreFailure ? unavailable(error.cause) : error;
      }
    });
  }

  /** The peer's side of a proposal: check the creator and its signature, then simulate. */
  private async endorse(signedProposalBytes: Uint8Array): Promise<Endorsement> {
    const proposal = decodeSignedProposal(signedProposalBytes);
    const creator = this.membership.check(proposal.mspId, proposal.certificate, new Date());
    if (!creator.ok) throw new AccessDeniedError(`access denied: ${creator.reason}`);
    if (!verifyLowS(proposal.proposalBytes, proposal.signature, creator.publicKey)) {
      throw new AccessDeniedError('access denied: the proposal signature does not match the creator certificate');
    }
    return this.lock.read(async () => {
      this.assertOpen();
      const simulation = new Simulation(this.store);
      const stub = new ChaincodeStub(
        simulation,
        this.channelId,
        proposal.txId,
        proposal.input,
        proposal.signedProposal,
      ) as StubInstance;
      const response = await this.chaincode.Invoke(stub);
      if (simulation.storeFailed) throw unavailable(simulation.storeFailed);
      if (response.status >= 400) throw chaincodeFailure(response.message ?? '');
      const event = stub.chaincodeEvent && {
        name: stub.chaincodeEvent.getEventName(),
        payload: Buffer.from(stub.chaincodeEvent.getPayload_asU8()),
      };
      return {
        proposal,
        simulation,
        payload: Buffer.from(response.payload ?? []),
        message: response.message ?? '',
        event,
      };
    });
  }

  /** The block cutter: a block is cut when full or batchTimeoutMs after its first transaction. */
  private order(pending: Pending): void {
    if (this.closed) return pending.settle({ error: new LedgerUnavailableError('the embedded ledger is closed') });
    this.queue.push(pending);
    if (this.queue.length >= this.maxBlockTransactions) this.cut();
    else this.timer ??= setTimeout(() => this.cut(), this.batchTimeoutMs);
  }

  private cut(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBlockTransactions);
      void this.enqueueCommit(() => this.commitBlock(batch)).catch((error: unknown) => {
        for (const p of batch) p.settle({ error: unavailable(error) });
      });
    }
  }

  private enqueueCommit(commit: () => void): Promise<void> {
    const done = this.commits.then(() => this.lock.write(commit));
    this.commits = done.catch(() => undefined);
    return done;
  }

  private writeBlock(transactions: Buffer[], validation: string[], rows: TransactionRow[], state: BlockView | undefined, history: HistoryInsert[]): void {
    const number = this.nextBlock;
    const header = { number: BigInt(number), previousHash: this.previousHash, dataHash: dataHash(transactions) };
    const hash = headerHash(header);
    this.store.commit({
      block: { number, previousHash: header.previousHash, dataHash: header.dataHash, headerHash: hash, data: encodeBlockData(transactions), validation },
      transactions: rows,
      state: state ? [...state.updates.values()] : [],
      history,
    });
    // Still inside the commit (the lock is held): no decision can see this block half applied.
    if (state) this.records.invalidate(state.updates.keys());
    this.nextBlock = number + 1;
    this.previousHash = hash;
    for (const wake of [...this.commitWaiters]) wake();
  }

  private commitConfig(record: ConfigRecord): void {
    const bytes = encodeRecord(record);
    const txId = configTxId(this.nextBlock, bytes);
    const row: TransactionRow = {
      txId,
      block: this.nextBlock,
      txNum: 0,
      validationCode: 'VALID',
      creatorMspId: '',
      timestamp: Date.now(),
      eventName: null,
      eventPayload: null,
    };
    this.writeBlock([bytes], ['VALID'], [row], undefined, []);
  }

  /** The committer: validate each transaction in order against state plus the block's earlier writes. */
  private commitBlock(batch: Pending[]): void {
    const number = this.nextBlock;
    const view = new BlockView(this.store);
    const seen = new Set<string>();
    const rows: TransactionRow[] = [];
    const history: HistoryInsert[] = [];
    const codes = batch.map((p, txNum) => {
      let code: string;
      if (seen.has(p.txId) || this.store.transaction(p.txId)) code = 'DUPLICATE_TXID';
      else if (!this.membership.check(p.mspId, p.certificate, new Date()).ok) code = 'BAD_CREATOR_SIGNATURE';
      else code = view.validate(p.record);
      if (code !== 'DUPLICATE_TXID') {
        seen.add(p.txId);
        const valid = code === 'VALID';
        rows.push({
          txId: p.txId,
          block: number,
          txNum,
          validationCode: code,
          creatorMspId: p.mspId,
          timestamp: p.timestamp,
          eventName: valid ? (p.record.event?.name ?? null) : null,
          eventPayload: valid && p.record.event ? Buffer.from(p.record.event.payload, 'base64') : null,
        });
      }
      if (code === 'VALID') {
        const version = { block: number, txNum };
        const changed = view.apply(p.record, version);
        for (const { key, value } of changed) {
          history.push({ key, version, txId: p.txId, timestamp: p.timestamp, isDelete: value === null, value });
        }
      }
      return code;
    });
    this.writeBlock(
      batch.map((p) => p.bytes),
      codes,
      rows,
      view,
      history,
    );
    batch.forEach((p, i) => p.settle({ code: codes[i]!, block: number }));
  }

  async *events(options: EventOptions): AsyncIterable<ChaincodeEvent> {
    const { signal } = options;
    let block = Number(options.startBlock);
    let txNum = -1;
    while (!signal?.aborted) {
      if (this.closed) throw new LedgerUnavailableError('the embedded ledger is closed');
      let rows: TransactionRow[];
      try {
        rows = this.store.eventsAfter(block, txNum, 256);
      } catch (error) {
        throw unavailable(error);
      }
      if (rows.length === 0) {
        await this.nextCommit(signal);
        continue;
      }
      for (const row of rows) {
        if (signal?.aborted) return;
        block = row.block;
        txNum = row.txNum;
        yield {
          blockNumber: BigInt(row.block),
          txId: row.txId,
          eventName: row.eventName!,
          payload: new Uint8Array(row.eventPayload ?? []),
        };
      }
    }
  }

  private nextCommit(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.commitWaiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      this.commitWaiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  async height(): Promise<bigint> {
    this.assertOpen();
    return BigInt(this.nextBlock);
  }

  async getTransaction(txId: string): Promise<TransactionInfo | undefined> {
    this.assertOpen();
    let row: TransactionRow | undefined;
    try {
      row = this.store.transaction(txId);
    } catch (error) {
      throw unavailable(error);
    }
    return (
      row && {
        txId: row.txId,
        blockNumber: BigInt(row.block),
        validationCode: row.validationCode,
        creatorMspId: row.creatorMspId,
        timestamp: new Date(row.timestamp),
      }
    );
  }

  /** Recomputes the hash chain and replays every block against the stored state, history and index. */
  async verify(): Promise<VerifyReport> {
    this.assertOpen();
    return this.lock.read(async () => verifyLedger(this.store));
  }

  private assertOpen(): void {
    if (this.closed || !this.store.open) throw new LedgerUnavailableError('the embedded ledger is closed');
  }

  /** Commits what was already ordered, then closes the store; event streams end with LedgerUnavailableError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cut();
    await this.commits;
    this.store.close();
    for (const wake of [...this.commitWaiters]) wake();
  }
}
