import type { Database, Statement } from 'better-sqlite3';
import { migrate } from '../store/gateway-db.js';

/**
 * Which local patient (MRN in this hospital's EHR) a ledger participant is. Set when a provider of
 * this hospital creates a relationship; kept in gateway.db only, never on the ledger.
 */
export class PatientLinks {
  private readonly lookup: Statement<[string], { mrn: string }>;

  constructor(private readonly db: Database) {
    migrate(db);
    // Prepared once: every gatekeeper answer looks a patient up, and preparing costs more than the read.
    this.lookup = db.prepare('SELECT mrn FROM patient_links WHERE participant_id = ?');
  }

  get(participantId: string): string | undefined {
    return this.lookup.get(participantId)?.mrn;
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
    return this.get(participantId) === mrn;
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
