import { randomUUID } from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '@medrec/chaincode/domain';
import type { Creator, Signer } from '../../ports/ledger.js';
import type { SessionUser } from '../../services/accounts/login.js';
import { SessionKeys } from '../../services/accounts/sessions.js';
import { forbidden, unauthorized, type Problem } from '../../services/problem.js';

export type { SessionUser };

/** `exp` and `iat` are set by the signer. */
type SessionClaims = SessionUser & { jti: string; exp?: number; iat?: number };

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: SessionClaims;
    user: SessionClaims;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The calling user's own certificate and key, for submitting transactions as them (403 DEVICE_SIGNS for a device session). */
    signerFor(request: FastifyRequest): Promise<Signer>;
    /** The calling user's certificate, for a proposal they sign on their device. */
    creatorFor(request: FastifyRequest): Creator;
    /**
     * Issues a session token and keeps the user's key (a password login) or only their certificate
     * (a device login) in memory for the token's lifetime.
     */
    startSession(user: SessionUser, signer: Signer | Creator): Promise<{ token: string; expiresAt: string }>;
    /** Ends the caller's session now: its key is dropped and its token refused from then on. */
    endSession(request: FastifyRequest): void;
    /** The live sessions' keys (each dropped when its session ends). */
    sessionKeys: SessionKeys;
    /** preHandler: a valid session of one of these roles (any role when none are named). */
    requireRole(...roles: Role[]): (request: FastifyRequest) => Promise<void>;
  }
}

export interface SessionOptions {
  mspId: string;
  /** HS256 secret of this hospital alone: another hospital's tokens never verify here. */
  secret: string;
  ttlSeconds: number;
  /**
   * Why the channel no longer accepts a session's certificate (revoked, expired, its CA gone), or
   * undefined while it does: checked on every request, so a revocation ends sessions at once.
   */
  certificateProblem?: (signer: Creator) => Problem | undefined;
  /** Why an account may no longer act (a hospital admin disabled it), or undefined: checked on every request. */
  accountProblem?: (username: string) => Problem | undefined;
  /** Subscribes to changes of the channel's trust (a new CRL): every session is checked again then. */
  onTrustChange?: (listener: () => void) => () => void;
}

function jwtProblem(err: unknown) {
  const code = (err as { code?: string }).code;
  if (code === 'FST_JWT_NO_AUTHORIZATION_IN_HEADER') return unauthorized('UNAUTHENTICATED', 'a bearer token is required');
  if (code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED') return unauthorized('TOKEN_EXPIRED', 'the session has expired');
  return unauthorized('TOKEN_INVALID', 'the bearer token is not valid here');
}

async function sessions(app: FastifyInstance, options: SessionOptions): Promise<void> {
  await app.register(fastifyJwt, {
    secret: options.secret,
    // @fastify/jwt takes seconds here (it converts them for fast-jwt).
    sign: { algorithm: 'HS256', expiresIn: options.ttlSeconds, iss: options.mspId },
    // Pinning the algorithm and issuer refuses `alg: none`, RS/HS confusion and other hospitals' tokens.
    verify: { algorithms: ['HS256'], allowedIss: options.mspId, requiredClaims: ['exp', 'jti', 'iss'] },
  });
  const keys = new SessionKeys();
  const certificateProblem = options.certificateProblem ?? (() => undefined);
  const stopWatching = options.onTrustChange?.(() => keys.endRefused(certificateProblem));
  app.addHook('onClose', async () => {
    stopWatching?.();
    keys.close();
  });
  app.decorate('sessionKeys', keys);

  app.decorate('startSession', async (user: SessionUser, signer: Signer | Creator) => {
    const jti = randomUUID();
    const token = app.jwt.sign({ ...user, jti });
    const { exp } = app.jwt.decode<{ exp: number }>(token)!;
    keys.start(jti, user.sub, signer, exp * 1000);
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  });

  const creatorFor = (request: FastifyRequest): Signer | Creator => {
    const signer = request.user?.jti ? keys.signer(request.user.jti) : undefined;
    if (!signer) throw unauthorized('SESSION_ENDED', 'the session has ended; log in again');
    return signer;
  };
  app.decorate('creatorFor', (request: FastifyRequest) => {
    const { mspId, certificate } = creatorFor(request);
    return { mspId, certificate };
  });
  app.decorate('signerFor', async (request: FastifyRequest) => {
    const signer = creatorFor(request);
    if (!('privateKey' in signer)) {
      throw forbidden('DEVICE_SIGNS', 'your key is on your device: sign this with POST /tx/prepare and the steps after it');
    }
    return signer;
  });

  app.decorate('endSession', (request: FastifyRequest) => keys.end(request.user.jti, 'logout'));

  app.decorate('requireRole', (...roles: Role[]) => async (request: FastifyRequest) => {
    try {
      await request.jwtVerify();
    } catch (err) {
      throw jwtProblem(err);
    }
    if (request.user.mspId !== options.mspId) throw unauthorized('TOKEN_INVALID', 'token of another hospital');
    const { jti } = request.user;
    // Before the session's own state: a disabled account's token says why, even after its session ended.
    const disabled = options.accountProblem?.(request.user.sub);
    if (disabled) {
      keys.end(jti, 'account-disabled');
      throw disabled;
    }
    // A verifiable token whose session ended (logout, restart) is refused on every route alike.
    const signer = keys.signer(jti);
    if (!signer) throw keys.refusalOf(jti) ?? unauthorized('SESSION_ENDED', 'the session has ended; log in again');
    // Revocation takes effect on the next request, whatever the token says.
    const invalid = certificateProblem(signer);
    if (invalid) {
      keys.refuse(jti, keys.expiresAt(jti) ?? 0, invalid);
      throw invalid;
    }
    if (roles.length > 0 && !roles.includes(request.user.role)) {
      throw forbidden('ROLE_FORBIDDEN', `this needs the role ${roles.join(' or ')}`);
    }
  });
}

export default fp(sessions, { name: 'medrec-sessions', fastify: '5.x' });
