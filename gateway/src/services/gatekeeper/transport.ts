/**
 * How a gateway reaches another hospital's gatekeeper: the fetch to use (system/tls.ts hands in one
 * that trusts only the channel members' TLS roots) and how long to wait. Failures to connect become
 * the one set of problems every caller answers with.
 */
import { Problem } from '../problem.js';

export type GatekeeperFetch = (url: URL, init: RequestInit) => Promise<Response>;

export interface GatekeeperTransport {
  fetch: GatekeeperFetch;
  timeoutMs: number;
}

/** Node's TLS error codes for a certificate chain no trusted root vouches for. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

/** The TLS error code under a fetch failure (undici wraps it as `cause`, sometimes twice). */
function tlsCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && (UNTRUSTED.has(e.code) || e.code === 'ERR_TLS_CERT_ALTNAME_INVALID')) return e.code;
  }
  return undefined;
}

/** With TLS on, a gatekeeper endpoint the ledger names as plain http:// is refused before any request is sent. */
export const plainHttpProblem = () =>
  new Problem(502, 'GATEKEEPER_NOT_HTTPS', "the gatekeeper's endpoint on the ledger is not https:// and this gateway requires TLS");

/**
 * What a failed request to a gatekeeper means for the caller: a problem the transport raised itself
 * (GATEKEEPER_NOT_HTTPS) as it is, too slow (504), a server certificate
 * no channel member's TLS CA issued or one for another host name (502, named: the connection was
 * refused before any request was sent), or nothing reachable (502).
 */
export function transportProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  if ((err as Error).name === 'TimeoutError') return new Problem(504, 'GATEKEEPER_TIMEOUT', 'the gatekeeper did not answer in time');
  const code = tlsCode(err);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new Problem(502, 'GATEKEEPER_TLS_HOSTNAME', "the gatekeeper's TLS certificate is not for the host of its endpoint on the ledger");
  }
  if (code) {
    return new Problem(502, 'GATEKEEPER_TLS_UNTRUSTED', `the gatekeeper's TLS certificate is not issued by a channel member's TLS CA (${code})`);
  }
  return new Problem(502, 'GATEKEEPER_UNREACHABLE', 'the gatekeeper could not be reached');
}
