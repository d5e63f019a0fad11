import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { Problem } from '../services/problem.js';
import { sendProblem, toProblem } from './plugins/errors.js';
import type {} from './plugins/limits.js';

const UNAUDITED = 'medrec_gatekeeper_unaudited_refusals_total';

export interface RefusalOptions {
  /** which gatekeeper route, for the metrics */
  route: 'query' | 'audit' | 'external-id';
  /** whether the request was signed with a valid certificate of the channel (then it is audited) */
  verified(request: FastifyRequest): boolean;
  /** appends the refusal's audit record(s) */
  audit(request: FastifyRequest, problem: Problem): Promise<void>;
}

/**
 * The error handler of the gatekeeper's signed routes (/gatekeeper/query, /gatekeeper/audit). Every
 * answer to a request signed with a valid certificate of the channel is durably audited (served or
 * refused). Refusals of anything else — malformed bodies, unknown, expired or revoked certificates,
 * bad signatures — and every 429 are only counted, so no caller without a valid certificate can
 * grow the audit log, or the ledger through its anchors; unverified requests also use up their
 * address's budget (`gatekeeperUnverified`, shared by both routes), so a flood is cut off at the door.
 */
export function gatekeeperRefusals(app: FastifyInstance, opts: RefusalOptions) {
  const unaudited =
    (app.metricsRegistry.getSingleMetric(UNAUDITED) as Counter<'code' | 'route'> | undefined) ??
    new Counter({
      name: UNAUDITED,
      help: 'Gatekeeper refusals of requests not signed with a valid channel certificate (or rate-limited): counted here, not audited',
      labelNames: ['code', 'route'] as const,
      registers: [app.metricsRegistry],
    });

  return async (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const problem =
      (err as FastifyError).validation !== undefined ? new Problem(400, 'MALFORMED_REQUEST', 'the body must be one compact JWS') : toProblem(err);
    if (problem.status >= 500) request.log.error({ err, code: problem.code, route: opts.route }, 'gatekeeper request failed');
    const verified = opts.verified(request);
    if (!verified || problem.code === 'RATE_LIMITED') {
      unaudited.inc({ code: problem.code, route: opts.route });
      if (!verified && problem.code !== 'RATE_LIMITED') await app.rateLimited('gatekeeperUnverified', request).catch(() => undefined);
      return sendProblem(reply, request, problem);
    }
    try {
      await opts.audit(request, problem);
    } catch (auditErr) {
      request.log.error({ err: auditErr }, 'audit log write failed');
      return sendProblem(reply, request, new Problem(503, 'AUDIT_UNAVAILABLE', 'the audit log cannot be written'));
    }
    return sendProblem(reply, request, problem);
  };
}
