import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { STAFF_ROLES } from '../../services/admin/staff.js';
import type { HospitalRuntime } from '../runtime.js';
import { ExternalId, ExternalIdKind, IssuedActivation, Mrn, ParticipantId, SECURED, Username, problems } from '../schemas.js';

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
 * The hospital admin's routes (role admin): staff accounts, certificate revocation, the records
 * service's rotation and the external-id index key's rotation. Everything else a hospital does stays with its registrar and providers.
 */
export const adminRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { staff, indexRotation }) => {
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
  const RotationState = Type.Object({ state: Type.Union([Type.Literal('rotating'), Type.Literal('idle')]) });
  const rotation = (summary: string, description: string) => ({ tags: ['admin'], summary, description, security: SECURED });

  app.get(
    '/admin/index-key/rotation',
    { onRequest: admin, schema: { ...rotation('Whether an index-key rotation is under way', 'docs/privacy.md §2'), response: { 200: RotationState, ...problems(401, 403) } } },
    async () => indexRotation.status(),
  );

  app.post(
    '/admin/index-key/rotation',
    {
      onRequest: admin,
      schema: {
        ...rotation(
          "Begin rotating this hospital's external-id index key (or keep the rotation under way)",
          'A new key (0600 in the data directory) from now on: new registrations use it; lookups, here and blinded from other hospitals, ' +
            'try it and then the old key until the rotation completes. Audited.',
        ),
        response: { 200: RotationState, ...problems(401, 403) },
      },
    },
    async (request) => indexRotation.begin(request.user),
  );

  app.post(
    '/admin/index-key/rotation/charts',
    {
      config: { idempotency: false },
      onRequest: admin,
      schema: {
        ...rotation(
          'Move the index entries of these charts, and of the staff and provisioned users, to the new key (one ledger transaction)',
          "The gateway keeps no external id: each chart's identifier is read from the EHR (the mapping's chart identifier). " +
            'Idempotent: an entry moved already counts as `present`, so an interrupted rotation is resumed by sending the charts again. ' +
            'Audited (counts only). No rotation under way: 409 ROTATION_NOT_STARTED.',
        ),
        body: Type.Object({ mrns: Type.Array(Mrn, { minItems: 0, maxItems: 400, uniqueItems: true }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ state: Type.Literal('rotating'), rekeyed: Type.Integer(), present: Type.Integer(), absent: Type.Integer(), unreadable: Type.Integer() }),
          ...problems(400, 401, 403, 409, 501, 503),
        },
      },
    },
    async (request) => indexRotation.rekey(request.user, request.body.mrns),
  );

  app.post(
    '/admin/index-key/rotation/complete',
    {
      onRequest: admin,
      schema: {
        ...rotation(
          'Retire the old index key: the rotation is over',
          'Entries not moved by then (people registered here with no chart and no staff id to re-derive them from) are no longer found ' +
            'by external id; their identities and relationships are unaffected. Audited.',
        ),
        response: { 200: RotationState, ...problems(401, 403, 409) },
      },
    },
    async (request) => indexRotation.complete(request.user),
  );
};
