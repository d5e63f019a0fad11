import type { Category } from '@medrec/chaincode/domain';
import type { MedrecClient } from '../../contract/client.js';
import { Relationship } from '../../contract/medrec.js';
import type { LedgerCalls } from '../../ports/ledger.js';
import { forbidden, notFound } from '../problem.js';
import { fetchAsUser, type FetchResult, type RequesterKeys } from './requester.js';
import type { GatekeeperTransport } from './transport.js';

export type { FetchResult } from './requester.js';

export interface FetchRequest {
  relationshipId: string;
  category: Category;
  fields: string[];
}

/**
 * One category of one relationship, as the user (POST /records/fetch): the requester path of
 * `fetchAsUser` with its one outcome; a failure is thrown as it came (the gatekeeper's refusal with
 * its status and code, the ledger's error, an unreachable gatekeeper).
 */
export async function fetchRecords(
  client: MedrecClient<LedgerCalls>,
  keys: RequesterKeys,
  requesterIdentityId: string,
  req: FetchRequest,
  transport: GatekeeperTransport,
  /** false where the ledger calls cannot evaluate checkAccess (a delegate at another hospital's gateway): the gatekeeper's refusal then says why */
  precheck = true,
): Promise<FetchResult> {
  // The requester asks the ledger's access rule itself first: a refusal then carries the decision's
  // own code (GRANT_REVOKED, GRANT_EXPIRED, NOT_A_PARTY, …), as the gatekeeper would answer, rather
  // than the generic refusal of a relationship the requester may no longer read.
  const decision = precheck
    ? await client.evaluate(keys.ledger, Relationship.checkAccess(req.relationshipId, requesterIdentityId, req.category, req.fields))
    : undefined;
  if (decision && !decision.allowed) {
    throw decision.code === 'NO_POINTER' ? notFound(decision.code, decision.reason) : forbidden(decision.code, decision.reason);
  }
  const [fetched] = await fetchAsUser(client, keys, [{ relationshipId: req.relationshipId, categories: [req.category], fields: req.fields }], {
    transport,
  });
  if (fetched!.error !== undefined) throw fetched!.error;
  const outcome = fetched!.answers[0]!;
  if ('error' in outcome) throw outcome.error;
  return outcome.result;
}
