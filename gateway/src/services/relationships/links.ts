import type { Database, Statement } from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import { migrate } from '../store/gateway-db.js';

const CACHED_LINKS = 100_000;

/**
 * Which local patient (MRN in this hospital's EHR) a ledger participant is. Set when a provider of
 * this hospital creates a relationship; kept in gateway.db only, never on the ledger.
 * Every gatekeeper answer looks a patient up, so links (and their absence) are kept in memory (LRU):
 * this class is the only writer of its table, and `set` updates the memory with what it wrote.
 */
export class PatientLinks {
  private readonly lookup: Statement<[string], { mrn: string }>;
  private readonly cache = new LRUCache<string, { mrn: string | undefined }>({ max: CACHED_LINKS });

  constructor(private readonly db: Database) {
    migrate(db);
    this.lookup = db.prepare('SELECT mrn FROM patient_links WHERE participant_id = ?');
  }

  get(participantId: string): string | undefined {
    const hit = this.cache.get(participantId);
    if (hit) return hit.mrn;
    const mrn = this.read(participantId);
    this.cache.set(participantId, { mrn });
    return mrn;
  }

  /**
   * Links pid ↔ MRN, one to one: a pid already linked to another chart, or a chart already linked to
   * another pid, is refused (returns false), never re-pointed. Linking the same pair again is a no-op.
   * One statement, so concurrent links cannot both win (the table's keys decide).
   */
  set(participantId: string, mrn: string, linkedBy: string): boolean {
    this.db
      .prepare('INSERT OR IGNORE INTO patient_links (participant_id, mrn, linked_by, linked_at) VALUES (?, ?, ?, ?)')
      .run(participantId, mrn, linkedBy, new Date().toISOString());
    const linked = this.read(participantId);
    this.cache.set(participantId, { mrn: linked });
    return linked === mrn;
  }

  /** The participant a chart (MRN) is linked to: for a delegate, the one a registrar bound to it. */
  participantOf(mrn: string): string | undefined {
    return this.db.prepare<[string], { participant_id: string }>('SELECT participant_id FROM patient_links WHERE mrn = ?').get(mrn)?.participant_id;
  }

  /** Whether a chart (MRN) is linked to a participant already. */
  chartLinked(mrn: string): boolean {
    return this.participantOf(mrn) !== undefined;
  }

  private read(participantId: string): string | undefined {
    return this.lookup.get(participantId)?.mrn;
  }

  /** Remembers the relationship opened for a linked participant (the pointer watcher updates it). */
  setRelationship(participantId: string, relationshipId: string): void {
    this.db.prepare('UPDATE patient_links SET relationship_id = ? WHERE participant_id = ?').run(relationshipId, participantId);
  }

  /** The relationships of these charts (MRNs) here, where one was opened: mrn → relationship id. */
  relationshipsOf(mrns: readonly string[]): Map<string, string> {
    const found = new Map<string, string>();
    const statement = this.db.prepare<[string], { relationship_id: string | null }>('SELECT relationship_id FROM patient_links WHERE mrn = ?');
    for (const mrn of mrns) {
      const id = statement.get(mrn)?.relationship_id;
      if (id) found.set(mrn, id);
    }
    return found;
  }
}
