/**
 * `Idempotency-Key` on every state-changing route: a client that did not get an answer (a timeout,
 * a dropped connection, a 503) sends the same request again with the same key and gets the first
 * request's answer instead of a second change. Keys belong to the signed-in caller; the first final
 * answer (2xx or 4xx) is stored and replayed; an answer that is not final (5xx: nothing changed, or
 * the outcome is unknown) frees the key, so the retry runs again — the domain's own rules (one
 * relationship per patient and hospital, grants and decisions that settle on the current state)
 * keep that from changing anything twice.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { fingerprint, type IdempotencyStore } from '../../services/idempotency/store.js';
import { Problem } from '../../services/problem.js';
import { sendProblem } from './errors.js';

/** Route config: `false` for a route that only reads (a POST for its body); `omit` the answer's fields never stored (secrets). */
export type IdempotencyConfig = false | { omit: readonly string[] };

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotency?: IdempotencyConfig;
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY = /^[\x21-\x7e]{1,255}$/;

interface Claimed {
  caller: string;
  key: string;
  omit: readonly string[];
}

function stored(payload: string, omit: readonly string[]): string {
  if (omit.length === 0) return payload;
  try {
    const body = JSON.parse(payload) as Record<string, unknown>;
    for (const field of omit) delete body[field];
    return JSON.stringify(body);
  } catch {
    return payload;
  }
}

async function idempotency(app: FastifyInstance, { store }: { store: IdempotencyStore }): Promise<void> {
  const claims = new WeakMap<FastifyRequest, Claimed>();

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const config = request.routeOptions.config.idempotency;
    const header = request.headers[IDEMPOTENCY_HEADER];
    if (header === undefined || config === false || !CHANGES.has(request.method) || !request.user) return;
    const key = Array.isArray(header) ? header.join(',') : header;
    if (!KEY.test(key)) {
      return sendProblem(reply, request, new Problem(400, 'IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1 to 255 visible ASCII characters'));
    }
    const caller = `${request.user.mspId}/${request.user.sub}`;
    const claim = store.claim(caller, key, fingerprint(request.method, request.url.split('?')[0]!, request.body));
    switch (claim.kind) {
      case 'claimed':
        claims.set(request, { caller, key, omit: config?.omit ?? [] });
        return;
      case 'replay':
        return reply.code(claim.answer.status).header('content-type', claim.answer.contentType).header('idempotent-replayed', 'true').send(claim.answer.body);
      case 'mismatch':
        return sendProblem(reply, request, new Problem(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request'));
      case 'in-flight':
        return sendProblem(
          reply,
          request,
          new Problem(409, 'IDEMPOTENCY_KEY_IN_USE', 'a request with this Idempotency-Key is still running; ask again shortly', { retryAfterSeconds: 1 }),
        );
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claimed = claims.get(request);
    if (!claimed) return payload;
    claims.delete(request);
    if (reply.statusCode < 500 && (typeof payload === 'string' || payload === null || payload === undefined)) {
      store.complete(claimed.caller, claimed.key, {
        status: reply.statusCode,
        contentType: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8'),
        body: stored(payload ?? '', claimed.omit),
      });
    } else {
      store.release(claimed.caller, claimed.key);
    }
    return payload;
  });
}

export default fp(idempotency, { name: 'medrec-idempotency', fastify: '5.x', dependencies: ['medrec-errors'] });
