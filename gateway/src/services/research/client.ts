import { isReleasedAnswer, type ReleasedAnswer } from '@medrec/client/protocol';
import type { Signer } from '../../ports/ledger.js';
import { gatekeeperUrl, postToGatekeeper } from '../gatekeeper/requester.js';
import type { GatekeeperTransport } from '../gatekeeper/transport.js';
import { signClaims } from '../gatekeeper/signed-request.js';
import type { Inclusion } from './inclusions.js';

/**
 * The requester's side of research requests: signs them with the user's own key (as every gatekeeper
 * request) and posts them to a hospital's gatekeeper, which answers only after its own checks.
 */

/** One hospital's answer to a study or bounty, for the researcher (or steward) that signs the request. */
export async function requestAnswer(signer: Signer, endpoint: string, queryId: string, transport: GatekeeperTransport): Promise<ReleasedAnswer> {
  const jws = await signClaims(signer, { query: queryId, aud: new URL(endpoint).origin });
  return postToGatekeeper(gatekeeperUrl(new URL(endpoint), 'research'), jws, transport, isReleasedAnswer);
}

const isInclusionList = (body: unknown): body is { inclusions: Inclusion[] } =>
  Array.isArray((body as { inclusions?: unknown } | undefined)?.inclusions);

/** The answers that included the patient on one relationship, from the gatekeeper that holds its records. */
export async function requestInclusions(signer: Signer, endpoint: string, relationshipId: string, transport: GatekeeperTransport): Promise<Inclusion[]> {
  const jws = await signClaims(signer, { rel: relationshipId, aud: new URL(endpoint).origin });
  return (await postToGatekeeper(gatekeeperUrl(new URL(endpoint), 'research/inclusions'), jws, transport, isInclusionList)).inclusions;
}
