import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { STAFF_ROLES } from '../../services/admin/staff.js';
import type { HospitalRuntime } from '../runtime.js';
import { ExternalId, ExternalIdKind, IssuedActivation, ParticipantId, SECURED, Username, problems } from '../schemas.js';

const StaffRole = Type.Union(
  STAFF_ROLES.map((r) => Type.Literal(r)),
  { description: 'the role written into the certificate' },
);

const StaffMember = Type.Object({
  username: Type.String(),
  role: Type.String(),
  enrollmentId: Type.String(),
  participantId: ParticipantId,
  createdAt: Type.String(),
  disabledAt: Type.Union([Type.String(), Type.Null()]),
});

const ChannelUpdate = {
  channel: Type.Union([Type.Literal('updated'), Type.Literal('pending')], {
    description:
      'updated: the channel configuration carries the new CRL, peers and every gatekeeper refuse the certificate; ' +
      "pending (Fabric): the hospital's channel admin must put `crl` on the channel (npm run fabric:push-crl -- <Hospital>)",
  }),
  crl: Type.Optional(Type.String({ description: "the CA's new CRL, PEM (when pending)" })),
};

const UsernameParams = Type.Object({ username: Username }, { additionalProperties: false });

/**
 * The hospital admin's routes (role admin): staff accounts, certificate revocation and the
 * records service's rotation. Everything else a hospital does stays with its registrar and providers.
 */
export const adminRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { staff }) => {
  const admin = app.requireRole('admin');

  app.get(
    '/admin/staff',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: "The hospital's staff and admin accounts (the records service is not one)",
        security: SECURED,
        response: { 200: Type.Array(StaffMember), ...problems(401, 403) },
      },
    },
    async () => staff.list(),
  );

  app.post(
    '/admin/staff',
    {
      // A replayed answer (Idempotency-Key) names the person but never carries the code: it is shown once.
      config: { idempotency: { omit: ['code'] } },
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: 'Add a staff member: CA and ledger registration, and their one-time activation code',
        description:
          'The person redeems the code (POST /device/activations/redeem) with a password of their own; the admin never ' +
          'sees it. The external id is never stored: the ledger gets its keyed hash.',
        security: SECURED,
        body: Type.Object(
          { username: Type.Optional(Username), role: StaffRole, externalIdKind: ExternalIdKind, externalId: ExternalId },
          { additionalProperties: false },
        ),
        response: {
          201: IssuedActivation,
          ...problems(400, 401, 403, 409, 503),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await staff.add(request.body)),
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(
      `/admin/staff/:username/${action}`,
      {
        onRequest: admin,
        schema: {
          tags: ['admin'],
          summary: disabled
            ? 'Disable a staff account: no login, and its open sessions end at their next request'
            : 'Re-enable a disabled staff account',
          security: SECURED,
          params: UsernameParams,
          response: { 200: StaffMember, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const member = staff.setDisabled(request.params.username, disabled, request.user.sub);
        if (disabled) app.sessionKeys.endUser(member.username, 'account-disabled');
        return member;
      },
    );
  }

  app.post(
    '/admin/staff/:username/revoke',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: "Revoke a staff member's certificates at the CA; the CRL goes to the channel and every gatekeeper",
        description: 'Irreversible: the person needs a new enrolment. 200 when the channel already refuses the certificate, 202 when its update is pending.',
        security: SECURED,
        params: UsernameParams,
        body: Type.Object(
          { reason: Type.Union(['keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'].map((r) => Type.Literal(r))) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object(ChannelUpdate), 202: Type.Object(ChannelUpdate), ...problems(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const update = await staff.revoke(request.params.username, request.user.sub, request.body.reason);
      return reply.code(update.channel === 'updated' ? 200 : 202).send(update);
    },
  );

  app.post(
    '/admin/records-service/rotate',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: "Rotate the records service's identity: a new certificate for the same participant, the old one revoked",
        security: SECURED,
        response: {
          200: Type.Object({ enrollmentId: Type.String(), identityId: Type.String(), revoked: Type.String(), ...ChannelUpdate }),
          202: Type.Object({ enrollmentId: Type.String(), identityId: Type.String(), revoked: Type.String(), ...ChannelUpdate }),
          ...problems(401, 403, 404, 503),
        },
      },
    },
    async (_request, reply) => {
      const rotated = await staff.rotateService();
      return reply.code(rotated.channel === 'updated' ? 200 : 202).send(rotated);
    },
  );
};
