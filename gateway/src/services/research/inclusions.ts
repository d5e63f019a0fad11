import type { Database, Statement } from 'better-sqlite3';
import type { QueryKind } from '@medrec/chaincode/domain';
import { migrate } from '../store/gateway-db.js';

export interface Inclusion {
  queryId: string;
  kind: QueryKind;
  releasedAt: string;
}

/**
 * Which released research answers included which of this hospital's patients (by the participant id
 * of their relationship here). Kept in gateway.db only — on the ledger it would tie patients to
 * studies — and read back only by the patient, with a request signed by their own key.
 */
export class InclusionStore {
  private readonly insert: Statement<[string, string, QueryKind, string]>;
  private readonly select: Statement<[string], { queryId: string; kind: QueryKind; releasedAt: string }>;

  constructor(private readonly db: Database) {
    migrate(db);
    this.insert = db.prepare('INSERT OR IGNORE INTO research_inclusions (participant_id, query_id, kind, released_at) VALUES (?, ?, ?, ?)');
    this.select = db.prepare(
      'SELECT query_id AS queryId, kind, released_at AS releasedAt FROM research_inclusions WHERE participant_id = ? ORDER BY released_at, query_id',
    );
  }

  record(queryId: string, kind: QueryKind, participantIds: Iterable<string>, releasedAt: string): void {
    this.db.transaction(() => {
      for (const pid of participantIds) this.insert.run(pid, queryId, kind, releasedAt);
    })();
  }

  of(participantId: string): Inclusion[] {
    return this.select.all(participantId);
  }
}
