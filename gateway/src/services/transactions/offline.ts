/**
 * Transactions signed on the person's device (docs/device-keys.md §5): the gateway prepares each
 * message, the device signs it, and the gateway checks every signature itself — DER, low S, by the
 * session certificate's key, over the digest it handed out — before the ledger sees it. Pending
 * transactions live in memory, per session, for a few minutes; they hold bytes and a certificate,
 * never a key.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { checkSignature } from '../../pki/ecdsa.js';
import {
  LedgerUnavailableError,
  TransactionOutcomeUnknownError,
  type Creator,
  type LedgerPort,
  type OfflineProposal,
  type OfflineTransaction,
  type SubmitOptions,
} from '../../ports/ledger.js';
import { Problem, badRequest, conflict, forbidden, notFound } from '../problem.js';

/** What a person's device may submit: its consent decisions (issue 10, item 2), research consents included (issue 12). */
export const DEVICE_SUBMITS: readonly string[] = [
  'Relationship:accept',
  'Relationship:reject',
  'Relationship:remove',
  'Relationship:grant',
  'Relationship:revoke',
  'Summary:acknowledge',
  'Research:consentBatch',
];
/** What it may evaluate with its own signature: its own views. */
export const DEVICE_EVALUATES: readonly string[] = ['Summary:mine', 'Relationship:get', 'Relationship:history', 'Registrar:whoami', 'Research:consents'];

type Step = 'proposed' | 'endorsing' | 'endorsed' | 'submitting';

interface Pending {
  owner: string;
  key: KeyObject;
  name: string;
  step: Step;
  proposal: OfflineProposal;
  transaction?: OfflineTransaction;
  expiresAt: number;
}

export interface OfflineOptions {
  /** How long a prepared transaction waits for its next signature. */
  ttlMs?: number;
  /** Most transactions one session may have pending (memory bound). */
  maxPerOwner?: number;
  now?: () => number;
}

export type SubmitOutcome = { txId: string; status: string; blockNumber: string } | { txId: string; status: 'UNKNOWN' };

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** The problem for a signature that is not the creator's over `message`, or undefined when it is. */
export function signatureProblem(message: Uint8Array, signature: Uint8Array, key: KeyObject): Problem | undefined {
  switch (checkSignature(message, signature, key)) {
    case 'valid':
      return undefined;
    case 'malformed':
      return badRequest('SIGNATURE_MALFORMED', 'the signature is not a DER ECDSA signature');
    case 'high-s':
      return badRequest('SIGNATURE_HIGH_S', 'the signature has a high S value; Fabric accepts low-S signatures only');
    case 'invalid':
      return forbidden('SIGNATURE_INVALID', "the signature is not by your certificate's key over the digest handed out");
  }
}

export class OfflineTransactions {
  private readonly pending = new Map<string, Pending>();
  /** Endpoints of relationships the ledger answered to a session's device-signed Relationship.get (for the relay). */
  private readonly endpoints = new Map<string, { endpoint: string; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly maxPerOwner: number;
  private readonly now: () => number;

  constructor(
    private readonly ledger: LedgerPort,
    options: OfflineOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.maxPerOwner = options.maxPerOwner ?? 16;
    this.now = options.now ?? Date.now;
  }

  /** Step 1: the proposal for `creator` to sign. `owner` is the session; no other may continue it. */
  async prepare(owner: string, creator: Creator, contract: string, transaction: string, args: string[], options: SubmitOptions = {}) {
    const name = `${contract}:${transaction}`;
    if (!DEVICE_SUBMITS.includes(name) && !DEVICE_EVALUATES.includes(name)) {
      throw badRequest('TX_NOT_ALLOWED', `a device may submit ${DEVICE_SUBMITS.join(', ')} and evaluate ${DEVICE_EVALUATES.join(', ')}`);
    }
    this.sweep();
    if ([...this.pending.values()].filter((p) => p.owner === owner).length >= this.maxPerOwner) {
      throw new Problem(429, 'TX_TOO_MANY', `at most ${this.maxPerOwner} transactions may wait for a signature per session`);
    }
    const proposal = await this.ledger.propose(creator, contract, transaction, args, options);
    const key = new X509Certificate(creator.certificate).publicKey;
    this.pending.set(proposal.txId, { owner, key, name, step: 'proposed', proposal, expiresAt: this.now() + this.ttlMs });
    return { txId: proposal.txId, proposal: b64(proposal.bytes), digest: b64(proposal.digest) };
  }

  /** Step 2: endorse with the proposal signature; answers the envelope to sign. */
  async endorse(owner: string, txId: string, signature: Uint8Array) {
    const entry = this.take(owner, txId, 'proposed', 'endorsing');
    if (!DEVICE_SUBMITS.includes(entry.name)) {
      entry.step = 'proposed';
      throw conflict('TX_STEP', `${entry.name} is a read: evaluate it`);
    }
    this.verify(entry, entry.proposal.message, signature, 'proposed');
    try {
      entry.transaction = await entry.proposal.endorse(signature);
    } catch (error) {
      this.settle(entry, txId, error, 'proposed');
      throw error;
    }
    entry.step = 'endorsed';
    entry.expiresAt = this.now() + this.ttlMs;
    return { transaction: b64(entry.transaction.bytes), digest: b64(entry.transaction.digest) };
  }

  /** Step 3: order the signed envelope and wait for its commit (status read with the gateway's identity). */
  async submit(owner: string, txId: string, signature: Uint8Array): Promise<SubmitOutcome> {
    const entry = this.take(owner, txId, 'endorsed', 'submitting');
    const transaction = entry.transaction!;
    this.verify(entry, transaction.message, signature, 'endorsed');
    this.pending.delete(txId);
    try {
      const result = await transaction.submit(signature);
      return { txId, status: 'VALID', blockNumber: result.blockNumber.toString() };
    } catch (error) {
      if (error instanceof TransactionOutcomeUnknownError) return { txId, status: 'UNKNOWN' };
      throw error;
    }
  }

  /** A read: the signed proposal evaluated on committed state. */
  async evaluate(owner: string, txId: string, signature: Uint8Array): Promise<Uint8Array> {
    const entry = this.take(owner, txId, 'proposed', 'endorsing');
    this.verify(entry, entry.proposal.message, signature, 'proposed');
    this.pending.delete(txId);
    const result = await entry.proposal.evaluate(signature);
    if (entry.name === 'Relationship:get') this.remember(owner, result);
    return result;
  }

  /** The endpoint the ledger gave this session for a relationship, while the session's reads are fresh. */
  endpointSeen(owner: string, relationshipId: string): string | undefined {
    const seen = this.endpoints.get(`${owner}\u0000${relationshipId}`);
    return seen && seen.expiresAt > this.now() ? seen.endpoint : undefined;
  }

  private remember(owner: string, result: Uint8Array): void {
    try {
      const view = JSON.parse(Buffer.from(result).toString('utf8')) as { relationshipId?: unknown; endpoint?: unknown };
      if (typeof view.relationshipId !== 'string' || typeof view.endpoint !== 'string') return;
      if (this.endpoints.size >= 10_000) this.endpoints.clear();
      this.endpoints.set(`${owner}\u0000${view.relationshipId}`, { endpoint: view.endpoint, expiresAt: this.now() + this.ttlMs });
    } catch {
      // not a view: nothing to remember
    }
  }

  get size(): number {
    return this.pending.size;
  }

  private take(owner: string, txId: string, from: Step, to: Step): Pending {
    this.sweep();
    const entry = this.pending.get(txId);
    if (!entry || entry.owner !== owner) throw notFound('TX_UNKNOWN', 'no such pending transaction in this session (unknown, expired or done)');
    if (entry.step !== from) throw conflict('TX_STEP', `the transaction is ${entry.step}; this step is out of order or repeated`);
    entry.step = to;
    return entry;
  }

  private verify(entry: Pending, message: Uint8Array, signature: Uint8Array, back: Step): void {
    const problem = signatureProblem(message, signature, entry.key);
    if (problem) {
      entry.step = back;
      throw problem;
    }
  }

  /** After a failed step: a ledger that could not be reached leaves the step to retry; a refusal ends the transaction. */
  private settle(entry: Pending, txId: string, error: unknown, back: Step): void {
    if (error instanceof LedgerUnavailableError) entry.step = back;
    else this.pending.delete(txId);
  }

  private sweep(): void {
    const now = this.now();
    for (const [txId, entry] of this.pending) if (entry.expiresAt <= now && entry.step !== 'endorsing' && entry.step !== 'submitting') this.pending.delete(txId);
  }
}
