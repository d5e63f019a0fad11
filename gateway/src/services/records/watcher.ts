import type { Database } from 'better-sqlite3';
import { LIMITS, type Category } from '@medrec/chaincode/domain';
import type { MedrecClient } from '../../contract/client.js';
import { Relationship } from '../../contract/medrec.js';
import { endorsedBy } from '../../contract/request.js';
import type { EhrStore } from '../../ports/ehr.js';
import type { Signer } from '../../ports/ledger.js';
import type { PatientLinks } from '../relationships/links.js';
import { migrate } from '../store/gateway-db.js';
import { hashResources, type RecordService } from './records.js';

export interface WatcherDeps {
  mspId: string;
  ehr: EhrStore;
  records: RecordService;
  links: PatientLinks;
  client: MedrecClient;
  /** The records service: a provider of this hospital, so it may move its relationships' pointers. */
  service: Signer;
  db: Database;
  /** The categories whose changes the mapping says how to detect. */
  categories: readonly string[];
  /** Pointer updates per transaction (at most the chaincode's batch limit). */
  batchSize?: number;
}

export interface WatchResult {
  /** Change rows read from the EHR. */
  changes: number;
  /** Charts with a relationship here whose categories were re-hashed. */
  rehashed: number;
  /** Pointers whose hash differed from the ledger's, and were written. */
  updated: number;
  /** Transactions submitted (0 when nothing changed). */
  transactions: number;
}

/** Relationship statuses whose pointers the chaincode lets the provider move. */
const MOVABLE = new Set(['new', 'update_available', 'accepted']);

/**
 * Pointers that follow the EHR. Each run reads, per followed category, the rows changed since the
 * last version seen (the mapping's change query), re-hashes only those patients' records in only
 * those categories, compares with the ledger's pointers, and writes the ones that differ in batches
 * (`Relationship.putPointers`, one transaction per batch, one notification per relationship). Data
 * that did not change — no change row, or a change that leaves the records' hash as it was — writes
 * no transaction and notifies nobody. The checkpoint moves only after every batch committed, so a
 * failed run is simply run again (a pointer already written compares equal then).
 */
export class PointerWatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<WatchResult> | undefined;
  private stopped = false;
  /** Completed runs, and listeners told after each (tests wait for the run after a change). */
  runs = 0;
  private readonly listeners = new Set<(result: WatchResult | Error) => void>();

  constructor(private readonly deps: WatcherDeps) {
    migrate(deps.db);
  }

  private since(category: string): number {
    const row = this.deps.db.prepare('SELECT version FROM change_checkpoints WHERE category = ?').get(category) as { version: number } | undefined;
    return row?.version ?? 0;
  }

  private saveCheckpoints(versions: Map<string, number>): void {
    const put = this.deps.db.prepare(
      'INSERT INTO change_checkpoints (category, version) VALUES (?, ?) ON CONFLICT (category) DO UPDATE SET version = excluded.version',
    );
    this.deps.db.transaction(() => {
      for (const [category, version] of versions) put.run(category, version);
    })();
  }

  /** One run; concurrent callers share the run in progress. */
  poll(): Promise<WatchResult> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<WatchResult> {
    const { ehr, records, links, client, service, mspId, categories } = this.deps;
    const changed = new Map<string, Set<string>>();
    const versions = new Map<string, number>();
    let changes = 0;
    for (const category of categories) {
      const since = this.since(category);
      let top = since;
      for (const change of await ehr.changes(category, since)) {
        changes++;
        top = Math.max(top, change.version);
        changed.set(change.patientKey, (changed.get(change.patientKey) ?? new Set()).add(category));
      }
      if (top > since) versions.set(category, top);
    }
    const relationships = links.relationshipsOf([...changed.keys()]);
    const items: { relationshipId: string; category: Category; sha256: string }[] = [];
    for (const [mrn, relationshipId] of relationships) {
      const view = await client.evaluate(service, Relationship.get(relationshipId));
      if (!MOVABLE.has(view.status)) continue;
      for (const category of changed.get(mrn)!) {
        const resources = await records.fetch(category, mrn);
        const current = view.pointers.find((p) => p.category === category);
        if (!current && resources.length === 0) continue;
        const sha256 = hashResources(resources);
        if (current?.hash !== sha256) items.push({ relationshipId, category: category as Category, sha256 });
      }
    }
    const size = Math.min(this.deps.batchSize ?? LIMITS.batchItems, LIMITS.batchItems);
    let transactions = 0;
    for (let start = 0; start < items.length; start += size) {
      await client.submit(service, endorsedBy(Relationship.putPointers(items.slice(start, start + size)), mspId));
      transactions++;
    }
    this.saveCheckpoints(versions);
    return { changes, rehashed: relationships.size, updated: items.length, transactions };
  }

  /** Polls every `intervalMs` (each run after the previous one ended) until stop(). */
  start(intervalMs: number, onError: (err: unknown) => void): void {
    this.stopped = false;
    const tick = async () => {
      try {
        this.told(await this.poll());
      } catch (err) {
        onError(err);
        this.told(err as Error);
      }
      if (!this.stopped) this.timer = setTimeout(tick, intervalMs);
    };
    this.timer = setTimeout(tick, intervalMs);
  }

  private told(result: WatchResult | Error): void {
    this.runs++;
    for (const listener of this.listeners) listener(result);
  }

  /** Calls `listener` after every completed run; returns the unsubscribe. */
  onRun(listener: (result: WatchResult | Error) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
