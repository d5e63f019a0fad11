import type { Category } from '@medrec/chaincode/domain';
import { CATEGORIES, type Role } from '@medrec/chaincode/domain';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { searchAuditEvents, dateBounds, decodeCursor, encodeCursor, type Cursor } from '../../services/fhir/audit-search.js';
import { capabilityStatement } from '../../services/fhir/capability.js';
import { FHIR_JSON } from '../../services/fhir/codes.js';
import { FhirFacade, type Caller } from '../../services/fhir/facade.js';
import { problemOutcome } from '../../services/fhir/outcome.js';
import { Problem } from '../../services/problem.js';
import {
  AuditEventQuery,
  BundleSchema,
  CapabilitySchema,
  FormatQuery,
  OutcomeSchema,
  PatientIdParams,
  RecordsQuery,
} from '../fhir-schemas.js';
import { problemCodes, toProblem } from '../plugins/errors.js';
import { requesterKeys } from '../requester.js';
import type { HospitalRuntime } from '../runtime.js';
import { SECURED } from '../schemas.js';

const VERSION = '0.1.0';
const DEFAULT_COUNT = 50;

/** Every refusal a FHIR client may see, documented as an OperationOutcome. */
const OUTCOMES = Object.fromEntries([400, 401, 403, 404, 502, 503, 504].map((status) => [status, OutcomeSchema]));
const pidOf = (patient: string) => patient.replace(/^Patient\//, '');
const callerOf = (request: FastifyRequest): Caller => ({
  role: request.user.role,
  participantId: request.user.participantId,
  mspId: request.user.mspId,
});

/**
 * The FHIR R4 read facade under /fhir (docs/fhir.md): the CapabilityStatement, searches of each
 * record category and Patient/$everything for a logged-in patient or viewer, grants as Consent,
 * access logs as AuditEvent. Answers are application/fhir+json; every refusal is an OperationOutcome
 * with the REST API's status and problem code. Thin: the FhirFacade service does the work.
 */
export default async function fhirRoutes(app: FastifyInstance, opts: { runtime: HospitalRuntime }): Promise<void> {
  const { runtime } = opts;
  const deps = { client: runtime.client, publicUrl: () => runtime.hospital.publicUrl, transport: runtime.gatekeepers, problemOf: toProblem };
  const facade = new FhirFacade(deps);
  // The statement describes this running gateway: it dates from its start.
  const started = new Date().toISOString();
  const selfUrl = (request: FastifyRequest) => `${facade.baseUrl}${request.url.slice('/fhir'.length)}`;
  const fhir = (reply: FastifyReply, body: unknown) => reply.type(FHIR_JSON).send(body);

  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err);
    if (problem.status >= 500) request.log.error({ err, code: problem.code }, 'FHIR request failed');
    problemCodes.set(reply, problem.code);
    return reply.code(problem.status).type(FHIR_JSON).send(problemOutcome(problem));
  });
  app.setNotFoundHandler((request, reply) => {
    const problem = new Problem(404, 'ROUTE_NOT_FOUND', `no FHIR interaction ${request.method} ${request.url.split('?')[0]}`);
    problemCodes.set(reply, problem.code);
    return reply.code(404).type(FHIR_JSON).send(problemOutcome(problem));
  });

  /** A search of the facade: a session of one of `roles`, a Bundle or an OperationOutcome. */
  const secured = (roles: Role[], summary: string, schema: Record<string, unknown>) => ({
    onRequest: app.requireRole(...roles),
    schema: { tags: ['fhir'], summary, security: SECURED, produces: [FHIR_JSON], response: { 200: BundleSchema, ...OUTCOMES }, ...schema },
  });

  app.get(
    '/metadata',
    { schema: { tags: ['fhir'], summary: "This facade's FHIR R4 CapabilityStatement", produces: [FHIR_JSON], querystring: FormatQuery, response: { 200: CapabilitySchema, ...OUTCOMES } } },
    async (_request, reply) =>
      fhir(
        reply,
        capabilityStatement({
          baseUrl: facade.baseUrl,
          hospital: runtime.hospital.name,
          mspId: runtime.hospital.mspId,
          version: VERSION,
          date: started,
        }),
      ),
  );

  for (const category of CATEGORIES) {
    app.get<{ Querystring: { patient: string } }>(
      `/${category}`,
      secured(['patient', 'viewer'], `Search ${category}: the patient's records from every hospital holding them (patient or viewer)`, {
        querystring: RecordsQuery,
      }),
      async (request, reply) =>
        fhir(reply, await facade.records(await requesterKeys(app, request), callerOf(request), pidOf(request.query.patient), [category], selfUrl(request))),
    );
  }

  // FHIR clients invoke operations by POST (a Parameters body) or GET; $everything takes no parameters here.
  app.addContentTypeParser([FHIR_JSON, 'application/json'], { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch {
      done(new Problem(400, 'MALFORMED_JSON', 'the body is not JSON'));
    }
  });
  app.route<{ Params: { id: string }; Body: unknown }>({
    method: ['GET', 'POST'],
    url: '/Patient/:id/$everything',
    ...secured(['patient', 'viewer'], "Patient/$everything: every category the caller may see of the patient's records, from every hospital holding them", {
      params: PatientIdParams,
      querystring: FormatQuery,
    }),
    handler: async (request, reply) => {
      const body = request.body as { resourceType?: unknown; parameter?: unknown[] } | undefined;
      if (body !== undefined && (body?.resourceType !== 'Parameters' || (body.parameter?.length ?? 0) > 0)) {
        throw new Problem(400, 'UNSUPPORTED_PARAMETER', '$everything takes no parameters here: send no body or an empty Parameters resource');
      }
      return fhir(reply, await facade.records(await requesterKeys(app, request), callerOf(request), request.params.id, CATEGORIES as Category[], selfUrl(request)));
    },
  });

  app.get<{ Querystring: { patient: string } }>(
    '/Consent',
    secured(['patient', 'viewer', 'auditor'], "The ledger's grants on a patient's relationships as R4 Consent (patient, grantee, auditor)", {
      querystring: RecordsQuery,
    }),
    async (request, reply) =>
      fhir(reply, await facade.consents(await requesterKeys(app, request), callerOf(request), pidOf(request.query.patient), selfUrl(request))),
  );

  app.get<{ Querystring: { patient?: string; altid?: string; date?: string | string[]; site?: string; _count?: string; _cursor?: string; _format?: string } }>(
    '/AuditEvent',
    secured(['patient', 'auditor'], "Gatekeeper access logs as R4 AuditEvent (IHE BALP pattern), newest first: a patient's own, or any patient's for an auditor", {
      querystring: AuditEventQuery,
    }),
    async (request, reply) => {
      const q = request.query;
      const { since, until } = dateBounds(q.date === undefined ? [] : [q.date].flat());
      const pageUrl = (cursor: Cursor | null) => {
        const params = new URLSearchParams();
        for (const [name, value] of Object.entries(q)) if (name !== '_cursor') for (const v of [value].flat()) params.append(name, v as string);
        if (cursor) params.set('_cursor', encodeCursor(cursor));
        return `${facade.baseUrl}/AuditEvent${params.size > 0 ? `?${params}` : ''}`;
      };
      const search = {
        patientId: q.patient ? pidOf(q.patient) : null,
        requester: q.altid ?? null,
        since,
        until,
        site: q.site ?? null,
        count: q._count ? Number(q._count) : DEFAULT_COUNT,
        cursor: decodeCursor(q._cursor),
      };
      return fhir(reply, await searchAuditEvents(deps, facade, await requesterKeys(app, request), callerOf(request), search, pageUrl));
    },
  );
}
