import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HospitalRuntime } from '../runtime.js';
import { ActivationCode, Notification, SECURED, SummaryEntry, problems } from '../schemas.js';

const Unreachable = Type.Array(Type.Object({ hospital: Type.String(), code: Type.String() }), {
  description: "hospitals holding one of your delegates whose gateway did not answer now: their relationships are missing, not gone",
});

const Delegate = Type.Object({
  hospital: Type.String({ description: 'the providing hospital (MSP id)' }),
  participantId: Type.Union([Type.String(), Type.Null()], { description: "the delegate's participant id there (null while pending)" }),
  state: Type.Union([Type.Literal('certified'), Type.Literal('pending')], {
    description: 'pending: the code was sent but no answer came; every GET /me/delegates asks that hospital again',
  }),
  since: Type.String(),
  relationships: Type.Optional(Type.Array(Type.Object({ relationshipId: Type.String(), status: Type.String() }))),
  unreachable: Type.Optional(Type.String({ description: "HOSPITAL_UNREACHABLE: that hospital's gateway did not answer now" })),
});

export const meRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { custodial, notifications }) => {
  app.get(
    '/me/summary',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['me'],
        summary: 'Every relationship you are part of, with its status (the papers\' Summary contract)',
        description:
          "Your own identity's relationships here, then, for a password patient, each delegate's (docs/privacy.md §3) read " +
          "at its own hospital's gateway as that delegate: a hospital that does not answer is named in `unreachable`.",
        security: SECURED,
        response: { 200: Type.Object({ entries: Type.Array(SummaryEntry), unreachable: Unreachable }), ...problems(401, 403, 503) },
      },
    },
    async (request) => custodial.summary(request.user.sub, await app.signerFor(request)),
  );

  app.post(
    '/me/delegates',
    {
      onRequest: app.requireRole('patient'),
      schema: {
        tags: ['me'],
        summary: "Password patient: redeem another hospital's delegate code through your home; your home keeps the delegate",
        description:
          'Your home gateway makes a key for this one relationship, redeems the code at that hospital\'s gateway (its ' +
          "endpoint in the ledger's gatekeeper directory, over the hospitals' TLS) with a CSR of it, and keeps the certified " +
          'delegate in its vault, sealed so that only your session opens it (docs/privacy.md §3). From then on that ' +
          "hospital's relationship appears in /me/summary, and its accept, reject, grants, revocations and record fetches " +
          "are signed by the delegate at that hospital's gateway. 201: a new delegate; 200: this code's delegate already " +
          '(a retry, or identical requests at once). Refusals change nothing stored: 404 HOSPITAL_UNKNOWN, 422 HOME_HOSPITAL, ' +
          '422 NOT_A_DELEGATE_CODE (a home activation code), the hospital\'s own 404 ACTIVATION_UNKNOWN, 409 ACTIVATION_USED, ' +
          "410 ACTIVATION_EXPIRED, 429; 503 HOSPITAL_UNREACHABLE (its gateway down: nothing sent). 503 DELEGATE_OUTCOME_UNKNOWN: " +
          'the code was sent and no answer came; GET /me/delegates (or this request again) asks that hospital with the kept key.',
        security: SECURED,
        body: Type.Object(
          { hospital: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: "the providing hospital's MSP id" }), code: ActivationCode },
          { additionalProperties: false },
        ),
        response: { 200: Delegate, 201: Delegate, ...problems(400, 401, 403, 404, 409, 410, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const { created, delegate } = await custodial.enrol(request.user.sub, await app.signerFor(request), request.body.hospital, request.body.code);
      return reply.code(created ? 201 : 200).send(delegate);
    },
  );

  app.get(
    '/me/delegates',
    {
      onRequest: app.requireRole('patient'),
      schema: {
        tags: ['me'],
        summary: 'Password patient: the delegates your home holds for you, each with its relationships at its hospital',
        security: SECURED,
        response: { 200: Type.Object({ delegates: Type.Array(Delegate) }), ...problems(401, 403, 503) },
      },
    },
    async (request) => ({ delegates: await custodial.list(request.user.sub, await app.signerFor(request)) }),
  );

  app.get(
    '/me/notifications',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['me'],
        summary: 'Your notifications after a block (exclusive), oldest first',
        security: SECURED,
        querystring: Type.Object(
          {
            after: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,15})$', description: 'block number' })),
            limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$', description: '1 to 500' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ notifications: Type.Array(Notification) }), ...problems(400, 401) },
      },
    },
    async (request) => ({
      notifications: notifications.list(
        request.user.participantId,
        BigInt(request.query.after ?? '0'),
        Number(request.query.limit ?? 100),
      ),
    }),
  );
};
