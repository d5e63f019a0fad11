import { X509Certificate, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, errors as joseErrors } from 'jose';
import { identityId, type Category } from '@medrec/chaincode/domain';
import { DEFAULT_LIFETIME_SECONDS, REQUEST_TYP } from '@medrec/client/protocol';
import { badRequest, unauthorized } from '../problem.js';
import type { Signer } from '../../ports/ledger.js';
import { certificateSubject } from '../../pki/certificate.js';
import { parseClaims, type RequestClaims } from './claims.js';
import type { ReplayCache } from './replay.js';
import type { TrustStore } from '../../pki/trust-store.js';

export { JOSE_MEDIA_TYPE, REQUEST_TYP } from '@medrec/client/protocol';

export interface RequestSpec {
  rel: string;
  cat: Category;
  fields: string[];
  /** origin of the gatekeeper that will answer */
  aud: string;
}

export interface SignOptions {
  nowSeconds?: number;
  lifetimeSeconds?: number;
  jti?: string;
}

/** `iat`, `exp` and a fresh `jti` for a short-lived signed request. */
export function freshClaims(options: SignOptions = {}): { iat: number; exp: number; jti: string } {
  const iat = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  return {
    iat,
    exp: iat + (options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS),
    jti: options.jti ?? randomBytes(18).toString('base64url'),
  };
}

/** A compact ES256 JWS of `claims` with header `{alg, typ, x5c: [the signer's certificate]}`. */
export async function signJws(signer: Signer, typ: string, claims: object): Promise<string> {
  const der = new X509Certificate(signer.certificate).raw.toString('base64');
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', typ, x5c: [der] })
    .sign(createPrivateKey(signer.privateKey));
}

/** Signs a gatekeeper request with the requester's own enrolled key, carrying their certificate. */
export async function signRequest(signer: Signer, spec: RequestSpec, options: SignOptions = {}): Promise<string> {
  const claims: RequestClaims = { ...spec, ...freshClaims(options) };
  return signJws(signer, REQUEST_TYP, claims);
}

/** A verified signed token of any kind the gatekeeper accepts: who signed it, and its checked claims. */
export interface VerifiedToken<C> {
  claims: C;
  /** the certificate of x5c[0], which verified the signature */
  certificate: X509Certificate;
  mspId: string;
  enrollmentId: string;
  role: string | null;
  /** identityId(mspId, enrollmentId): the iid the ledger decides for */
  identityId: string;
}

export type VerifiedRequest = VerifiedToken<RequestClaims>;

/** One kind of signed token: its `typ`, and the pure check of its claims (shape, allowlists, audience, time). */
export interface TokenKind<C extends { jti: string; exp: number }> {
  typ: string;
  parse(payload: unknown, audience: string, nowSeconds: number): C;
}

/** The data request: `{rel, cat, fields, aud, iat, exp, jti}` (claims.ts). */
export const DATA_REQUEST: TokenKind<RequestClaims> = { typ: REQUEST_TYP, parse: parseClaims };

interface KnownCertificate {
  cert: X509Certificate;
  key: KeyObject;
  mspId: string;
  enrollmentId: string;
  role: string | null;
  identityId: string;
  notBefore: number;
  notAfter: number;
  /** The trust store's version the chain was checked against: a new channel configuration re-checks it. */
  trustVersion: number;
}

const MAX_CACHED_CERTIFICATES = 10_000;
const MAX_X5C_CHARS = 8_192;

/**
 * Verifies signed gatekeeper requests: ES256 only, the signature by the key of the x5c certificate,
 * that certificate chaining to a channel member's CA (which decides the MSP), inside its validity,
 * the claims' shape, audience and lifetime, and finally a never-seen jti. Chain verification is
 * cached per certificate (validity is still checked on every request); the signature never is.
 */
export class RequestVerifier {
  private readonly known = new Map<string, KnownCertificate>();

  constructor(
    private readonly trust: TrustStore,
    private readonly replay: ReplayCache,
    private readonly audience: () => string,
  ) {}

  /**
   * `seen` is filled in as far as verification gets (who, once the signature holds; what, once the
   * claims are valid), so a refusal can still be audited with whatever was proven.
   */
  async verify(jws: string, seen: Partial<VerifiedRequest> = {}, nowMs = Date.now()): Promise<VerifiedRequest> {
    return this.verifyToken(jws, DATA_REQUEST, seen, nowMs);
  }

  /** The same checks for another kind of signed token (its own `typ`, so no token passes for another kind). */
  async verifyToken<C extends { jti: string; exp: number }>(
    jws: string,
    kind: TokenKind<C>,
    seen: Partial<VerifiedToken<C>> = {},
    nowMs = Date.now(),
  ): Promise<VerifiedToken<C>> {
    const header = protectedHeader(jws);
    if (header['alg'] !== 'ES256') throw unauthorized('ALG_NOT_ALLOWED', 'gatekeeper requests must be signed with ES256');
    if (header['typ'] !== kind.typ) throw badRequest('MALFORMED_REQUEST', `typ must be ${kind.typ}`);
    const x5c = header['x5c'];
    if (!Array.isArray(x5c) || typeof x5c[0] !== 'string' || x5c[0].length > MAX_X5C_CHARS) {
      throw badRequest('MALFORMED_REQUEST', "x5c must hold the requester's certificate");
    }
    const cert = this.certificate(x5c[0]);
    if (this.trust.isRevoked(cert.mspId, cert.cert)) {
      throw unauthorized('CERTIFICATE_REVOKED', 'the certificate has been revoked by its CA');
    }
    if (nowMs < cert.notBefore || nowMs > cert.notAfter) {
      throw unauthorized('CERTIFICATE_EXPIRED', 'the certificate or its CA is outside its validity period');
    }
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(jws, cert.key, { algorithms: ['ES256'] }));
    } catch (err) {
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
        throw unauthorized('SIGNATURE_INVALID', 'the signature does not verify with the certificate');
      }
      throw badRequest('MALFORMED_REQUEST', 'the body is not a valid compact JWS');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
    } catch {
      throw badRequest('MALFORMED_REQUEST', 'the JWS payload is not JSON');
    }
    const { mspId, enrollmentId, role, identityId } = cert;
    Object.assign(seen, { certificate: cert.cert, mspId, enrollmentId, role, identityId });
    const nowSeconds = Math.floor(nowMs / 1000);
    const claims = kind.parse(parsed, this.audience(), nowSeconds);
    seen.claims = claims;
    if (!this.replay.claim(identityId, claims.jti, claims.exp, nowSeconds)) {
      throw unauthorized('REPLAYED_REQUEST', 'this signed request was already used');
    }
    return { claims, certificate: cert.cert, mspId, enrollmentId, role, identityId };
  }

  private certificate(b64: string): KnownCertificate {
    const cached = this.known.get(b64);
    if (cached && cached.trustVersion === this.trust.version) return cached;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(Buffer.from(b64, 'base64'));
    } catch {
      throw badRequest('MALFORMED_REQUEST', 'x5c[0] is not a DER certificate');
    }
    const chain = this.trust.chainOf(cert);
    if (!chain) throw unauthorized('CERTIFICATE_UNTRUSTED', "the certificate was not issued by a channel member's CA");
    let subject;
    try {
      subject = certificateSubject(cert);
    } catch {
      throw unauthorized('CERTIFICATE_UNTRUSTED', 'the certificate names no enrollment id');
    }
    const known: KnownCertificate = {
      cert,
      key: cert.publicKey,
      mspId: chain.mspId,
      enrollmentId: subject.enrollmentId,
      role: subject.role,
      identityId: identityId(chain.mspId, subject.enrollmentId),
      notBefore: chain.notBefore,
      notAfter: chain.notAfter,
      trustVersion: this.trust.version,
    };
    if (this.known.size >= MAX_CACHED_CERTIFICATES) this.known.clear();
    this.known.set(b64, known);
    return known;
  }
}

function protectedHeader(jws: string): Record<string, unknown> {
  const parts = jws.split('.');
  if (parts.length !== 3) throw badRequest('MALFORMED_REQUEST', 'the body is not a compact JWS');
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    if (typeof header === 'object' && header !== null && !Array.isArray(header)) return header as Record<string, unknown>;
  } catch {
    // fall through: reported below as malformed
  }
  throw badRequest('MALFORMED_REQUEST', 'the JWS header is not a JSON object');
}
