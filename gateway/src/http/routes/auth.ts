import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { LoginService } from '../../services/accounts/login.js';
import type { PasswordChange } from '../../services/accounts/password-change.js';
import { Problem } from '../../services/problem.js';
import { Password, Role, SECURED, Username, problems } from '../schemas.js';

const SessionUser = Type.Object({
  sub: Type.String(),
  mspId: Type.String(),
  enrollmentId: Type.String(),
  role: Role,
  participantId: Type.String(),
  identityId: Type.String(),
});

export const authRoutes: FastifyPluginAsyncTypebox<{ login: LoginService; passwords: PasswordChange }> = async (app, { login, passwords }) => {
  app.post(
    '/auth/login',
    {
      config: { limit: 'login' },
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
      const result = await login.login(username, password, request.ip);
      if ('retryAfterSeconds' in result) {
        reply.header('retry-after', String(result.retryAfterSeconds));
        throw new Problem(429, 'TOO_MANY_ATTEMPTS', 'too many failed logins; try again later');
      }
      const { user, signer } = result;
      const session = await app.startSession(user, signer);
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

  app.post(
    '/auth/password',
    {
      onRequest: app.requireRole(),
      config: { limit: 'login' },
      schema: {
        tags: ['sessions'],
        summary: 'Change your password (the current one is required); your key is sealed again under the new one',
        description:
          'Every other session of yours ends (its key is dropped); this one goes on. A wrong current password is ' +
          '401 PASSWORD_WRONG and counts against the login throttle; of concurrent changes one wins, the others get 409.',
        security: SECURED,
        body: Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...problems(400, 401, 409, 429) },
      },
    },
    async (request, reply) => {
      await passwords.change(request.user.sub, request.body.currentPassword, request.body.newPassword, request.ip);
      app.sessionKeys.endUser(request.user.sub, 'password-changed', request.user.jti);
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
