import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import sessions from './auth/session.js';
import { LoginThrottle } from './auth/throttle.js';
import gatekeeper from './gatekeeper/plugin.js';
import { NotificationFeed } from './notifications/feed.js';
import errors from './plugins/errors.js';
import health from './plugins/health.js';
import { loggerOptions } from './plugins/logging.js';
import metrics from './plugins/metrics.js';
import openapi from './plugins/openapi.js';
import { auditorRoutes } from './routes/auditor.js';
import { authRoutes } from './routes/auth.js';
import type { RouteContext } from './routes/context.js';
import { grantRoutes } from './routes/grants.js';
import { meRoutes } from './routes/me.js';
import { notificationRoutes } from './routes/notifications.js';
import { registrarRoutes } from './routes/registrar.js';
import { relationshipRoutes } from './routes/relationships.js';
import type { HospitalRuntime, MedrecSystem } from './runtime.js';

/** One hospital's gateway: REST API, sessions, notifications, gatekeeper, ops endpoints. */
export async function buildApp(runtime: HospitalRuntime): Promise<FastifyInstance> {
  const { config: hospital, settings } = runtime;
  const app = Fastify({
    logger: loggerOptions(settings.logLevel, hospital.mspId),
    bodyLimit: settings.bodyLimitBytes,
    // Reject what the schema does not name instead of silently dropping it; never coerce bodies.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(errors);
  await app.register(metrics, { mspId: hospital.mspId });
  await app.register(openapi, { mspId: hospital.mspId, name: hospital.name, publicUrl: hospital.publicUrl });
  await app.register(sessions, {
    mspId: hospital.mspId,
    secret: settings.jwtSecret,
    ttlSeconds: settings.sessionTtlSeconds,
  });
  await app.register(health, { ledger: runtime.ledger, ehr: runtime.ehr });

  const feed = new NotificationFeed(
    runtime.ledger,
    runtime.notifications,
    (pid) => runtime.accounts.hasParticipant(pid),
    app.log,
  );
  app.addHook('onReady', async () => feed.start());
  app.addHook('onClose', async () => feed.stop());

  const ctx: RouteContext = {
    hospital,
    ledger: runtime.ledger,
    identity: runtime.identity,
    records: runtime.records,
    links: runtime.links,
    accounts: runtime.accounts,
    sealer: runtime.sealer,
    notifications: runtime.notifications,
    feed,
    consortiumKey: settings.consortiumKey,
    loginThrottle: new LoginThrottle(settings.loginThrottle),
  };
  await app.register(gatekeeper, {
    ledger: runtime.ledger,
    records: runtime.records,
    links: runtime.links,
    trust: runtime.trust,
    service: runtime.service,
    audit: runtime.audit,
    hospital,
  });
  for (const routes of [authRoutes, registrarRoutes, relationshipRoutes, grantRoutes, meRoutes, auditorRoutes, notificationRoutes]) {
    await app.register(routes, ctx);
  }
  return app;
}

export interface RunningGateway {
  mspId: string;
  url: string;
  app: FastifyInstance;
  runtime: HospitalRuntime;
}

/**
 * Builds and starts every hospital's gateway of a system. With port 0 the OS picks a port; the
 * hospital's publicUrl (its relationships' endpoint) is then set from the bound address.
 */
export async function startGateways(system: MedrecSystem): Promise<RunningGateway[]> {
  const running: RunningGateway[] = [];
  try {
    for (const runtime of system.hospitals) {
      const app = await buildApp(runtime);
      running.push({ mspId: runtime.config.mspId, url: '', app, runtime });
      await app.listen({ host: runtime.config.host, port: runtime.config.port });
      const address = app.server.address();
      if (runtime.config.port === 0 && address && typeof address === 'object') {
        runtime.config.publicUrl = `http://${runtime.config.host}:${address.port}`;
      }
      running.at(-1)!.url = runtime.config.publicUrl;
    }
    return running;
  } catch (err) {
    for (const g of running) await g.app.close();
    throw err;
  }
}
