import type { Bundle, BundleEntry, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { Relationship } from '../../contract/medrec.js';
import type { AuditAnswer, AuditRecordView } from '../gatekeeper/audit-answer.js';
import { AUDIT_RELS_MAX } from '../gatekeeper/audit-claims.js';
import { fhirBase } from '../gatekeeper/answer.js';
import { inPool } from '../gatekeeper/pool.js';
import { queryAuditLog, type RequesterKeys } from '../gatekeeper/requester.js';
import { badRequest, forbidden, type Problem } from '../problem.js';
import { auditEvent } from './audit-event.js';
import type { Caller, FacadeDeps, FhirFacade } from './facade.js';
import { issue } from './outcome.js';
import { searchset } from './records-bundle.js';

/** `AuditEvent?…` as the facade reads it (the route parses the FHIR parameters into this). */
export interface AuditSearch {
  /** the patient (pid); a patient's must be their own; an auditor without one reads its own hospital's whole log */
  patientId: string | null;
  /** the requester's identity id (AuditEvent.agent.altId) */
  requester: string | null;
  since: string | null;
  until: string | null;
  /** only this hospital (MSP id) */
  site: string | null;
  count: number;
  /** where each gatekeeper's log continues (the `_cursor` of a next link) */
  cursor: Cursor;
}

/** Per gatekeeper origin: the `before` to continue from; 0 once that log is read to its start. */
export type Cursor = Record<string, number>;

interface Target {
  origin: string;
  rels: string[];
}

/**
 * `AuditEvent?patient=…` across hospitals: the access logs of every gatekeeper holding the patient's
 * relationships, each read with a signed audit query as the caller, merged newest first. Paging is a
 * k-way merge: each log is asked for one page below its cursor, the newest `count` records of all
 * are served, and the next cursor says where each log goes on.
 */
export async function searchAuditEvents(
  deps: FacadeDeps,
  facade: FhirFacade,
  keys: RequesterKeys,
  caller: Caller,
  q: AuditSearch,
  pageUrl: (cursor: Cursor | null) => string,
): Promise<Bundle> {
  const targets = await targetsOf(deps, facade, keys, caller, q);
  const issues: OperationOutcomeIssue[] = [];
  const pending = targets.filter((t) => q.cursor[t.origin] !== 0);
  const answers = await inPool(pending, 4, async (t) => {
    try {
      const spec = { rels: t.rels, requester: q.requester, since: q.since, until: q.until, before: q.cursor[t.origin] ?? null, limit: q.count };
      return { target: t, answer: await queryAuditLog(keys, new URL(t.origin), spec, deps.transport) };
    } catch (err) {
      const problem: Problem = deps.problemOf(err);
      if (problem.status >= 500) throw problem;
      issues.push(issue('warning', 'suppressed', problem.code, problem.message, `the access log at ${t.origin}`));
      return { target: t, answer: undefined };
    }
  });

  const all = answers.flatMap(({ target, answer }) => (answer ? answer.records.map((rec) => ({ origin: target.origin, answer, rec })) : []));
  all.sort((a, b) => (a.rec.at === b.rec.at ? (a.origin === b.origin ? b.rec.seq - a.rec.seq : a.origin < b.origin ? -1 : 1) : a.rec.at < b.rec.at ? 1 : -1));
  const page = all.slice(0, q.count);

  const next: Cursor = { ...q.cursor };
  let more = false;
  for (const { target, answer } of answers) {
    const taken = page.filter((p) => p.origin === target.origin);
    const left = (answer?.records.length ?? 0) > taken.length || (answer?.next ?? null) !== null;
    if (!answer || !left) next[target.origin] = 0;
    else {
      more = true;
      if (taken.length > 0) next[target.origin] = taken.at(-1)!.rec.seq;
    }
  }

  const matches: BundleEntry[] = page.map(({ answer, rec }) => entryOf(answer, rec));
  const first = Object.keys(q.cursor).length === 0;
  return searchset(matches, { self: pageUrl(first ? null : q.cursor), ...(more ? { next: pageUrl(next) } : first ? { total: matches.length } : {}) }, issues);
}

function entryOf(answer: AuditAnswer, rec: AuditRecordView): BundleEntry {
  const event = auditEvent(rec, { mspId: answer.mspId, gatekeeper: answer.gatekeeper });
  return { fullUrl: `${fhirBase(answer.gatekeeper)}/AuditEvent/${event.id}`, resource: event, search: { mode: 'match' } };
}

/** Which gatekeepers to ask, with the relationships to name at each. */
async function targetsOf(deps: FacadeDeps, facade: FhirFacade, keys: RequesterKeys, caller: Caller, q: AuditSearch): Promise<Target[]> {
  if (caller.role === 'patient' && q.patientId !== caller.participantId) {
    throw forbidden('NOT_THE_PATIENT', 'a patient reads the access log of their own records only');
  }
  if (q.patientId === null) {
    // An auditor without a patient: its own hospital's whole log (another hospital's: through that hospital's gatekeeper).
    const own = new URL(deps.publicUrl()).origin;
    if (q.site !== null && q.site !== caller.mspId) {
      throw badRequest('PATIENT_REQUIRED', "another hospital's log is searched by patient here, or by a signed query to its /gatekeeper/audit");
    }
    return [{ origin: own, rels: [] }];
  }
  const entries = (await facade.relationshipsOf(keys, caller, q.patientId)).filter(
    (e) => e.role === 'patient' && (q.site === null || e.providerMspId === q.site),
  );
  const views = await inPool(entries, 4, (e) => deps.client.evaluate(keys.ledger, Relationship.get(e.relationshipId)));
  const byOrigin = new Map<string, string[]>();
  for (const view of views) {
    const origin = new URL(view.endpoint).origin;
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), view.relationshipId]);
  }
  for (const [origin, rels] of byOrigin) {
    if (rels.length > AUDIT_RELS_MAX) throw badRequest('TOO_MANY_RELATIONSHIPS', `more than ${AUDIT_RELS_MAX} relationships at ${origin}`);
  }
  return [...byOrigin].map(([origin, rels]) => ({ origin, rels }));
}

const DAY_MS = 86_400_000;

/**
 * FHIR `date` parameters (ge, gt, le, lt; a date or a UTC instant) as the audit query's bounds:
 * since (inclusive) and until (exclusive), in milliseconds, the log's own precision. The tightest wins.
 */
export function dateBounds(params: readonly string[]): { since: string | null; until: string | null } {
  let since: number | null = null;
  let until: number | null = null;
  for (const param of params) {
    const prefix = param.slice(0, 2);
    const value = param.slice(2);
    const start = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(start)) throw badRequest('INVALID_DATE', `${param} is not a date`);
    // The value as a range: a day, or the one millisecond of an instant.
    const end = start + (value.length === 10 ? DAY_MS : 1);
    if (prefix === 'ge' || prefix === 'gt') {
      const bound = prefix === 'ge' ? start : end;
      since = since === null ? bound : Math.max(since, bound);
    } else {
      const bound = prefix === 'lt' ? start : end;
      until = until === null ? bound : Math.min(until, bound);
    }
  }
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return { since: iso(since), until: iso(until) };
}

const MAX_CURSOR_ORIGINS = 32;

/** The opaque `_cursor` of a next link: base64url JSON of {origin: before}. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

export function decodeCursor(text: string | undefined): Cursor {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const entries = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.entries(parsed) : undefined;
  if (!entries || entries.length > MAX_CURSOR_ORIGINS || !entries.every(([k, v]) => /^https?:\/\/[^/]+$/.test(k) && Number.isSafeInteger(v) && (v as number) >= 0)) {
    throw badRequest('INVALID_CURSOR', "the _cursor is not one of this facade's next links");
  }
  return Object.fromEntries(entries) as Cursor;
}
