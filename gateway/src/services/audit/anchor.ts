import type { MedrecClient } from '../../contract/client.js';
import { Audit } from '../../contract/medrec.js';
import { endorsedBy } from '../../contract/request.js';
import { ChaincodeError, type Signer } from '../../ports/ledger.js';
import type { AuditLog, ChainHead } from './log.js';

export interface AnchorOptions {
  log: AuditLog;
  client: MedrecClient;
  /** The hospital's records-service identity (role provider): the chaincode accepts anchors from it. */
  signer: Signer;
  /** Anchor as soon as this many records are unanchored. */
  everyRecords?: number;
  /** And at least this often while anything is unanchored. */
  intervalMs?: number;
  /** First retry delay after a failed anchor; doubles up to intervalMs. */
  retryMs?: number;
  /** Told about failures (no PHI: sequence numbers and the error message only). */
  onError?: (err: unknown, range: { fromSeq: number; toSeq: number }) => void;
}

export interface Anchor {
  fromSeq: number;
  toSeq: number;
  headHash: string;
}

/**
 * Periodically writes `Audit.anchor(fromSeq, toSeq, headHash)` so the ledger holds the log's head:
 * an edited, dropped or truncated record no longer matches. Anchoring runs beside serving; a failure
 * never blocks an answer and is retried with backoff. The last anchored seq is taken from the ledger
 * at start, so a restart neither repeats nor skips a range.
 */
export class AuditAnchorer {
  private anchoredTo = 0;
  private inFlight: Promise<Anchor | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private readonly every: number;
  private readonly intervalMs: number;
  private readonly retryMs: number;

  constructor(private readonly opts: AnchorOptions) {
    this.every = opts.everyRecords ?? 100;
    this.intervalMs = opts.intervalMs ?? 30_000;
    this.retryMs = opts.retryMs ?? 1_000;
    opts.log.onAppend((head) => this.onAppend(head));
  }

  /** Learns the last anchor from the ledger (if reachable) and starts the periodic timer. */
  async start(): Promise<void> {
    try {
      await this.resync();
    } catch (err) {
      this.opts.onError?.(err, { fromSeq: 0, toSeq: 0 });
    }
    this.timer = setInterval(() => void this.anchorNow(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
  }

  lastAnchoredSeq(): number {
    return this.anchoredTo;
  }

  /** Anchors everything appended so far; resolves with the anchor, or undefined if nothing to do or it failed. */
  anchorNow(): Promise<Anchor | undefined> {
    this.inFlight ??= this.anchorOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private onAppend(head: ChainHead): void {
    if (!this.stopped && head.seq - this.anchoredTo >= this.every && this.retryTimer === undefined) {
      void this.anchorNow();
    }
  }

  private async anchorOnce(): Promise<Anchor | undefined> {
    const head = this.opts.log.currentHead();
    if (this.stopped || head.seq <= this.anchoredTo) return undefined;
    const anchor: Anchor = { fromSeq: this.anchoredTo + 1, toSeq: head.seq, headHash: head.hash };
    try {
      await this.opts.client.submit(
        this.opts.signer,
        endorsedBy(Audit.anchor(anchor.fromSeq, anchor.toSeq, anchor.headHash), this.opts.signer.mspId),
      );
    } catch (err) {
      this.failures++;
      this.opts.onError?.(err, anchor);
      // Someone (an earlier run that could not read the ledger at start) anchored further: catch up.
      if (err instanceof ChaincodeError && err.code === 'CONFLICT') await this.resync().catch(() => undefined);
      this.scheduleRetry();
      return undefined;
    }
    this.failures = 0;
    this.anchoredTo = anchor.toSeq;
    return anchor;
  }

  private async resync(): Promise<void> {
    const anchors = await listAnchors(this.opts.client, this.opts.signer, this.opts.signer.mspId);
    this.anchoredTo = anchors.reduce((max, a) => Math.max(max, a.toSeq), 0);
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    const delay = Math.min(this.retryMs * 2 ** (this.failures - 1), this.intervalMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.anchorNow();
    }, delay);
    this.retryTimer.unref();
  }
}

/** The anchors of one MSP's gatekeeper, in order, as the ledger holds them. */
export async function listAnchors(client: MedrecClient, signer: Signer, mspId: string): Promise<Anchor[]> {
  const raw = await client.evaluate(signer, Audit.list(mspId));
  return raw.map((a) => ({
    fromSeq: Number(a['fromSeq']),
    toSeq: Number(a['toSeq']),
    headHash: String(a['headHash']),
  }));
}
