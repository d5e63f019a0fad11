import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HospitalRuntime } from '../runtime.js';
import { ActivationCode, ParticipantId, Password, problems } from '../schemas.js';

const Info = {
  mspId: Type.String(),
  username: Type.String(),
  enrollmentId: Type.String(),
  role: Type.String(),
  expiresAt: Type.String(),
};

/**
 * The person's side of an activation (no session: the code is the credential). Both routes are
 * rate-limited per address; a code is single use, so of parallel redemptions one wins.
 */
export const activationRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { activations, hospital, settings }) => {
  app.post(
    '/device/activations/inspect',
    {
      config: { limit: 'activation' },
      schema: {
        tags: ['activation'],
        summary: 'What an activation code is for (nothing is used up)',
        body: Type.Object({ code: ActivationCode }, { additionalProperties: false }),
        response: { 200: Type.Object(Info), ...problems(400, 404, 409, 410, 429) },
      },
    },
    async (request) => activations.inspect(request.body.code),
  );

  app.post(
    '/device/activations/redeem',
    {
      config: { limit: 'activation' },
      schema: {
        tags: ['activation'],
        summary: 'Finish your enrolment: choose your own password; your key is made now and sealed under it',
        description:
          'Single use: a second redemption is 409 ACTIVATION_USED, an expired code 410 ACTIVATION_EXPIRED, an ' +
          'unknown one 404 ACTIVATION_UNKNOWN. Log in with the username answered here and your password.',
        body: Type.Object({ code: ActivationCode, password: Password }, { additionalProperties: false }),
        response: {
          201: Type.Object({
            ...Info,
            participantId: ParticipantId,
            identityId: Type.String(),
            certificate: Type.String(),
            caCertificates: Type.Array(Type.String()),
            channel: Type.String(),
            chaincode: Type.String(),
          }),
          ...problems(400, 404, 409, 410, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const redeemed = await activations.redeem(request.body.code, request.body.password);
      return reply.code(201).send({ ...redeemed, caCertificates: await activations.trustAnchors(), channel: settings.channel, chaincode: settings.chaincode, mspId: hospital.mspId });
    },
  );
};
