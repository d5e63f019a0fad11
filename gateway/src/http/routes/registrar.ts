import { rolesFor } from '@medrec/chaincode/domain';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requesterKeys } from '../requester.js';
import type { HospitalRuntime } from '../runtime.js';
import {
  EnrollableRole,
  ExternalId,
  ExternalIdKind,
  IssuedActivation,
  Mrn,
  ParticipantId,
  SECURED,
  Username,
  problems,
} from '../schemas.js';

const ExternalRef = { externalIdKind: ExternalIdKind, externalId: ExternalId };

export const registrarRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, { activations, relationships, externalIds }) => {
  app.post(
    '/registrar/activations',
    {
      // A replayed answer names the person but never carries the code: it is shown once.
      config: { idempotency: { omit: ['code'] } },
      onRequest: app.requireRole(...rolesFor('Registrar.register')!),
      schema: {
        tags: ['registrar'],
        summary: 'Vouch for a person (CA registration + ledger identity) and get their one-time activation code',
        description:
          'The external id is never stored: the ledger gets its keyed hash, the gateway nothing. No key and no ' +
          'password exist yet: the person redeems the code (POST /device/activations/redeem) to set their own ' +
          'password, and only then is their key made. The code is single use and expires (activationTtlSeconds); ' +
          'the gateway keeps only its keyed hash. Hand it to the person only. A person has one home: the other ' +
          'hospitals are asked first (blinded lookups at their POST /gatekeeper/external-id, signed by the registrar): ' +
          'one holding the id → 409 EXTERNAL_ID_REGISTERED_ELSEWHERE naming it; one not answering → 502 ' +
          'EXTERNAL_ID_HOME_UNREACHABLE; one refusing the registrar\'s lookups for now (its budget) → 503 ' +
          'EXTERNAL_ID_LOOKUP_BUSY with Retry-After (nothing is registered on an unknown answer).',
        security: SECURED,
        body: Type.Object(
          { username: Type.Optional(Username), role: EnrollableRole, ...ExternalRef },
          { additionalProperties: false },
        ),
        response: {
          201: IssuedActivation,
          ...problems(400, 401, 403, 409, 502, 503),
        },
      },
    },
    async (request, reply) => {
      const keys = await requesterKeys(app, request);
      const { externalIdKind, externalId } = request.body;
      await externalIds.assertNotRegisteredElsewhere(keys, externalIdKind, externalId);
      const registrar = { ...keys.ledger, enrollmentId: request.user.enrollmentId };
      return reply.code(201).send(await activations.issue({ ca: registrar, ledger: registrar }, request.body));
    },
  );

  app.post(
    '/registrar/delegates',
    {
      config: { idempotency: { omit: ['code'] } },
      onRequest: app.requireRole(...rolesFor('Registrar.registerDelegate')!),
      schema: {
        tags: ['registrar'],
        summary: "Register a delegate for a local chart's relationship here and get its one-time activation code",
        description:
          'A delegate (docs/privacy.md §3) is the identity a patient uses for one relationship at this hospital: ' +
          'registered with no external id, so nothing on the ledger ties it to her identities elsewhere. ' +
          'The registrar binds it to the chart (MRN) it is registered for: that binding, not an external id, is ' +
          "the chart's proof. Create the relationship with the answer's participantId and this MRN; the patient's device redeems the code " +
          '(POST /device/activations/redeem) with a CSR of a key it derives for this relationship.',
        security: SECURED,
        body: Type.Object({ mrn: Mrn }, { additionalProperties: false }),
        response: {
          201: IssuedActivation,
          ...problems(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const registrar = { ...(await app.signerFor(request)), enrollmentId: request.user.enrollmentId };
      const { mrn } = request.body;
      await relationships.delegateChartFree(mrn);
      const issued = await activations.issueDelegate({ ca: registrar, ledger: registrar }, (pid) => relationships.bindDelegate(pid, mrn, request.user.sub));
      return reply.code(201).send(issued);
    },
  );

  app.post(
    '/registrar/delegates/:pid/reissue',
    {
      config: { idempotency: { omit: ['code'] } },
      onRequest: app.requireRole(...rolesFor('Registrar.remapDelegate')!),
      schema: {
        tags: ['registrar'],
        summary: "Re-issue a delegate's certificate (e.g. its key may be compromised): a new one-time code, the old identity superseded",
        description:
          'Only the hospital that registered the delegate may (the ledger refuses another: 403; a pid that is no delegate: 404). ' +
          'The delegate keeps its participant id, relationships and chart; a new opaque enrollment id is re-mapped to it ' +
          '(Registrar.remapDelegate), so the old certificate is refused by the ledger from now on, and the earlier enrollments ' +
          'are revoked at the CA (`revoked`). The device redeems the code (POST /device/activations/redeem) with a CSR of a newly derived key.',
        security: SECURED,
        params: Type.Object({ pid: ParticipantId }),
        response: {
          201: Type.Composite([IssuedActivation, Type.Object({ revoked: Type.Array(Type.String()) })]),
          ...problems(400, 401, 403, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const registrar = { ...(await app.signerFor(request)), enrollmentId: request.user.enrollmentId };
      return reply.code(201).send(await activations.reissueDelegate({ ca: registrar, ledger: registrar }, request.params.pid));
    },
  );

  app.post(
    '/registrar/resolve',
    {
      config: { limit: 'resolve', idempotency: false },
      onRequest: app.requireRole(...rolesFor('Registrar.resolve')!),
      schema: {
        tags: ['registrar'],
        summary: "Find a person's participant id from their external id (sent in the body, never in a URL)",
        security: SECURED,
        body: Type.Object(ExternalRef, { additionalProperties: false }),
        response: {
          200: Type.Object({
            participantId: ParticipantId,
            role: Type.String(),
            mspId: Type.String(),
            status: Type.String(),
          }),
          ...problems(400, 401, 403, 404, 502, 503, 504),
        },
      },
    },
    async (request) => {
      const { externalIdKind, externalId } = request.body;
      return (await externalIds.resolve(await requesterKeys(app, request), externalIdKind, externalId)).result;
    },
  );
};
