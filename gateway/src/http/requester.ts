import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sessionKeys, type RequesterKeys } from '../services/gatekeeper/requester.js';
import type {} from './plugins/sessions.js';

/**
 * The keys every route that asks gatekeepers as the logged-in user signs with (/records/fetch, the
 * FHIR facade, audit searches): today the session's vault key. Issue 10 swaps this one function.
 */
export async function requesterKeys(app: FastifyInstance, request: FastifyRequest): Promise<RequesterKeys> {
  return sessionKeys(await app.signerFor(request));
}
