import type { Category } from '@medrec/chaincode/domain';
import type { MedrecClient } from '../../contract/client.js';
import { fetchAsUser, type FetchResult, type RequesterKeys } from './requester.js';

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
export async function fetchRecords(client: MedrecClient, keys: RequesterKeys, req: FetchRequest, timeoutMs: number): Promise<FetchResult> {
  const [fetched] = await fetchAsUser(client, keys, [{ relationshipId: req.relationshipId, categories: [req.category], fields: req.fields }], {
    timeoutMs,
  });
  if (fetched!.error !== undefined) throw fetched!.error;
  const outcome = fetched!.answers[0]!;
  if ('error' in outcome) throw outcome.error;
  return outcome.result;
}
