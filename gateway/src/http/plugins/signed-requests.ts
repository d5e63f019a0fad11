import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ReplayCache } from '../../services/gatekeeper/replay.js';
import { RequestVerifier } from '../../services/gatekeeper/signed-request.js';
import type { HospitalRuntime } from '../runtime.js';

/**
 * The gatekeeper's one RequestVerifier (`app.requestVerifier`), shared by every signed route
 * (signed-routes.ts: /gatekeeper/query, research, inclusions, audit, external-id): one certificate
 * cache sized by `certificateCacheSize`, and one replay cache seeded from the audit log's live
 * request ids at start. A request id is used once per requester across all of them: each route
 * accepts one `typ` and one exact claim set, so a JWS is never valid on two routes; the one cache
 * also refuses a jti reused in another route's JWS, as a restart (which seeds it from every route's
 * audit records) always did.
 */
async function signedRequests(app: FastifyInstance, options: { runtime: HospitalRuntime }): Promise<void> {
  const { audit, trust, hospital, settings } = options.runtime;
  const replay = new ReplayCache(audit.liveJtis(Math.floor(Date.now() / 1000)));
  app.decorate('requestVerifier', new RequestVerifier(trust, replay, () => new URL(hospital.publicUrl).origin, settings.certificateCacheSize));
}

declare module 'fastify' {
  interface FastifyInstance {
    requestVerifier: RequestVerifier;
  }
}

export default fp(signedRequests, { name: 'medrec-signed-requests', fastify: '5.x' });
