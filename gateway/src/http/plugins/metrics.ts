import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LedgerPort } from '../../ports/ledger.js';
import { problemCodes } from './errors.js';

/**
 * Prometheus metrics at /metrics; one registry per hospital app (two apps share a process). The
 * ledger's resends (Fabric: a transaction sent for ordering again) are counted and logged here, one
 * line each with the transaction id, peer and reason only.
 */
async function metrics(app: FastifyInstance, options: { mspId: string; ledger?: Pick<LedgerPort, 'onResend'> }): Promise<void> {
  const registry = new Registry();
  registry.setDefaultLabels({ hospital: options.mspId });
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'medrec_http_request_duration_seconds',
    help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'medrec_http_problems_total',
    help: 'Problem responses by stable code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const resends = new Counter({
    name: 'medrec_ledger_resends_total',
    help: 'Transactions sent for ordering again, by why: ordering refused the previous send, or its commit status came late',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  // Both series from the start (0 on a ledger that never resends): a rate needs its zero.
  for (const reason of ['refused', 'late_status'] as const) resends.inc({ reason }, 0);
  const unsubscribe = options.ledger?.onResend?.((resend) => {
    resends.inc({ reason: resend.reason });
    app.log.warn({ txId: resend.txId, peer: resend.peer, reason: resend.reason }, 'ledger transaction resent');
  });
  if (unsubscribe) app.addHook('onClose', async () => unsubscribe());
  app.decorate('metricsRegistry', registry);

  app.addHook('onResponse', async (request, reply) => {
    // The route template, not the URL: ids would explode the label cardinality.
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    const code = problemCodes.get(reply);
    if (code) refusals.inc({ code });
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}

export default fp(metrics, { name: 'medrec-metrics', fastify: '5.x' });
