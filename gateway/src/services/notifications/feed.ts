import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import type { ChaincodeEvent, LedgerPort } from '../../ports/ledger.js';
import type { Notification, NotificationStore } from './store.js';

interface EventPayload {
  notifications?: { participantId?: unknown; relationshipId?: unknown; status?: unknown; category?: unknown }[];
}

const MAX_RETRY_MS = 30_000;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length <= 128 ? v : undefined);

/** The notifications an event carries for the participants this hospital keeps (pure). */
export function notificationsOf(event: ChaincodeEvent, isLocal: (pid: string) => boolean) {
  let payload: EventPayload;
  try {
    payload = JSON.parse(Buffer.from(event.payload).toString('utf8')) as EventPayload;
  } catch {
    return [];
  }
  return (payload.notifications ?? []).flatMap((n) => {
    const participantId = str(n.participantId);
    if (!participantId || !isLocal(participantId)) return [];
    const relationshipId = str(n.relationshipId);
    const status = str(n.status);
    const category = str(n.category);
    return [
      {
        participantId,
        ...(relationshipId ? { relationshipId } : {}),
        ...(status ? { status } : {}),
        ...(category ? { category } : {}),
      },
    ];
  });
}

/**
 * Follows the ledger's chaincode events from the stored checkpoint, keeps the notifications of local
 * participants and tells live subscribers. Survives ledger outages by re-subscribing from the checkpoint.
 */
export class NotificationFeed {
  private readonly emitter = new EventEmitter();
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly ledger: LedgerPort,
    private readonly store: NotificationStore,
    private readonly isLocal: (pid: string) => boolean,
    private readonly log: FastifyBaseLogger,
    private readonly retryMs = 1000,
  ) {
    this.emitter.setMaxListeners(0);
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  subscribe(participantId: string, listener: (n: Notification) => void): () => void {
    this.emitter.on(participantId, listener);
    return () => this.emitter.off(participantId, listener);
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        for await (const event of this.ledger.events({ startBlock: this.store.checkpoint(), signal })) {
          failures = 0;
          const rows = this.store.record(event.blockNumber, event.txId, event.eventName, notificationsOf(event, this.isLocal));
          for (const row of rows) this.emitter.emit(row.participantId, row);
          if (signal.aborted) return;
        }
      } catch (err) {
        if (signal.aborted) return;
        // One warning per outage, not one per retry.
        if (failures === 0) this.log.warn({ err: (err as Error).message }, 'chaincode event feed interrupted; retrying');
        failures++;
      }
      const delay = Math.min(this.retryMs * 2 ** Math.min(failures, 5), MAX_RETRY_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }
}
