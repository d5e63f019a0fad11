import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HospitalRuntime } from '../runtime.js';
import { ActivationCode, Csr, DeviceJws, ParticipantId, Password, problems } from '../schemas.js';

const Info = {
  mspId: Type.String(),
  kind: Type.Union([Type.Literal('home'), Type.Literal('delegate')], {
    description: "home: the person's own identity at this hospital; delegate: her identity for one relationship here (docs/privacy.md §3)",
  }),
  username: Type.String(),
  enrollmentId: Type.String(),
  role: Type.String(),
  expiresAt: Type.String(),
};

/** A person's enrolment as the device keeps it: who they are on the ledger, their certificate and where it is valid. */
const Enrolled = Type.Object({
  ...Info,
  kind: Type.Optional(Info.kind),
  expiresAt: Type.Optional(Type.String()),
  participantId: ParticipantId,
  identityId: Type.String(),
  certificate: Type.String(),
  caCertificates: Type.Array(Type.String()),
  channel: Type.String(),
  chaincode: Type.String(),
});

/**
 * The person's side of an activation (no session: the code is the credential). Both routes are
 * rate-limited per address; a code is single use, so of parallel redemptions one wins.
 */
export const activationRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { activations, devices, hospital, settings }) => {
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
        summary: 'Finish your enrolment: with your own password (your key is made now and sealed under it), or with a CSR of the key on your device',
        description:
          'Single use: a second redemption is 409 ACTIVATION_USED, an expired code 410 ACTIVATION_EXPIRED, an ' +
          'unknown one 404 ACTIVATION_UNKNOWN. With `password`, log in with the username answered here and that ' +
          'password. With `csr` (PEM PKCS#10, P-256, CN = the enrollment id, signed by its key; else 400 BAD_CSR) ' +
          'the certificate answered certifies your device\'s key, which never reaches the gateway: log in with ' +
          'POST /auth/device and sign transactions on the device (docs/device-keys.md).',
        body: Type.Union([
          Type.Object({ code: ActivationCode, password: Password }, { additionalProperties: false }),
          Type.Object({ code: ActivationCode, csr: Csr }, { additionalProperties: false }),
        ]),
        response: { 201: Enrolled, ...problems(400, 404, 409, 410, 429, 503) },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const redeemed = 'csr' in body ? await activations.redeemWithCsr(body.code, body.csr) : await activations.redeem(body.code, body.password);
      return reply.code(201).send(await enrolled(redeemed));
    },
  );

  app.post(
    '/device/certificates/lookup',
    {
      config: { limit: 'activation' },
      schema: {
        tags: ['activation'],
        summary: 'A recovered device asks for the certificate of its re-derived key (a JWS of typ medrec-recover+jws with the key as jwk)',
        body: Type.Object({ jws: DeviceJws }, { additionalProperties: false }),
        response: { 200: Enrolled, ...problems(400, 401, 404, 429) },
      },
    },
    async (request) => enrolled(await devices.lookup(request.body.jws)),
  );

  async function enrolled<T extends { username: string; enrollmentId: string; role: string; participantId: string; identityId: string; certificate: string }>(who: T) {
    return { ...who, mspId: hospital.mspId, caCertificates: await activations.trustAnchors(), channel: settings.channel, chaincode: settings.chaincode };
  }
};
