import { randomUUID } from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { forbidden, unauthorized } from '../../services/problem.js';
import type { Role } from '@medrec/chaincode/domain';
import type { Signer } from '../../ports/ledger.js';

import type { SessionUser } from '../../services/accounts/login.js';

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
    /** The calling user's own certificate and key, for submitting transactions as them. */
    signerFor(request: FastifyRequest): Promise<Signer>;
    /** Issues a session token and keeps the user's key in memory for the token's lifetime. */
    startSession(user: SessionUser, signer: Signer): Promise<{ token: string; expiresAt: string }>;
    /** Ends the caller's session now: its key is dropped and its token refused from then on. */
    endSession(request: FastifyRequest): void;
    /** preHandler: a valid session of one of these roles (any role when none are named). */
    requireRole(...roles: Role[]): (request: FastifyRequest) => Promise<void>;
  }
}

export interface SessionOptions {
  mspId: string;
  /** HS256 secret of this hospital alone: another hospital's tokens never verify here. */
  secret: string;
  ttlSeconds: number;
}

/**
 * Decrypted keys live here, in memory, only until the session expires; a restart ends all sessions
 * (the token may still verify, but without the key there is nothing to sign with, so it is refused).
 */
class SessionKeys {
  private readonly keys = new Map<string, { signer: Signer; expiresAt: number }>();

  put(jti: string, signer: Signer, expiresAt: number): void {
    this.sweep();
    this.keys.set(jti, { signer, expiresAt });
  }

  delete(jti: string): void {
    this.keys.delete(jti);
  }

  get(jti: string): Signer | undefined {
    const entry = this.keys.get(jti);
    if (!entry || entry.expiresAt <= Date.now()) {
      this.keys.delete(jti);
      return undefined;
    }
    return entry.signer;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [jti, entry] of this.keys) if (entry.expiresAt <= now) this.keys.delete(jti);
  }
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
    sign: { algorithm: 'HS256', expiresIn: options.ttlSeconds * 1000, iss: options.mspId },
    // Pinning the algorithm and issuer refuses `alg: none`, RS/HS confusion and other hospitals' tokens.
    verify: { algorithms: ['HS256'], allowedIss: options.mspId, requiredClaims: ['exp', 'jti', 'iss'] },
  });
  const keys = new SessionKeys();

  app.decorate('startSession', async (user: SessionUser, signer: Signer) => {
    const jti = randomUUID();
    const token = app.jwt.sign({ ...user, jti });
    const { exp } = app.jwt.decode<{ exp: number }>(token)!;
    keys.put(jti, signer, exp * 1000);
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  });

  app.decorate('signerFor', async (request: FastifyRequest) => {
    const signer = request.user?.jti ? keys.get(request.user.jti) : undefined;
    if (!signer) throw unauthorized('SESSION_ENDED', 'the session has ended; log in again');
    return signer;
  });

  app.decorate('endSession', (request: FastifyRequest) => keys.delete(request.user.jti));

  app.decorate('requireRole', (...roles: Role[]) => async (request: FastifyRequest) => {
    try {
      await request.jwtVerify();
    } catch (err) {
      throw jwtProblem(err);
    }
    if (request.user.mspId !== options.mspId) throw unauthorized('TOKEN_INVALID', 'token of another hospital');
    // A verifiable token whose session ended (logout, restart) is refused on every route alike.
    if (!keys.get(request.user.jti)) throw unauthorized('SESSION_ENDED', 'the session has ended; log in again');
    if (roles.length > 0 && !roles.includes(request.user.role)) {
      throw forbidden('ROLE_FORBIDDEN', `this needs the role ${roles.join(' or ')}`);
    }
  });
}

export default fp(sessions, { name: 'medrec-sessions', fastify: '5.x' });
