import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { RelationshipFetch } from '../gatekeeper/requester.js';
import type { Problem } from '../problem.js';
import { issue } from './outcome.js';

/**
 * One searchset Bundle from the answers of several gatekeepers: every resource as its gatekeeper
 * served it (a viewer's subset stays tagged SUBSETTED, ids are not rewritten: the pointer hash covers
 * them), each entry's fullUrl the originating gatekeeper's, so the same id from two hospitals stays two
 * resources. What could not be answered or checked is said in one OperationOutcome entry (search mode
 * `outcome`). An outage anywhere (a 5xx) is thrown instead: no partial data as if it were whole.
 */
export function recordsBundle(fetched: readonly RelationshipFetch[], options: { selfUrl: string; problemOf: (err: unknown) => Problem }): Bundle {
  const matches: BundleEntry[] = [];
  const issues: OperationOutcomeIssue[] = [];
  const refused = (err: unknown, what: string) => {
    const problem = options.problemOf(err);
    if (problem.status >= 500) throw problem;
    issues.push(issue('warning', problem.status === 404 ? 'not-found' : 'suppressed', problem.code, problem.message, what));
  };
  for (const rel of fetched) {
    if (rel.error !== undefined) refused(rel.error, `relationship ${rel.relationshipId}`);
    for (const answer of rel.answers) {
      const what = `${answer.category} of relationship ${rel.relationshipId}`;
      if ('error' in answer) {
        refused(answer.error, what);
        continue;
      }
      const { result } = answer;
      for (const entry of result.bundle.entry) {
        matches.push({ ...(entry.fullUrl ? { fullUrl: entry.fullUrl } : {}), resource: entry.resource as Resource, search: { mode: 'match' } });
      }
      if (!result.hashMatches) {
        issues.push(issue('warning', 'processing', 'SOURCE_HASH_MISMATCH', "the gatekeeper's records differ from the ledger pointer", `${what} at ${result.gatekeeper}`));
      }
      if (result.check.matches === false) {
        issues.push(issue('warning', 'processing', 'LEDGER_HASH_MISMATCH', 'the records received do not hash to the pointer in your ledger view', `${what} at ${result.gatekeeper}`));
      }
    }
  }
  return searchset(matches, { self: options.selfUrl, total: matches.length }, issues);
}

/**
 * A searchset Bundle: the matches, its links, `total` when it is known, and an OperationOutcome entry
 * when there is something to say; no `entry` at all when there is nothing (R4 allows no empty arrays).
 */
export function searchset(
  matches: readonly BundleEntry[],
  page: { self: string; next?: string; total?: number },
  issues: readonly OperationOutcomeIssue[] = [],
): Bundle {
  const id = randomUUID();
  const entry: BundleEntry[] = [
    ...matches,
    ...(issues.length > 0
      ? [{ fullUrl: `urn:uuid:${id}`, resource: { resourceType: 'OperationOutcome' as const, id, issue: [...issues] }, search: { mode: 'outcome' as const } }]
      : []),
  ];
  return {
    resourceType: 'Bundle',
    meta: { lastUpdated: new Date().toISOString() },
    type: 'searchset',
    ...(page.total === undefined ? {} : { total: page.total }),
    link: [{ relation: 'self', url: page.self }, ...(page.next ? [{ relation: 'next', url: page.next }] : [])],
    ...(entry.length > 0 ? { entry } : {}),
  };
}
