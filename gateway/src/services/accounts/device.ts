/**
 * Sessions and certificates for identities whose key is on the person's device (docs/device-keys.md
 * §3-4). A login is a short-lived ES256 JWS signed by the device key and carrying its certificate,
 * checked by the gatekeeper's rules (trust anchors, revocation, validity, audience, lifetime, a
 * never-seen jti) under its own `typ`; a recovered device proves its key the same way (with the key
 * itself in the header) to get its certificate back. The gateway holds certificates, never keys.
 */
import { X509Certificate, createHash, createPublicKey } from 'node:crypto';
import { compactVerify, importJWK, type JWK } from 'jose';
import { LOGIN_TYP, RECOVER_TYP } from '@medrec/client/protocol';
import { identityId, type Role } from '@medrec/chaincode/domain';
import type { TrustStore } from '../../pki/trust-store.js';
import type { Creator } from '../../ports/ledger.js';
import { parseProofClaims, type ProofClaims } from '../gatekeeper/claims.js';
import { ReplayCache } from '../gatekeeper/replay.js';
import { RequestVerifier, type TokenKind } from '../gatekeeper/signed-request.js';
import { badRequest, notFound, unauthorized } from '../problem.js';
import type { AccountStore, DeviceIdentity } from './accounts.js';
import type { SessionUser } from './login.js';

export interface DeviceAuthDeps {
  mspId: string;
  accounts: AccountStore;
  trust: TrustStore;
  /** This gateway's origin: the `aud` a device must name. */
  audience: () => string;
}

/** A device's login token: the gatekeeper's rules, its own typ. */
const DEVICE_LOGIN: TokenKind<ProofClaims> = { typ: LOGIN_TYP, parse: parseProofClaims };

/** SHA-256 of a public key's SubjectPublicKeyInfo DER, hex: how device identities are found by key. */
export const keyHash = (spki: Buffer) => createHash('sha256').update(spki).digest('hex');

export class DeviceAuth {
  private readonly replay = new ReplayCache();
  private readonly logins: RequestVerifier;

  constructor(private readonly deps: DeviceAuthDeps) {
    this.logins = new RequestVerifier(deps.trust, this.replay, deps.audience);
  }

  /** A session for the device identity that signed `jws`; 401 for anything but a live certificate of this hospital's device identity. */
  async login(jws: string): Promise<{ user: SessionUser; creator: Creator }> {
    const verified = await this.logins.verifyToken(jws, DEVICE_LOGIN);
    const identity = verified.mspId === this.deps.mspId ? this.deps.accounts.device(verified.enrollmentId) : undefined;
    if (!identity || !new X509Certificate(identity.certificate).raw.equals(verified.certificate.raw)) {
      throw unauthorized('DEVICE_UNKNOWN', 'this certificate is not a device identity of this hospital');
    }
    return {
      user: {
        sub: identity.username,
        mspId: this.deps.mspId,
        enrollmentId: identity.enrollmentId,
        role: identity.role as Role,
        participantId: identity.participantId,
        identityId: identity.identityId || identityId(this.deps.mspId, identity.enrollmentId),
      },
      creator: { mspId: this.deps.mspId, certificate: identity.certificate },
    };
  }

  /** The newest live certificate of the key that signed `jws` (a recovered device), or 404 UNKNOWN_KEY. */
  async lookup(jws: string, nowMs = Date.now()): Promise<DeviceIdentity> {
    const header = headerOf(jws);
    if (header.alg !== 'ES256' || header.typ !== RECOVER_TYP || typeof header.jwk !== 'object' || header.jwk === null) {
      throw badRequest('MALFORMED_REQUEST', `a lookup is an ES256 JWS of typ ${RECOVER_TYP} carrying its public key (jwk)`);
    }
    const jwk = header.jwk as JWK;
    let payload: Uint8Array;
    let spki: Buffer;
    try {
      if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || 'd' in jwk) throw new Error('not a P-256 public key');
      spki = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' }).export({ format: 'der', type: 'spki' });
      ({ payload } = await compactVerify(jws, await importJWK({ kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! }, 'ES256'), { algorithms: ['ES256'] }));
    } catch {
      throw unauthorized('SIGNATURE_INVALID', 'the lookup is not signed by the P-256 key it carries');
    }
    let claims: ProofClaims;
    try {
      claims = parseProofClaims(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload)), this.deps.audience(), Math.floor(nowMs / 1000));
    } catch (error) {
      if (error instanceof SyntaxError || error instanceof TypeError) throw badRequest('MALFORMED_REQUEST', 'the JWS payload is not JSON');
      throw error;
    }
    const hash = keyHash(spki);
    if (!this.replay.claim(`key:${hash}`, claims.jti, claims.exp, Math.floor(nowMs / 1000))) {
      throw unauthorized('REPLAYED_REQUEST', 'this signed lookup was already used');
    }
    const identity = this.deps.accounts.deviceByKey(hash);
    if (!identity || !this.deps.trust.check(this.deps.mspId, identity.certificate, new Date(nowMs)).ok) {
      throw notFound('UNKNOWN_KEY', 'no live certificate of this hospital certifies this key');
    }
    return identity;
  }
}

function headerOf(jws: string): Record<string, unknown> {
  const parts = jws.split('.');
  try {
    const header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8')) as unknown;
    if (parts.length === 3 && typeof header === 'object' && header !== null && !Array.isArray(header)) return header as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw badRequest('MALFORMED_REQUEST', 'the body is not a compact JWS');
}
