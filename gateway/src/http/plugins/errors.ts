import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { UnknownCategoryError } from '../../services/records/categories.js';
import { EhrUnavailableError } from '../../ports/ehr.js';
import { IdentityError } from '../../ports/identity.js';
import {
  AccessDeniedError,
  ChaincodeError,
  LedgerUnavailableError,
  TransactionInvalidError,
  TransactionOutcomeUnknownError,
  type ChaincodeErrorCode,
} from '../../ports/ledger.js';
import { PeerRefusal, PeerUnreachable } from '../../ports/peers.js';
import { HOSPITAL_UNREACHABLE } from '../../services/custodial/delegates.js';
import { PROBLEM_CONTENT_TYPE, Problem } from '../../services/problem.js';

/** How each chaincode refusal reads over HTTP; the chaincode's code is kept as the problem code. */
const CHAINCODE_STATUS: Record<ChaincodeErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  EXPIRED: 410,
  LIMIT_EXCEEDED: 422,
};

const IDENTITY_STATUS: Record<IdentityError['code'], number> = {
  INVALID_ARGUMENT: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
};

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'MALFORMED_REQUEST'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'MALFORMED_JSON'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'MALFORMED_JSON'],
};

/** Ajv's complaint, without the offending value (it may be PHI or an attack string). */
function validationProblem(err: FastifyError): Problem {
  const errors = (err.validation ?? []).map((v) => ({
    in: err.validationContext ?? 'request',
    path: v.instancePath || '/',
    message: v.message ?? 'invalid',
  }));
  return new Problem(400, 'VALIDATION_FAILED', 'the request does not match the schema', { errors });
}

/**
 * A transaction the network ordered but invalidated at commit wrote nothing: a concurrent change
 * beat it (409 CONFLICT: read and try again), its endorsements did not satisfy the policy, or its
 * creator was no longer valid by then (403). Never a server fault.
 */
function invalidated(err: TransactionInvalidError): Problem {
  const code = err.validationCode;
  if (code === 'ENDORSEMENT_POLICY_FAILURE') return new Problem(403, 'ENDORSEMENT_REFUSED', 'the endorsing organisations did not endorse this change', { txId: err.txId });
  if (/CREATOR|SIGNATURE|CERTIFICATE/.test(code)) return new Problem(403, 'ACCESS_DENIED', 'the network no longer accepts your certificate', { txId: err.txId });
  return new Problem(409, 'CONFLICT', `a concurrent change was committed first (${code}); nothing was changed`, { txId: err.txId, validationCode: code });
}

/** Maps anything thrown by a route or adapter to an RFC 9457 problem with a stable code. */
export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof ChaincodeError) return new Problem(CHAINCODE_STATUS[err.code], err.code, err.message);
  // The ledger refused the caller's certificate itself (revoked, unknown): never a server fault.
  if (err instanceof AccessDeniedError) return new Problem(403, err.code, 'the ledger refused your certificate');
  if (err instanceof TransactionInvalidError) return invalidated(err);
  // Sent for ordering, outcome not learnt in time: it may still commit. Ask by its id before retrying.
  if (err instanceof TransactionOutcomeUnknownError) {
    return new Problem(503, 'OUTCOME_UNKNOWN', 'the change was sent but its outcome is not known yet; ask its status before retrying', {
      txId: err.txId,
      statusUrl: `/transactions/${err.txId}`,
      retryAfterSeconds: 5,
    });
  }
  // Another hospital's gateway, acting for a custodial patient's delegate (docs/privacy.md §3).
  if (err instanceof PeerRefusal) return new Problem(err.status, err.code, err.message);
  if (err instanceof PeerUnreachable) {
    return new Problem(503, HOSPITAL_UNREACHABLE, `${err.mspId}'s gateway does not answer now`, { hospital: err.mspId, retryAfterSeconds: 5 });
  }
  if (err instanceof LedgerUnavailableError) {
    return new Problem(503, 'LEDGER_UNAVAILABLE', 'the ledger cannot be reached; nothing was changed');
  }
  if (err instanceof EhrUnavailableError) {
    return new Problem(503, 'EHR_UNAVAILABLE', 'the hospital records database cannot be reached');
  }
  if (err instanceof IdentityError) {
    const status = IDENTITY_STATUS[err.code];
    return new Problem(status, status === 503 ? 'IDENTITY_UNAVAILABLE' : `IDENTITY_${err.code}`, err.message);
  }
  if (err instanceof UnknownCategoryError) {
    return new Problem(404, 'CATEGORY_NOT_AVAILABLE', 'this hospital keeps no records of that category');
  }
  const fe = err as FastifyError;
  if (fe?.validation) return validationProblem(fe);
  const known = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return new Problem(known[0], known[1], fe.message);
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new Problem(fe.statusCode, 'BAD_REQUEST', fe.message);
  }
  return new Problem(500, 'INTERNAL', 'internal error');
}

/** The problem code each refused reply carried, for the metrics plugin. */
export const problemCodes = new WeakMap<FastifyReply, string>();

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: Problem): FastifyReply {
  problemCodes.set(reply, problem.code);
  const wait = problem.extensions['retryAfterSeconds'];
  if (typeof wait === 'number') reply.header('retry-after', String(wait));
  return reply
    .code(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .serializer((body: unknown) => JSON.stringify(body))
    .send(problem.toBody(request.url.split('?')[0]));
}

async function errors(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err);
    if (problem.status >= 500) {
      request.log.error({ err, code: problem.code }, 'request failed');
    } else {
      request.log.info({ code: problem.code, status: problem.status }, 'request refused');
    }
    return sendProblem(reply, request, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new Problem(404, 'ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}

export default fp(errors, { name: 'medrec-errors', fastify: '5.x' });
