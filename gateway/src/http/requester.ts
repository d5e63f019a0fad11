import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sessionKeys, type RequesterKeys } from '../services/gatekeeper/requester.js';
import type { Acting } from '../services/custodial/delegates.js';
import type {} from './plugins/sessions.js';
import type { HospitalRuntime } from './runtime.js';

/**
 * The keys every route that asks gatekeepers as the logged-in user signs with (/records/fetch, the
 * FHIR facade, audit searches): today the session's vault key. Issue 10 swaps this one function.
 */
export async function requesterKeys(app: FastifyInstance, request: FastifyRequest): Promise<RequesterKeys> {
  return sessionKeys(await app.signerFor(request));
}

/**
 * Who signs for the caller on one relationship: for a password patient, the delegate her home holds
 * for it (signing at that delegate's own hospital's gateway, docs/privacy.md §3); else the caller's
 * own identity here.
 */
export async function actingFor(
  app: FastifyInstance,
  { custodial, client }: Pick<HospitalRuntime, 'custodial' | 'client'>,
  request: FastifyRequest,
  relationshipId: string,
): Promise<Acting> {
  const own = await app.signerFor(request);
  const delegate = request.user.role === 'patient' ? await custodial.actingFor(request.user.sub, own, relationshipId) : undefined;
  return delegate ?? { signer: own, client, identityId: request.user.identityId };
}

/** The relationships service over the ledger calls of whoever signs for the caller on this relationship, and that signer. */
export async function relationshipsFor(
  app: FastifyInstance,
  runtime: Pick<HospitalRuntime, 'custodial' | 'client' | 'relationships'>,
  request: FastifyRequest,
  relationshipId: string,
) {
  const acting = await actingFor(app, runtime, request, relationshipId);
  return { signer: acting.signer, service: runtime.relationships.via(acting.client) };
}
