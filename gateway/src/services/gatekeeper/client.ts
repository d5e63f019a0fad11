import type { Category } from '@medrec/chaincode/domain';
import { checkRecords, isGatekeeperAnswer, type GatekeeperAnswer, type RecordCheck } from '@medrec/client/protocol';
import type { MedrecClient } from '../../contract/client.js';
import { Relationship } from '../../contract/medrec.js';
import { Problem, forbidden, notFound } from '../problem.js';
import type { Signer } from '../../ports/ledger.js';
import { JOSE_MEDIA_TYPE, signRequest } from './signed-request.js';

export interface FetchRequest {
  relationshipId: string;
  category: Category;
  fields: string[];
}

export interface FetchResult extends GatekeeperAnswer {
  /** the gatekeeper that answered (the relationship's endpoint on the ledger) */
  gatekeeper: string;
  /** checks the caller made itself, trusting neither gatekeeper's word (the device runs the same check) */
  check: RecordCheck;
}

/**
 * The requester side: finds the relationship's gatekeeper on the ledger (as the user), signs the
 * request with the user's own key and asks that gatekeeper over HTTP. A complete answer (the
 * patient's) is re-hashed here and compared with the ledger, so a lying gatekeeper is caught too.
 */
export async function fetchRecords(
  client: MedrecClient,
  signer: Signer,
  requesterIdentityId: string,
  req: FetchRequest,
  timeoutMs: number,
): Promise<FetchResult> {
  // The requester asks the ledger's access rule itself first: a refusal then carries the decision's
  // own code (GRANT_REVOKED, GRANT_EXPIRED, NOT_A_PARTY, …), as the gatekeeper would answer, rather
  // than the generic refusal of a relationship the requester may no longer read.
  const decision = await client.evaluate(signer, Relationship.checkAccess(req.relationshipId, requesterIdentityId, req.category, req.fields));
  if (!decision.allowed) {
    throw decision.code === 'NO_POINTER' ? notFound(decision.code, decision.reason) : forbidden(decision.code, decision.reason);
  }
  const view = await client.evaluate(signer, Relationship.get(req.relationshipId));
  const endpoint = new URL(view.endpoint);
  const jws = await signRequest(signer, {
    rel: req.relationshipId,
    cat: req.category,
    fields: req.fields,
    aud: endpoint.origin,
  });
  const answer = await post(new URL(`${endpoint.pathname.replace(/\/+$/, '')}/gatekeeper/query`, endpoint), jws, timeoutMs);
  const ledgerHash = view.pointers?.find((p) => p.category === req.category)?.hash ?? null;
  return { ...answer, gatekeeper: endpoint.origin, check: checkRecords(answer, ledgerHash) };
}

async function post(url: URL, jws: string, timeoutMs: number): Promise<GatekeeperAnswer> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': JOSE_MEDIA_TYPE, accept: 'application/json' },
      body: jws,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') {
      throw new Problem(504, 'GATEKEEPER_TIMEOUT', 'the gatekeeper did not answer in time');
    }
    throw new Problem(502, 'GATEKEEPER_UNREACHABLE', 'the gatekeeper could not be reached');
  }
  const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (!res.ok) {
    // The gatekeeper's refusal is passed on as it is: same status, same code.
    if (body && typeof body['code'] === 'string' && res.status >= 400 && res.status < 600) {
      throw new Problem(res.status, body['code'], typeof body['detail'] === 'string' ? body['detail'] : 'refused by the gatekeeper', {
        source: 'gatekeeper',
      });
    }
    throw new Problem(502, 'GATEKEEPER_BAD_RESPONSE', 'the gatekeeper answered with an unreadable error');
  }
  if (!isGatekeeperAnswer(body)) throw new Problem(502, 'GATEKEEPER_BAD_RESPONSE', 'the gatekeeper answered in an unknown shape');
  return body;
}
