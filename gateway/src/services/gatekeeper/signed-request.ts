import { X509Certificate, createHash, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import { LRUCache } from 'lru-cache';
import { identityId, type Category } from '@medrec/chaincode/domain';
import { DEFAULT_LIFETIME_SECONDS, REQUEST_TYP } from '@medrec/client/protocol';
import { badRequest, unauthorized } from '../problem.js';
import type { Signer } from '../../ports/ledger.js';
import { certificateSubject, normalSerial } from '../../pki/certificate.js';
import { parseClaims, type RequestClaims } from './claims.js';
import { compactParts, verifyCompact, type CompactParts } from './jws.js';
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
  /** normalSerial of the certificate: what the CRLs name, read once */
  serial: string;
  /** The trust store's version the chain was checked against: a new channel configuration re-checks it. */
  trustVersion: number;
}

/**
 * Certificates whose chain was verified, kept by default (the gateway's `certificateCacheSize`). A
 * gatekeeper serves a large but recurring population of requesters; a cache smaller than the
 * certificates in use, under round-robin access, misses every time. One entry is a parsed certificate,
 * its key and a few strings, ~1–2 kB: 50,000 hold ~50–100 MB at most.
 */
export const DEFAULT_CERTIFICATE_CACHE_SIZE = 50_000;
const MAX_X5C_CHARS = 8_192;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Verifies signed gatekeeper requests: ES256 only, the signature by the key of the x5c certificate,
 * that certificate chaining to a channel member's CA (which decides the MSP), inside its validity,
 * the claims' shape, audience and lifetime, and finally a never-seen jti. Chain verification is
 * cached per certificate (keyed by the SHA-256 of its x5c text, `cacheSize` entries, least recently
 * used first out; validity and revocation are still checked on every request, against the trust as it
 * is then); the signature never is, and it is verified on libuv's thread pool (./jws.ts).
 */
export class RequestVerifier {
  private readonly known: LRUCache<string, KnownCertificate>;
  private readonly certificates = new WeakMap<object, KnownCertificate>();

  constructor(
    private readonly trust: TrustStore,
    private readonly replay: ReplayCache,
    private readonly audience: () => string,
    cacheSize = DEFAULT_CERTIFICATE_CACHE_SIZE,
  ) {
    this.known = new LRUCache<string, KnownCertificate>({ max: cacheSize });
  }

  /** How many certificates' verified chains are kept now. */
  get cachedCertificates(): number {
    return this.known.size;
  }

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
    const parts = compactParts(jws);
    const header = parts.header;
    if (header['alg'] !== 'ES256') throw unauthorized('ALG_NOT_ALLOWED', 'gatekeeper requests must be signed with ES256');
    if (header['typ'] !== kind.typ) throw badRequest('MALFORMED_REQUEST', `typ must be ${kind.typ}`);
    const x5c = header['x5c'];
    if (!Array.isArray(x5c) || typeof x5c[0] !== 'string' || x5c[0].length > MAX_X5C_CHARS) {
      throw badRequest('MALFORMED_REQUEST', "x5c must hold the requester's certificate");
    }
    const cert = this.certificate(x5c[0]);
    this.stillValid(cert, nowMs);
    const payload = await verified(parts, cert.key);
    let parsed: unknown;
    try {
      parsed = JSON.parse(UTF8.decode(payload));
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
    const request = { claims, certificate: cert.cert, mspId, enrollmentId, role, identityId };
    this.certificates.set(request, cert);
    return request;
  }

  /**
   * The requester's certificate checked again against the trust as it is now: called after the
   * ledger's decision, which waits until the trust holds every configuration block the ledger had
   * when the request came (so a CRL committed before the request refuses it, even on Fabric).
   */
  recheck(request: VerifiedRequest, nowMs = Date.now()): void {
    const cert = this.certificates.get(request);
    if (!cert) throw new Error('not a request this verifier verified');
    this.stillValid(cert, nowMs);
  }

  private stillValid(cert: KnownCertificate, nowMs: number): void {
    if (this.trust.isRevokedSerial(cert.mspId, cert.serial)) {
      throw unauthorized('CERTIFICATE_REVOKED', 'the certificate has been revoked by its CA');
    }
    if (nowMs < cert.notBefore || nowMs > cert.notAfter) {
      throw unauthorized('CERTIFICATE_EXPIRED', 'the certificate or its CA is outside its validity period');
    }
  }

  private certificate(b64: string): KnownCertificate {
    // The digest, not the ~1.2 kB text, is what the cache keeps.
    const id = createHash('sha256').update(b64).digest('base64');
    const cached = this.known.get(id);
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
      serial: normalSerial(cert.serialNumber),
      trustVersion: this.trust.version,
    };
    this.known.set(id, known);
    return known;
  }
}

/** The JWS checks jose's compactVerify made, with its outcomes: a bad signature, or a malformed body. */
async function verified(parts: CompactParts, key: KeyObject): Promise<Uint8Array> {
  const result = await verifyCompact(parts, key);
  if (result === 'bad-signature') throw unauthorized('SIGNATURE_INVALID', 'the signature does not verify with the certificate');
  if (result === 'malformed') throw badRequest('MALFORMED_REQUEST', 'the body is not a valid compact JWS');
  return result;
}

/** A verified signed request of any kind (data, research, inclusions). */
export type Verified<C> = VerifiedToken<C>;

/** Signs a request of another kind in the data requests' format: its own claims plus aud, iat, exp, jti. */
export async function signClaims(signer: Signer, body: { aud: string } & Record<string, unknown>, options: SignOptions = {}): Promise<string> {
  return signJws(signer, REQUEST_TYP, { ...body, ...freshClaims(options) });
}
