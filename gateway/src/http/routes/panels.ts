import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DEFAULT_PANEL_BATCH, MAX_BATCH } from '../../services/onboarding/batch-size.js';
import { panelFormat } from '../../services/onboarding/panel.js';
import { badRequest } from '../../services/problem.js';
import type { HospitalRuntime } from '../runtime.js';
import { SECURED, problems } from '../schemas.js';

/** A 100,000-patient CSV is a few MB; a FHIR Bundle of them some tens. */
const PANEL_BODY_LIMIT = 128 * 1024 * 1024;
const PANEL_TYPES = ['text/csv', 'application/fhir+ndjson', 'application/x-ndjson', 'application/ndjson'];

const Job = Type.Object({
  id: Type.String(),
  format: Type.String(),
  state: Type.Union([Type.Literal('running'), Type.Literal('done')]),
  batchSize: Type.Integer(),
  createdAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  rows: Type.Integer(),
  pending: Type.Integer(),
  registered: Type.Integer({ description: 'registered on the ledger by this job, each with an activation code in the letters' }),
  linked: Type.Integer({ description: 'registered already as a patient (e.g. by another hospital): linked to the chart, no new code' }),
  existing: Type.Integer({ description: 'already onboarded (by an earlier run of the panel): nothing done, no new code' }),
  failed: Type.Integer({ description: 'refused rows: see /errors' }),
  relationships: Type.Integer({ description: "onboarded rows whose patient has their relationship with this hospital, with the chart's current pointers" }),
  fault: Type.Union([
    Type.Object({
      code: Type.String({ description: 'e.g. LEDGER_UNAVAILABLE' }),
      retries: Type.Integer(),
      waiting: Type.Union([Type.Literal('retry'), Type.Literal('resume')], { description: 'retry: the job runs again by itself; resume: it waits for POST …/resume or a restart' }),
    }),
    Type.Null(),
  ]),
});

const JobParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

/**
 * Panel onboarding (role admin): upload a patient panel, follow its job, read its refused rows and
 * download its letter-merge CSV of activation codes. docs/onboarding.md.
 */
export const panelRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { panels }) => {
  const admin = app.requireRole('admin');
  app.addContentTypeParser(PANEL_TYPES, { parseAs: 'string', bodyLimit: PANEL_BODY_LIMIT }, (_request, body, done) => done(null, body));
  if (!app.hasContentTypeParser('application/fhir+json')) {
    app.addContentTypeParser('application/fhir+json', { parseAs: 'string', bodyLimit: PANEL_BODY_LIMIT }, (_request, body, done) => done(null, body));
  }

  app.post(
    '/admin/panels',
    {
      onRequest: admin,
      bodyLimit: PANEL_BODY_LIMIT,
      schema: {
        tags: ['admin'],
        summary: "Onboard a patient panel: CSV (header `mrn`, optional `national_id`), a FHIR Bundle of Patient resources, or Bulk Data NDJSON",
        description:
          'Answers 202 with a job (GET /admin/panels/{id} for progress). Each row is proved against its chart (the ' +
          "chart's identifier is the person's registered external id), registered on the ledger in batches " +
          '(Registrar.registerPanel, idempotent per patient), linked to the chart, and given a one-time activation ' +
          'code; the CA registers the patient only when the code is redeemed. Re-running a panel changes nothing. ' +
          "With an `Idempotency-Key`, a retried upload answers the first upload's job instead of starting another. " +
          'A panel that cannot be read at all is 400 PANEL_MALFORMED; a bad row is an error of that row.',
        security: SECURED,
        querystring: Type.Object(
          {
            batchSize: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: `patients per ledger transaction, 1-${MAX_BATCH} (default: the ledger's, ${DEFAULT_PANEL_BATCH.embedded} embedded, ${DEFAULT_PANEL_BATCH.fabric} Fabric; halved after a ledger timeout)` })),
            ttlDays: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: 'how long the codes stay valid, days 1-365 (default 60)' })),
          },
          { additionalProperties: false },
        ),
        response: { 202: Job, ...problems(400, 401, 403, 415, 503) },
      },
    },
    async (request, reply) => {
      const format = panelFormat(request.headers['content-type']);
      if (!format) throw badRequest('PANEL_TYPE', 'send the panel as text/csv, application/fhir+json (Bundle) or application/fhir+ndjson');
      const body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
      const batchSize = request.query.batchSize === undefined ? undefined : Number(request.query.batchSize);
      const ttlDays = request.query.ttlDays === undefined ? undefined : Number(request.query.ttlDays);
      if (batchSize !== undefined && batchSize > MAX_BATCH) throw badRequest('BATCH_SIZE', `at most ${MAX_BATCH} patients per transaction`);
      if (ttlDays !== undefined && ttlDays > 365) throw badRequest('TTL_DAYS', 'codes live at most 365 days');
      const job = panels.submit(format, body, request.user.sub, { ...(batchSize ? { batchSize } : {}), ...(ttlDays ? { ttlSeconds: ttlDays * 86_400 } : {}) });
      return reply.code(202).header('location', `/admin/panels/${job.id}`).send(job);
    },
  );

  app.get(
    '/admin/panels/:id',
    {
      onRequest: admin,
      schema: { tags: ['admin'], summary: "A panel job's progress", security: SECURED, params: JobParams, response: { 200: Job, ...problems(400, 401, 403, 404) } },
    },
    async (request) => panels.job(request.params.id),
  );

  app.post(
    '/admin/panels/:id/resume',
    {
      onRequest: admin,
      config: { idempotency: false },
      schema: {
        tags: ['admin'],
        summary: 'Resume a job that stopped on a fault (rows already done are not redone; a running or finished job is left as it is)',
        security: SECURED,
        params: JobParams,
        response: { 202: Job, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(202).send(panels.resumeJob(request.params.id)),
  );

  app.get(
    '/admin/panels/:id/errors',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: "A panel job's refused rows, each with its problem code",
        security: SECURED,
        params: JobParams,
        response: {
          200: Type.Array(Type.Object({ row: Type.Integer(), status: Type.Integer(), code: Type.String(), detail: Type.String() })),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (request) => panels.errors(request.params.id),
  );

  app.get(
    '/admin/panels/:id/letters',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: 'The letter-merge CSV of the activation codes a job issued (row, mrn, username, activation_code, expires_at)',
        description: 'Secret: store it 0600 and mail each code to its patient only. The gateway keeps only keyed hashes of the codes.',
        security: SECURED,
        params: JobParams,
        response: { 200: Type.String(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.type('text/csv; charset=utf-8').header('cache-control', 'no-store').send(panels.letters(request.params.id)),
  );
};
