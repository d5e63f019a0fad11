import { identityId } from '@medrec/chaincode/domain';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SERVICE_USERNAME } from '../auth/bootstrap.js';
import { verifyPassword } from '../auth/passwords.js';
import { Problem, unauthorized } from '../http/problem.js';
import type { RouteContext } from './context.js';
import { Password, Role, SECURED, Username, problems } from './schemas.js';

const SessionUser = Type.Object({
  sub: Type.String(),
  mspId: Type.String(),
  enrollmentId: Type.String(),
  role: Role,
  participantId: Type.String(),
  identityId: Type.String(),
});

// Compared against when the username is unknown, so both failures take the same time.
const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export const authRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Log in to your home hospital; returns a short-lived bearer token',
        body: Type.Object({ username: Username, password: Password }, { additionalProperties: false }),
        response: {
          200: Type.Object({ token: Type.String(), expiresAt: Type.String(), user: SessionUser }),
          ...problems(400, 401, 429),
        },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      // Before any scrypt work, so a locked username or a guessing address costs no CPU.
      const retryAfter = ctx.loginThrottle.attempt(username, request.ip);
      if (retryAfter !== undefined) {
        reply.header('retry-after', String(retryAfter));
        throw new Problem(429, 'TOO_MANY_ATTEMPTS', 'too many failed logins; try again later');
      }
      // The records service signs only for the gatekeeper; it never holds a session.
      const account = username === SERVICE_USERNAME ? undefined : ctx.accounts.get(username);
      const passwordOk = await verifyPassword(password, account?.passwordHash ?? DUMMY_HASH);
      if (!account || !passwordOk) throw unauthorized('LOGIN_FAILED', 'unknown user or wrong password');
      ctx.loginThrottle.succeeded(username, request.ip);
      const privateKey = await ctx.sealer.open(account.sealedKey, password);
      const user = {
        sub: account.username,
        mspId: ctx.hospital.mspId,
        enrollmentId: account.enrollmentId,
        role: account.role as (typeof SessionUser.static)['role'],
        participantId: account.participantId,
        identityId: account.identityId || identityId(ctx.hospital.mspId, account.enrollmentId),
      };
      const session = await app.startSession(user, {
        mspId: ctx.hospital.mspId,
        certificate: account.certificate,
        privateKey,
      });
      return { ...session, user };
    },
  );

  app.post(
    '/auth/logout',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['sessions'],
        summary: 'End the session now (the key is dropped; the token is refused from then on)',
        security: SECURED,
        response: { 204: Type.Null(), ...problems(401) },
      },
    },
    async (request, reply) => {
      app.endSession(request);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/me',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['sessions'],
        summary: 'Who the session belongs to (share your participantId to be granted access)',
        security: SECURED,
        response: { 200: SessionUser, ...problems(401) },
      },
    },
    // The response schema drops the token's jti.
    async (request) => request.user,
  );
};
