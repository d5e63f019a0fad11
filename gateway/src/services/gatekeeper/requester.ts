import type { Category, RelationshipView } from '@medrec/chaincode/domain';
import { checkRecords, isGatekeeperAnswer, type GatekeeperAnswer, type RecordCheck } from '@medrec/client/protocol';
import type { MedrecClient } from '../../contract/client.js';
import { Relationship } from '../../contract/medrec.js';
import type { LedgerCalls, Signer } from '../../ports/ledger.js';
import { Problem } from '../problem.js';
import { isAuditAnswer, type AuditAnswer } from './audit-answer.js';
import { AUDIT_QUERY_TYP, type AuditQueryClaims } from './audit-claims.js';
import { inPool } from './pool.js';
import { JOSE_MEDIA_TYPE, REQUEST_TYP, freshClaims, signJws, type RequestSpec } from './signed-request.js';
import { transportProblem, type GatekeeperTransport } from './transport.js';

/**
 * How the gateway signs for a logged-in user when it asks gatekeepers (data requests and audit
 * queries) and reads the ledger as them. The one place that decides it: today the session holds the
 * user's vault key; issue 10 (device-held keys) replaces `sessionKeys` and nothing else.
 */
export interface RequesterKeys {
  /** ledger reads as the user (Relationship.get, Summary.mine): the chaincode decides what they see */
  readonly ledger: Signer;
  /** a compact ES256 JWS of `claims` plus a fresh `iat`, `exp` and `jti`, with the user's certificate */
  sign(typ: string, claims: Record<string, unknown>): Promise<string>;
}

export function sessionKeys(signer: Signer): RequesterKeys {
  return { ledger: signer, sign: (typ, claims) => signJws(signer, typ, { ...claims, ...freshClaims() }) };
}

/** Which categories of one relationship to fetch. */
export interface FetchPlan {
  relationshipId: string;
  categories: readonly Category[];
  /** ask only for those of `categories` the user's ledger view has a pointer for (a viewer's view shows only granted ones) */
  pointedOnly?: boolean;
  /** [] = every element the requester may see */
  fields?: readonly string[];
}

export interface FetchResult extends GatekeeperAnswer {
  /** the gatekeeper that answered (the relationship's endpoint on the ledger) */
  gatekeeper: string;
  /** checks the caller made itself, trusting neither gatekeeper's word (the device runs the same check) */
  check: RecordCheck;
}

/** One category's outcome: the answer, or what was thrown (a Problem, a ledger error…; the HTTP layer maps it). */
export type CategoryFetch = { category: Category; result: FetchResult } | { category: Category; error: unknown };

export interface RelationshipFetch {
  relationshipId: string;
  /** the relationship as the user's ledger view shows it; absent when it could not be read */
  view?: RelationshipView;
  /** why nothing was asked: what reading the view threw */
  error?: unknown;
  answers: CategoryFetch[];
}

export interface FetchOptions {
  /** how gatekeepers are reached (HTTPS trusting the channel's TLS roots) and how long each may take */
  transport: GatekeeperTransport;
  /** gatekeeper requests in flight at once for one call */
  concurrency?: number;
}

/**
 * THE requester path: fetch these categories of these relationships as this user. For each
 * relationship it reads the user's own ledger view (so the chaincode decides whether they may even
 * see it, and names the gatekeeper), then per category signs a request with the user's keys, asks
 * that gatekeeper over HTTP and re-checks a complete answer against the pointer in the user's view.
 * Every failure is reported per relationship or category, never thrown, so a caller can decide
 * what a partial answer means (/records/fetch passes its one problem on; the FHIR facade goes on).
 */
export async function fetchAsUser(
  client: MedrecClient<LedgerCalls>,
  keys: RequesterKeys,
  plans: readonly FetchPlan[],
  options: FetchOptions,
): Promise<RelationshipFetch[]> {
  const views = await inPool(plans, options.concurrency ?? 4, async (plan): Promise<RelationshipFetch> => {
    try {
      return { relationshipId: plan.relationshipId, view: await client.evaluate(keys.ledger, Relationship.get(plan.relationshipId)), answers: [] };
    } catch (err) {
      return { relationshipId: plan.relationshipId, error: err, answers: [] };
    }
  });
  const jobs = views.flatMap((fetched, i) => {
    const plan = plans[i]!;
    const view = fetched.view;
    if (!view) return [];
    const categories = plan.pointedOnly ? plan.categories.filter((c) => view.pointers.some((p) => p.category === c)) : plan.categories;
    return categories.map((category) => ({ fetched, view, category, fields: plan.fields ?? [] }));
  });
  await inPool(jobs, options.concurrency ?? 4, async ({ fetched, view, category, fields }) => {
    try {
      fetched.answers.push({ category, result: await fetchCategory(keys, view, category, fields, options.transport) });
    } catch (err) {
      fetched.answers.push({ category, error: err });
    }
  });
  for (const fetched of views) fetched.answers.sort((a, b) => a.category.localeCompare(b.category));
  return views;
}

async function fetchCategory(
  keys: RequesterKeys,
  view: RelationshipView,
  category: Category,
  fields: readonly string[],
  transport: GatekeeperTransport,
): Promise<FetchResult> {
  const endpoint = new URL(view.endpoint);
  const spec: RequestSpec = { rel: view.relationshipId, cat: category, fields: [...fields], aud: endpoint.origin };
  const jws = await keys.sign(REQUEST_TYP, { ...spec });
  const answer = await postToGatekeeper(gatekeeperUrl(endpoint, 'query'), jws, transport, isGatekeeperAnswer);
  const ledgerHash = view.pointers.find((p) => p.category === category)?.hash ?? null;
  return { ...answer, gatekeeper: endpoint.origin, check: checkRecords(answer, ledgerHash) };
}

/** `<endpoint>/gatekeeper/<route>`, keeping a path prefix the endpoint may have. */
/** The gatekeeper's routes a requester (or a relay) posts a signed request to. */
export type GatekeeperRoute = 'query' | 'audit' | 'research' | 'research/inclusions' | 'external-id';

export function gatekeeperUrl(endpoint: URL, route: GatekeeperRoute): URL {
  return new URL(`${endpoint.pathname.replace(/\/+$/, '')}/gatekeeper/${route}`, endpoint);
}

/**
 * POSTs a signed request to a gatekeeper. A refusal is passed on as it is (same status, same code,
 * `source: "gatekeeper"`); no answer is 502 GATEKEEPER_UNREACHABLE (GATEKEEPER_TLS_UNTRUSTED or
 * GATEKEEPER_TLS_HOSTNAME when its certificate fails the check), a slow one 504 GATEKEEPER_TIMEOUT,
 * an answer of another shape 502 GATEKEEPER_BAD_RESPONSE.
 */
export async function postToGatekeeper<T>(url: URL, jws: string, transport: GatekeeperTransport, isAnswer: (body: unknown) => body is T): Promise<T> {
  const res = await sendSigned(url, jws, transport, 'application/json');
  const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (!res.ok) {
    if (body && typeof body['code'] === 'string' && res.status >= 400 && res.status < 600) {
      const wait = retryAfterSeconds(res.headers.get('retry-after'));
      throw new Problem(res.status, body['code'], typeof body['detail'] === 'string' ? body['detail'] : 'refused by the gatekeeper', {
        source: 'gatekeeper',
        ...(wait !== undefined ? { retryAfterSeconds: wait } : {}),
      });
    }
    throw new Problem(502, 'GATEKEEPER_BAD_RESPONSE', 'the gatekeeper answered with an unreadable error');
  }
  if (!isAnswer(body)) throw new Problem(502, 'GATEKEEPER_BAD_RESPONSE', 'the gatekeeper answered in an unknown shape');
  return body;
}

/** An HTTP Retry-After (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) as whole seconds from now; unreadable: undefined. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  // The IMF-fixdate senders must generate; Date.parse alone would read "-5" as a year.
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** POSTs a signed request unchanged through the hospital's TLS transport; no answer is the transport's problem (502/504). */
export async function sendSigned(url: URL, jws: string, transport: GatekeeperTransport, accept: string): Promise<Response> {
  try {
    return await transport.fetch(url, {
      method: 'POST',
      headers: { 'content-type': JOSE_MEDIA_TYPE, accept },
      body: jws,
      redirect: 'error',
      signal: AbortSignal.timeout(transport.timeoutMs),
    });
  } catch (err) {
    throw transportProblem(err);
  }
}

/** One audit query's filters (audit-claims.ts), without the envelope. */
export type AuditQuerySpec = Omit<AuditQueryClaims, 'aud' | 'iat' | 'exp' | 'jti'>;

/** Asks one gatekeeper's access log as the user: the same keys and path as a data request, its own `typ`. */
export async function queryAuditLog(keys: RequesterKeys, gatekeeper: URL, spec: AuditQuerySpec, transport: GatekeeperTransport): Promise<AuditAnswer> {
  const jws = await keys.sign(AUDIT_QUERY_TYP, { ...spec, aud: gatekeeper.origin });
  return postToGatekeeper(gatekeeperUrl(gatekeeper, 'audit'), jws, transport, isAuditAnswer);
}
