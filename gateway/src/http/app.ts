import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Registrar, Research } from '../contract/medrec.js';
import { ChaincodeError } from '../ports/ledger.js';
import { accountDisabled, certificateProblem } from '../services/accounts/login.js';
import { NotificationFeed } from '../services/notifications/feed.js';
import appStatic from './plugins/app-static.js';
import consortium from './plugins/consortium.js';
import errors from './plugins/errors.js';
import health from './plugins/health.js';
import idempotency from './plugins/idempotency.js';
import { loggerOptions } from './plugins/logging.js';
import limits from './plugins/limits.js';
import metrics from './plugins/metrics.js';
import openapi from './plugins/openapi.js';
import sessions from './plugins/sessions.js';
import signedRequests from './plugins/signed-requests.js';
import { adminRoutes } from './routes/admin.js';
import { appApiRoutes } from './routes/app-api.js';
import { auditorRoutes } from './routes/auditor.js';
import { auditorLogRoutes } from './routes/auditor-log.js';
import { activationRoutes } from './routes/activations.js';
import { authRoutes } from './routes/auth.js';
import { deviceRoutes } from './routes/device.js';
import fhirRoutes from './routes/fhir.js';
import gatekeeper from './routes/gatekeeper.js';
import gatekeeperAudit from './routes/gatekeeper-audit.js';
import gatekeeperExternalId from './routes/gatekeeper-external-id.js';
import { grantRoutes } from './routes/grants.js';
import { meRoutes } from './routes/me.js';
import { notificationRoutes } from './routes/notifications.js';
import { panelRoutes } from './routes/panels.js';
import { registrarRoutes } from './routes/registrar.js';
import { relationshipRoutes } from './routes/relationships.js';
import { researchRoutes } from './routes/research.js';
import { transactionRoutes } from './routes/transactions.js';
import type { HospitalRuntime } from './runtime.js';

export interface AppOptions {
  /** Overrides the logger built from the settings (tests pass false). */
  logger?: boolean;
}

/** One hospital's gateway: REST API, sessions, notifications, gatekeeper, ops endpoints. */
export async function buildApp(runtime: HospitalRuntime, options: AppOptions = {}): Promise<FastifyInstance> {
  const { hospital, settings } = runtime;
  // HTTPS with the hospital's server certificate (system/tls.ts); typed as the HTTP instance, which
  // every route and plugin here is written against (they read nothing of the socket).
  const serve = Fastify as unknown as (options: FastifyServerOptions & { https?: { cert: string; key: string } }) => FastifyInstance;
  const app = serve({
    ...(runtime.tls ? { https: runtime.tls } : {}),
    logger: options.logger ?? loggerOptions(settings.logLevel, hospital.mspId),
    bodyLimit: settings.bodyLimitBytes,
    // Reject what the schema does not name instead of silently dropping it; never coerce bodies.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(errors);
  await app.register(consortium, { read: () => runtime.client.evaluate(runtime.service, Research.gatekeepers()) });
  await app.register(metrics, { mspId: hospital.mspId, ledger: runtime.ledger });
  await app.register(openapi, { mspId: hospital.mspId, name: hospital.name, publicUrl: hospital.publicUrl });
  await app.register(sessions, {
    mspId: hospital.mspId,
    secret: settings.jwtSecret,
    ttlSeconds: settings.sessionTtlSeconds,
    certificateProblem: (signer) => certificateProblem(runtime.trust, signer),
    onTrustChange: (listener) => runtime.trust.onChange(listener),
    accountProblem: (username) => (runtime.accounts.isDisabled(username) ? accountDisabled() : undefined),
  });
  await app.register(limits, { limits: settings.rateLimits });
  await app.register(health, {
    ledger: runtime.ledger,
    ehr: runtime.ehr,
    // Any answer of the chaincode's own, a refusal included, shows it runs.
    chaincode: () => runtime.client.evaluate(runtime.service, Registrar.whoami()).catch((err: unknown) => {
      if (!(err instanceof ChaincodeError)) throw err;
    }),
  });
  await app.register(idempotency, { store: runtime.idempotency });

  const feed = new NotificationFeed(runtime.ledger, runtime.notifications, (pid) => runtime.accounts.hasParticipant(pid), app.log);
  app.addHook('onReady', async () => feed.start());
  app.addHook('onClose', async () => feed.stop());
  const { changePollMs } = settings;
  if (changePollMs !== false) {
    app.addHook('onReady', async () => runtime.pointers.start(changePollMs, (err) => app.log.warn({ err }, 'pointer watcher run failed; will retry')));
    app.addHook('onClose', async () => runtime.pointers.stop());
  }

  await app.register(signedRequests, { runtime });
  await app.register(gatekeeper, { runtime });
  await app.register(gatekeeperAudit, { runtime });
  await app.register(gatekeeperExternalId, { runtime });
  await app.register(fhirRoutes, { runtime, prefix: '/fhir' });
  await app.register(authRoutes, runtime);
  for (const routes of [activationRoutes, deviceRoutes, adminRoutes, panelRoutes, registrarRoutes, relationshipRoutes, grantRoutes, meRoutes, auditorRoutes, auditorLogRoutes, researchRoutes, transactionRoutes]) {
    await app.register(routes, runtime);
  }
  await app.register(notificationRoutes, { feed, notifications: runtime.notifications });
  // The MedRec app (app/) and the few routes only it needs.
  await app.register(appApiRoutes, runtime);
  await app.register(appStatic, { connectTo: async () => (await app.consortium()).map((g) => g.origin) });
  return app;
}
