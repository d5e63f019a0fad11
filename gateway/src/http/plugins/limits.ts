import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import { Problem } from '../../services/problem.js';

/** One limit: at most `max` requests per `windowSeconds` for one key (an address, a certificate, a user). */
export interface Limit {
  max: number;
  windowSeconds: number;
}

/**
 * The gateway's rate limits (configuration `rateLimits`). Unproven traffic is limited per client
 * address; proven traffic per identity; the routes that check secrets more tightly.
 */
export interface RateLimits {
  /** Requests without a live session, per address (every route but the gatekeeper's). */
  unauthenticated: Limit;
  /** POST /auth/login and POST /auth/password attempts, per address (on top of the failure throttle). */
  login: Limit;
  /** Activation code inspection and redemption, per address. */
  activation: Limit;
  /** POST /registrar/resolve, per user: it tells whether an external id is registered. */
  resolve: Limit;
  /** Gatekeeper requests that failed before a valid certificate's signature was proven, per address. */
  gatekeeperUnverified: Limit;
  /** Gatekeeper requests signed with a valid certificate, per certificate identity. */
  gatekeeperCertificate: Limit;
  /** Signed audit queries (POST /gatekeeper/audit) with a valid certificate, per certificate identity. */
  gatekeeperAudit: Limit;
  /** Blinded external-id lookups (POST /gatekeeper/external-id) with a valid certificate, per certificate identity: each tests one guess. */
  externalIdLookup: Limit;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  unauthenticated: { max: 300, windowSeconds: 60 },
  login: { max: 30, windowSeconds: 60 },
  activation: { max: 10, windowSeconds: 60 },
  resolve: { max: 60, windowSeconds: 60 },
  gatekeeperUnverified: { max: 60, windowSeconds: 60 },
  gatekeeperCertificate: { max: 600, windowSeconds: 60 },
  // A patient's "who looked" page asks each holding gatekeeper once per page; auditors page through logs.
  gatekeeperAudit: { max: 120, windowSeconds: 60 },
  // A registrar resolving a patient at the desk, a provider proving a chart: a few per minute.
  externalIdLookup: { max: 30, windowSeconds: 60 },
};

export type LimitName = keyof RateLimits;

/** A route's own limit, on top of the unauthenticated one ('gatekeeper': the gatekeeper limits itself). */
type RouteLimit = 'login' | 'activation' | 'resolve' | 'gatekeeper';

declare module 'fastify' {
  interface FastifyContextConfig {
    limit?: RouteLimit;
  }
  interface FastifyInstance {
    /**
     * Counts one request against a limit for `key` (default: the client address) and throws 429
     * RATE_LIMITED once it is over; `count: false` only looks.
     */
    rateLimited(name: LimitName, request: FastifyRequest, options?: { key?: string; count?: boolean }): Promise<void>;
  }
}

/**
 * Rate limits with @fastify/rate-limit (in-memory, per process). Requests without a live session
 * are limited per client address before any route work (`request.ip`: behind a reverse proxy set
 * Fastify's trustProxy so it is the client's); routes that check secrets have their own tighter
 * limit; the gatekeeper limits unverified requests per address and verified ones per certificate
 * itself (routes/gatekeeper.ts, routes/gatekeeper-audit.ts). Every 429 is counted in `medrec_rate_limited_total{limit}`.
 */
async function limits(app: FastifyInstance, options: { limits: RateLimits }): Promise<void> {
  await app.register(fastifyRateLimit, { global: false });
  const limited = new Counter({
    name: 'medrec_rate_limited_total',
    help: 'Requests refused with 429 RATE_LIMITED, by limit',
    labelNames: ['limit'] as const,
    registers: [app.metricsRegistry],
  });
  const checks = Object.fromEntries(
    (Object.keys(options.limits) as LimitName[]).map((name) => {
      const { max, windowSeconds } = options.limits[name];
      const keyOf = new WeakMap<FastifyRequest, string>();
      const check = app.createRateLimit({ max, timeWindow: windowSeconds * 1000, keyGenerator: (request) => keyOf.get(request) ?? request.ip });
      return [name, { check, keyOf }];
    }),
  ) as Record<LimitName, { check: ReturnType<FastifyInstance['createRateLimit']>; keyOf: WeakMap<FastifyRequest, string> }>;

  app.decorate('rateLimited', async (name: LimitName, request: FastifyRequest, opts: { key?: string; count?: boolean } = {}) => {
    const { check, keyOf } = checks[name];
    keyOf.set(request, `${name}:${opts.key ?? request.ip}`);
    const result = await check(request, { increment: opts.count !== false });
    const over = !result.isAllowed && (opts.count === false ? result.remaining <= 0 : result.isExceeded);
    if (over) {
      limited.inc({ limit: name });
      const retryAfter = result.isAllowed ? 1 : Math.max(1, result.ttlInSeconds);
      throw new Problem(429, 'RATE_LIMITED', `too many requests; try again in ${retryAfter} s`, { limit: name, retryAfterSeconds: retryAfter });
    }
  });

  /** A bearer token of a live session: its owner is proven, so only the per-user limits apply. */
  const hasSession = async (request: FastifyRequest): Promise<boolean> => {
    if (!request.headers.authorization) return false;
    try {
      const user = await request.jwtVerify<{ jti: string }>();
      return app.sessionKeys.signer(user.jti) !== undefined;
    } catch {
      return false;
    }
  };

  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.config?.limit;
    if (route === 'gatekeeper') return;
    const session = await hasSession(request);
    if (!session) await app.rateLimited('unauthenticated', request);
    if (route === 'login' || route === 'activation') await app.rateLimited(route, request);
    // jwtVerify above set request.user: one budget per person, whichever address they come from.
    if (route === 'resolve') await app.rateLimited(route, request, session ? { key: `user:${request.user.sub}` } : {});
  });
}

export default fp(limits, { name: 'medrec-limits', fastify: '5.x', dependencies: ['medrec-metrics', 'medrec-sessions'] });
