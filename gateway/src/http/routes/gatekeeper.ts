import type { Category } from '@medrec/chaincode/domain';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuditAnchorer, type AnchorOptions } from '../audit/anchor.js';
import type { AuditLog } from '../audit/log.js';
import type { AuditEntry } from '../audit/record.js';
import type {} from '../auth/session.js';
import type { HospitalConfig } from '../config/config.js';
import { Problem } from '../http/problem.js';
import type { LedgerPort, Signer } from '../ports/ledger.js';
import { sendProblem, toProblem } from '../plugins/errors.js';
import { answerRequest, type AnswerDeps, type GatekeeperAnswer } from './answer.js';
import { fetchRecords } from './client.js';
import { ReplayCache } from './replay.js';
import { AnswerSchema, FetchAnswerSchema, FetchBody, JWS_PATTERN, ProblemSchema } from './schemas.js';
import { JOSE_MEDIA_TYPE, RequestVerifier, type VerifiedRequest } from './signed-request.js';
import type { TrustStore } from './trust.js';

export interface GatekeeperOptions {
  ledger: LedgerPort;
  records: AnswerDeps['records'];
  links: AnswerDeps['links'];
  trust: TrustStore;
  /** this hospital's records-service identity (role provider) */
  service: Signer;
  audit: AuditLog;
  /** read on every request: `publicUrl` may be settled only after listen (port 0) */
  hospital: Pick<HospitalConfig, 'mspId' | 'publicUrl'>;
  /** largest accepted signed request; a JWS with one certificate is ~2 KiB */
  bodyLimit?: number;
  /** how long /records/fetch waits for the remote gatekeeper */
  fetchTimeoutMs?: number;
  /** when the audit log is anchored on the ledger (as `service`); false: someone else anchors it */
  anchoring?: Pick<AnchorOptions, 'everyRecords' | 'intervalMs' | 'retryMs'> | false;
}

const DEFAULT_BODY_LIMIT = 16 * 1024;

/**
 * The Database Gatekeeper (docs/DESIGN.md, "Gateway internals"): POST /gatekeeper/query for signed
 * requests from anyone on the channel, and POST /records/fetch for this gateway's logged-in users.
 * Every gatekeeper answer, served or refused, is durably audited before it is sent.
 */
export default async function gatekeeper(app: FastifyInstance, opts: GatekeeperOptions): Promise<void> {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const replay = new ReplayCache(opts.audit.liveJtis(nowSeconds()));
  const verifier = new RequestVerifier(opts.trust, replay, () => new URL(opts.hospital.publicUrl).origin);
  const proven = new WeakMap<FastifyRequest, Partial<VerifiedRequest>>();
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;

  if (opts.anchoring !== false) {
    const anchorer = new AuditAnchorer({
      log: opts.audit,
      ledger: opts.ledger,
      signer: opts.service,
      ...opts.anchoring,
      onError: (err, range) => app.log.warn({ err, ...range }, 'audit anchoring failed; will retry'),
    });
    app.addHook('onReady', () => anchorer.start());
    app.addHook('onClose', async () => anchorer.stop());
  }

  const audited = async (request: FastifyRequest, decision: string, status: number, hashMatches: boolean | null) => {
    const seen = proven.get(request) ?? {};
    const entry: AuditEntry = {
      at: new Date().toISOString(),
      requester: seen.identityId ?? null,
      mspId: seen.mspId ?? null,
      role: seen.role ?? null,
      relationshipId: seen.claims?.rel ?? null,
      category: seen.claims?.cat ?? null,
      fields: seen.claims?.fields ?? null,
      decision,
      status,
      hashMatches,
      jti: seen.claims?.jti ?? null,
      exp: seen.claims?.exp ?? null,
    };
    await opts.audit.append(entry);
  };

  const refuse = async (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const problem =
      (err as FastifyError).validation !== undefined
        ? new Problem(400, 'MALFORMED_REQUEST', 'the body must be one compact JWS')
        : toProblem(err);
    if (problem.status >= 500) request.log.error({ err, code: problem.code }, 'gatekeeper request failed');
    try {
      await audited(request, problem.code, problem.status, null);
    } catch (auditErr) {
      request.log.error({ err: auditErr }, 'audit log write failed');
      return sendProblem(reply, request, new Problem(503, 'AUDIT_UNAVAILABLE', 'the audit log cannot be written'));
    }
    return sendProblem(reply, request, problem);
  };

  // Its own scope: the only body this route parses is a compact JWS; JSON and the rest get 415.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(JOSE_MEDIA_TYPE, { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body));

    scope.post<{ Body: string }>(
      '/gatekeeper/query',
      {
        bodyLimit,
        errorHandler: refuse,
        schema: {
          summary: 'Answer a signed request for one relationship category (the Database Gatekeeper)',
          description:
            "Body: a compact ES256 JWS (application/jose) signed by the requester's own enrolled key, header x5c = [certificate]. " +
            'No session token is accepted here.',
          tags: ['gatekeeper'],
          consumes: [JOSE_MEDIA_TYPE],
          body: Type.String({ pattern: JWS_PATTERN, maxLength: bodyLimit }),
          response: { 200: AnswerSchema, '4xx': ProblemSchema, '5xx': ProblemSchema },
        },
      },
      async (request): Promise<GatekeeperAnswer> => {
        const seen: Partial<VerifiedRequest> = {};
        proven.set(request, seen);
        const verified = await verifier.verify(request.body, seen);
        const answer = await answerRequest({ ...opts, mspId: opts.hospital.mspId }, verified);
        try {
          await audited(request, answer.decision, 200, answer.hashMatches);
        } catch (auditErr) {
          request.log.error({ err: auditErr }, 'audit log write failed');
          // No record, no data: the refusal below is itself attempted as an audit record.
          throw new Problem(503, 'AUDIT_UNAVAILABLE', 'the audit log cannot be written');
        }
        return answer;
      },
    );
  });

  app.post<{ Body: { relationshipId: string; category: Category; fields?: string[] } }>(
    '/records/fetch',
    {
      preHandler: app.requireRole(),
      schema: {
        summary: "Fetch a relationship's records from its provider's gatekeeper, signed as you",
        tags: ['records'],
        security: [{ bearerAuth: [] }],
        body: FetchBody,
        response: { 200: FetchAnswerSchema, '4xx': ProblemSchema, '5xx': ProblemSchema },
      },
    },
    async (request) => {
      const signer = await app.signerFor(request);
      const { relationshipId, category, fields = [] } = request.body;
      return fetchRecords(opts.ledger, signer, { relationshipId, category, fields }, opts.fetchTimeoutMs ?? 10_000);
    },
  );
}
