/**
 * The home gateway's relay (docs/device-keys.md §6): a device-signed gatekeeper request goes out
 * unchanged to the gatekeeper of its relationship, and the answer, sealed to the device, comes back
 * unchanged. The relay reads nothing of it. It forwards only the caller's own requests, and only to
 * the gatekeeper the ledger names as the relationship's endpoint: it is no open proxy.
 */
import { X509Certificate } from 'node:crypto';
import { JOSE_MEDIA_TYPE } from '@medrec/client/protocol';
import { Problem, badRequest, forbidden } from '../problem.js';
import { gatekeeperUrl, sendSigned, type GatekeeperRoute } from './requester.js';
import type { GatekeeperTransport } from './transport.js';

export interface RelayRequest {
  jws: string;
  /** The session's certificate: only its own requests are relayed. */
  certificate: string;
  /** The endpoint of a relationship as the ledger says, read for this caller; undefined when it could not be. */
  endpointOf(relationshipId: string): Promise<string | undefined>;
  transport: GatekeeperTransport;
  /** Which gatekeeper route, and the media type its answer must have: a sealed data answer by default. */
  target?: { route: GatekeeperRoute; accept: string };
}

const malformed = () => badRequest('MALFORMED_REQUEST', 'the body must be one compact JWS naming rel and aud');

/** A compact JWS's header (0) or claims (1), as an object; MALFORMED_REQUEST otherwise. */
export function part(jws: string, index: 0 | 1): Record<string, unknown> {
  const parts = jws.split('.');
  if (parts.length !== 3) throw malformed();
  try {
    const value = JSON.parse(Buffer.from(parts[index]!, 'base64url').toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw malformed();
}

/** Forwards the request; answers the gatekeeper's answer (the sealed JWE for a data request), or throws the gatekeeper's own refusal (same status and code). */
export async function relay(request: RelayRequest): Promise<string> {
  const header = part(request.jws, 0);
  const claims = part(request.jws, 1);
  const x5c = header['x5c'];
  if (!Array.isArray(x5c) || typeof x5c[0] !== 'string' || typeof claims['rel'] !== 'string' || typeof claims['aud'] !== 'string') throw malformed();
  if (!signedWith(x5c[0], request.certificate)) throw forbidden('RELAY_NOT_YOURS', 'only requests signed with your own certificate are relayed');
  const endpoint = await request.endpointOf(claims['rel']);
  if (endpoint === undefined) {
    throw forbidden('RELAY_UNKNOWN_RELATIONSHIP', 'read the relationship first (a device reads it with a device-signed Relationship.get)');
  }
  const target = new URL(endpoint);
  if (target.origin !== claims['aud']) throw forbidden('RELAY_AUDIENCE', "aud is not the origin of the relationship's endpoint on the ledger");
  const { route, accept } = request.target ?? { route: 'query', accept: JOSE_MEDIA_TYPE };
  const res = await sendSigned(gatekeeperUrl(target, route), request.jws, request.transport, accept);
  const text = await res.text();
  if (res.ok && (res.headers.get('content-type') ?? '').startsWith(accept)) return text;
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  if (!res.ok && typeof body?.['code'] === 'string') {
    throw new Problem(res.status, body['code'], typeof body['detail'] === 'string' ? body['detail'] : 'refused by the gatekeeper', { source: 'gatekeeper' });
  }
  throw new Problem(502, 'GATEKEEPER_BAD_RESPONSE', `the gatekeeper did not answer with ${accept}`);
}

/** Whether the JWS's x5c leaf is exactly this certificate (PEM): only a caller's own requests are relayed. */
export function signedWith(x5cLeaf: string, certificate: string): boolean {
  try {
    return new X509Certificate(Buffer.from(x5cLeaf, 'base64')).raw.equals(new X509Certificate(certificate).raw);
  } catch {
    return false;
  }
}
