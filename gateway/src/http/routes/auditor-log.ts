import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Research } from '../../contract/medrec.js';
import { AUDIT_PAGE_MAX } from '../../services/gatekeeper/audit-claims.js';
import { queryAuditLog } from '../../services/gatekeeper/requester.js';
import { notFound } from '../../services/problem.js';
import { AuditAnswerSchema } from '../audit-schemas.js';
import { requesterKeys } from '../requester.js';
import type { HospitalRuntime } from '../runtime.js';
import { MspId, SECURED, problems } from '../schemas.js';

/**
 * An auditor reads a hospital's gatekeeper access log as its raw, hash-chained records (what
 * `npm run audit -- verify` checks against the ledger's anchors). Another hospital's log is read
 * only through that hospital's gatekeeper, as a signed audit query in the auditor's name (the same
 * path and checks as POST /gatekeeper/audit); its gatekeeper is the one it published on the ledger.
 */
export const auditorLogRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, runtime) => {
  const { client, hospital, gatekeepers } = runtime;

  app.get(
    '/auditor/access-log',
    {
      onRequest: app.requireRole('auditor'),
      schema: {
        tags: ['auditor'],
        summary: "A hospital's gatekeeper access log, a page of raw chained records (newest first), read by a signed audit query",
        security: SECURED,
        querystring: Type.Object(
          {
            msp: Type.Optional(MspId),
            before: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: "records below this seq (the previous page's `next`)" })),
            limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: `1-${AUDIT_PAGE_MAX} (default ${AUDIT_PAGE_MAX})` })),
            requester: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: "a requester's identity id" })),
            since: Type.Optional(Type.String({ format: 'date-time' })),
            until: Type.Optional(Type.String({ format: 'date-time' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: AuditAnswerSchema, ...problems(400, 401, 403, 404, 502, 503, 504) },
      },
    },
    async (request) => {
      const { msp = hospital.mspId, requester = null, since = null, until = null } = request.query;
      const before = request.query.before === undefined ? null : Number(request.query.before);
      const limit = Math.min(Number(request.query.limit ?? AUDIT_PAGE_MAX), AUDIT_PAGE_MAX);
      const signer = await app.signerFor(request);
      let origin = hospital.publicUrl;
      if (msp !== hospital.mspId) {
        const published = (await client.evaluate(signer, Research.gatekeepers())).find((g) => g.mspId === msp);
        if (!published) throw notFound('NO_GATEKEEPER', 'that hospital publishes no gatekeeper on the ledger');
        origin = published.endpoint;
      }
      const spec = { rels: [], requester, since, until, before, limit };
      return queryAuditLog(await requesterKeys(app, request), new URL(origin), spec, gatekeepers);
    },
  );
};
