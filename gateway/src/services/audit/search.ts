/**
 * How the gatekeeper's audit log is searched (POST /gatekeeper/audit): by relationship, requester and
 * period, newest first, a page at a time with a sequence cursor. Pure: builds the statement only.
 */
export interface AuditFilter {
  /** only these relationships; null = any */
  rels: readonly string[] | null;
  requester: string | null;
  /** ISO instants: at ≥ since, at < until */
  since: string | null;
  until: string | null;
  /** only records with seq < before (the next page's cursor) */
  before: number | null;
  limit: number;
}

export function auditSearchSql(f: AuditFilter): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (f.rels !== null) {
    where.push(f.rels.length === 0 ? '0' : `relationship_id IN (${f.rels.map(() => '?').join(', ')})`);
    params.push(...f.rels);
  }
  if (f.requester !== null) {
    where.push('requester = ?');
    params.push(f.requester);
  }
  // `at` is stored as Date#toISOString (milliseconds, Z): bounds in the same form compare as text.
  if (f.since !== null) {
    where.push('at >= ?');
    params.push(new Date(f.since).toISOString());
  }
  if (f.until !== null) {
    where.push('at < ?');
    params.push(new Date(f.until).toISOString());
  }
  if (f.before !== null) {
    where.push('seq < ?');
    params.push(f.before);
  }
  params.push(f.limit);
  return { sql: `SELECT * FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`, params };
}
