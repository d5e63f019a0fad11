import { badRequest } from '../problem.js';
import { checkEnvelope, type Envelope } from './claims.js';
import type { TokenKind } from './signed-request.js';

/** `typ` of a signed audit query: no data request (or login) passes for one, nor the other way round. */
export const AUDIT_QUERY_TYP = 'medrec-audit+jws';

/** The most records one answer carries, and relationships one query names. */
export const AUDIT_PAGE_MAX = 100;
export const AUDIT_RELS_MAX = 64;

/**
 * A signed query of one gatekeeper's access log (POST /gatekeeper/audit). Every claim is present;
 * null means "no filter". Newest first: `before` is the paging cursor (records with a lower seq).
 */
export interface AuditQueryClaims extends Envelope {
  /** relationship ids: a patient must name theirs (each is checked on the ledger); [] = any (auditors) */
  rels: string[];
  /** only records of this requester (identity id) */
  requester: string | null;
  /** ISO instants: `at` ≥ since, `at` < until */
  since: string | null;
  until: string | null;
  before: number | null;
  /** 1..AUDIT_PAGE_MAX */
  limit: number;
}

const CLAIM_NAMES = ['rels', 'requester', 'since', 'until', 'before', 'limit', 'aud', 'iat', 'exp', 'jti'];
const HEX64 = /^[0-9a-f]{64}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

const invalid = (detail: string) => badRequest('INVALID_CLAIMS', detail);
const nullable = (v: unknown, ok: (v: unknown) => boolean) => v === null || ok(v);

/** Exact shape first, then the values, then the envelope (audience, lifetime, time). Pure. */
export function parseAuditClaims(payload: unknown, audience: string, nowSeconds: number): AuditQueryClaims {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw invalid('the query payload must be a JSON object');
  const p = payload as Record<string, unknown>;
  const names = Object.keys(p);
  if (names.length !== CLAIM_NAMES.length || !names.every((n) => CLAIM_NAMES.includes(n))) {
    throw invalid(`an audit query carries exactly ${CLAIM_NAMES.join(', ')}`);
  }
  const { rels, requester, since, until, before, limit, aud, iat, exp, jti } = p;
  if (typeof aud !== 'string' || typeof jti !== 'string' || !Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) {
    throw invalid('aud and jti must be strings, iat and exp integer seconds');
  }
  if (!Array.isArray(rels) || rels.length > AUDIT_RELS_MAX || !rels.every((r) => typeof r === 'string' && HEX64.test(r))) {
    throw badRequest('INVALID_RELATIONSHIP_ID', `rels must be at most ${AUDIT_RELS_MAX} relationship ids (64 lowercase hex)`);
  }
  if (new Set(rels).size !== rels.length) throw invalid('rels names a relationship twice');
  if (!nullable(requester, (v) => typeof v === 'string' && HEX64.test(v))) throw invalid('requester must be an identity id or null');
  const instant = (v: unknown) => typeof v === 'string' && INSTANT.test(v) && !Number.isNaN(Date.parse(v));
  if (!nullable(since, instant) || !nullable(until, instant)) throw invalid('since and until must be UTC instants or null');
  if (!nullable(before, (v) => Number.isSafeInteger(v) && (v as number) > 0)) throw invalid('before must be a positive sequence number or null');
  if (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > AUDIT_PAGE_MAX) {
    throw invalid(`limit must be 1-${AUDIT_PAGE_MAX}`);
  }
  return {
    rels: rels as string[],
    requester: requester as string | null,
    since: since as string | null,
    until: until as string | null,
    before: before as number | null,
    limit: limit as number,
    ...checkEnvelope({ aud, iat: iat as number, exp: exp as number, jti }, audience, nowSeconds),
  };
}

export const AUDIT_QUERY: TokenKind<AuditQueryClaims> = { typ: AUDIT_QUERY_TYP, parse: parseAuditClaims };
