import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEntry } from '../services/audit/record.js';
import { sealTo, wantsSealed } from '../services/gatekeeper/sealed.js';
import { JOSE_MEDIA_TYPE, type RequestVerifier, type TokenKind, type VerifiedToken } from '../services/gatekeeper/signed-request.js';
import { Problem } from '../services/problem.js';
import { JWS_PATTERN } from './gatekeeper-schemas.js';
import { gatekeeperRefusals, type RefusalOptions } from './gatekeeper-refusals.js';
import type { LimitName } from './plugins/limits.js';
import type { HospitalRuntime } from './runtime.js';
import { Problem as ProblemSchema } from './schemas.js';

type Claims = { jti: string; exp: number };

/** What a signed request proved, as far as its verification got: all its audit record can say of who and what. */
export type Seen<C> = Partial<VerifiedToken<C>>;

/** What an audit record says a request was about (who, when and the outcome the scope adds). */
export type AuditSubject = Pick<AuditEntry, 'relationshipId' | 'category' | 'fields'> & { queryId?: string };

export interface SignedScopeOptions<C extends Claims> {
  runtime: HospitalRuntime;
  /** the routes' name in the unaudited-refusals metric */
  route: RefusalOptions['route'];
  /** the largest signed request accepted */
  bodyLimit: number;
  /** The audit records of one answer or refusal: one per subject (at least one). */
  subjects(seen: Seen<C>): AuditSubject[];
}

/** What a signed route answers: its body, and the decision its audit record names. */
export interface Served<A> {
  decision: string;
  hashMatches?: boolean | null;
  body: A;
}

export interface SignedRoute<C extends Claims, A> {
  url: string;
  /** the token kind it accepts (its typ and claims) */
  kind: TokenKind<C>;
  /** the budget each verified certificate identity spends */
  limit: LimitName;
  /** a refusal by who signed (its role), before that budget is spent */
  authorize?(verified: VerifiedToken<C>): void;
  schema: { summary: string; description: string; tags: string[]; answer: TSchema };
  /** with `Accept: application/jose` the answer is a compact JWE of this content type, sealed to the signer's certificate */
  sealedCty?: string;
  answer(verified: VerifiedToken<C>, request: FastifyRequest): Promise<Served<A>>;
}

export interface SignedScope<C extends Claims> {
  /** the gatekeeper's one verifier (`app.requestVerifier`: one replay cache for every signed route) */
  verifier: RequestVerifier;
  route<K extends C, A>(spec: SignedRoute<K, A>): void;
}

/**
 * A scope of the gatekeeper's signed routes (docs/DESIGN.md, "Gateway internals"): the only body
 * parsed is one compact JWS (application/jose; anything else is 415); each request is verified by
 * the gatekeeper's one RequestVerifier (plugins/signed-requests.ts: channel CA, CRL, validity,
 * signature, audience, lifetime, replay — one replay cache for every scope),
 * rate-limited per address before it is read (`gatekeeperUnverified`) and per certificate once
 * verified; every answer to a request signed with a valid certificate, served or refused, is
 * durably audited before it is sent: no record, no answer (503 AUDIT_UNAVAILABLE). Refusals of
 * anything else are counted, not audited (gatekeeper-refusals.ts).
 */
export async function signedScope<C extends Claims>(
  app: FastifyInstance,
  opts: SignedScopeOptions<C>,
  routes: (scope: SignedScope<C>) => void,
): Promise<void> {
  const { runtime, bodyLimit } = opts;
  const { audit } = runtime;
  if (!app.hasDecorator('requestVerifier')) throw new Error('signed routes need the medrec-signed-requests plugin registered first');
  const verifier = app.requestVerifier;
  const proven = new WeakMap<FastifyRequest, Seen<C>>();

  const audited = async (request: FastifyRequest, decision: string, status: number, hashMatches: boolean | null) => {
    const seen = proven.get(request) ?? {};
    const at = new Date().toISOString();
    await Promise.all(
      opts.subjects(seen).map(({ relationshipId, category, fields, queryId }) => {
        const entry: AuditEntry = {
          at,
          requester: seen.identityId ?? null,
          mspId: seen.mspId ?? null,
          role: seen.role ?? null,
          relationshipId,
          category,
          fields,
          decision,
          status,
          hashMatches,
          jti: seen.claims?.jti ?? null,
          exp: seen.claims?.exp ?? null,
          ...(queryId ? { queryId } : {}),
        };
        return audit.append(entry);
      }),
    );
  };

  const refuse = gatekeeperRefusals(app, {
    route: opts.route,
    verified: (request) => proven.get(request)?.identityId !== undefined,
    audit: (request, problem) => audited(request, problem.code, problem.status, null),
  });

  const body = Type.String({ pattern: JWS_PATTERN, maxLength: bodyLimit });

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(JOSE_MEDIA_TYPE, { parseAs: 'string', bodyLimit }, (_req, raw, done) => done(null, raw));

    const route = <K extends C, A>(spec: SignedRoute<K, A>) => {
      const { summary, description, tags, answer } = spec.schema;
      scope.post<{ Body: string }>(
        spec.url,
        {
          bodyLimit,
          config: { limit: 'gatekeeper' },
          // An address that sent too many unverified requests is refused before its body is read.
          onRequest: async (request) => app.rateLimited('gatekeeperUnverified', request, { count: false }),
          errorHandler: refuse,
          schema: {
            summary,
            description,
            tags,
            consumes: [JOSE_MEDIA_TYPE],
            body,
            response: { 200: answer, '4xx': ProblemSchema, '5xx': ProblemSchema },
          },
        },
        async (request, reply: FastifyReply) => {
          const seen: Seen<K> = {};
          proven.set(request, seen);
          const verified = await verifier.verifyToken(request.body, spec.kind, seen);
          spec.authorize?.(verified);
          await app.rateLimited(spec.limit, request, { key: verified.identityId });
          const served = await spec.answer(verified, request);
          try {
            await audited(request, served.decision, 200, served.hashMatches ?? null);
          } catch (auditErr) {
            request.log.error({ err: auditErr }, 'audit log write failed');
            // No record, no data: the refusal is itself attempted as an audit record.
            throw new Problem(503, 'AUDIT_UNAVAILABLE', 'the audit log cannot be written');
          }
          if (spec.sealedCty === undefined || !wantsSealed(request.headers.accept)) return served.body;
          return reply.type(JOSE_MEDIA_TYPE).send(await sealTo(served.body, spec.sealedCty, verified.certificate, verified.claims.jti));
        },
      );
    };
    routes({ verifier, route });
  });
}
