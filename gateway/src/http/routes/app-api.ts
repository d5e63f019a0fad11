import { CATEGORY_FIELDS, PURPOSES } from '@medrec/chaincode/domain';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { part, signedWith } from '../../services/gatekeeper/relay.js';
import { gatekeeperUrl, postToGatekeeper } from '../../services/gatekeeper/requester.js';
import { isAuditAnswer } from '../../services/gatekeeper/audit-answer.js';
import { badRequest, forbidden, notFound } from '../../services/problem.js';
import { AuditAnswerSchema } from '../audit-schemas.js';
import { JWS_PATTERN } from '../gatekeeper-schemas.js';
import type { HospitalRuntime } from '../runtime.js';
import { SECURED, problems } from '../schemas.js';

/** Plain-language names of the coded purposes (HL7 v3 PurposeOfUse), for the app's grant form. */
const PURPOSE_LABELS: Record<(typeof PURPOSES)[number], string> = {
  TREAT: 'Treatment',
  ETREAT: 'Emergency treatment',
  HPAYMT: 'Payment',
  HOPERAT: 'Healthcare operations',
  FAMRQT: 'Family request',
  PATRQT: 'My own request',
  PWATRNY: 'Power of attorney',
  HRESCH: 'Research',
  PUBHLTH: 'Public health',
  CAREMGT: 'Care management',
};

/** XXXX-XXXX from the share-code alphabet (services/sharing/share-codes.ts). */
const ShareCode = Type.String({ pattern: '^[A-HJKMNP-Z2-9]{4}-?[A-HJKMNP-Z2-9]{4}$', description: 'XXXX-XXXX' });

/**
 * What the MedRec app (app/) needs beyond the device routes: the grant form's field catalogue, short
 * share codes that stand for a viewer's participant id, and a relay for the patient's own signed
 * audit queries ("who looked") to the gatekeeper of each of their relationships.
 */
export const appApiRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (app, runtime) => {
  const { hospital, offline, gatekeepers, shareCodes } = runtime;

  app.get(
    '/app-api/catalogue',
    {
      schema: {
        tags: ['app'],
        summary: "The categories and fields a grant may name, the coded purposes, this hospital, and the consortium's gateways",
        description:
          'Public (no session): the recovery page reads the hospital from it before any key is known; the "add a hospital" page ' +
          "reads where each member's gateway is (the ledger's gatekeeper directory) to redeem a delegate code there. Takes no parameters.",
        querystring: Type.Object({}, { additionalProperties: false }),
        response: {
          200: Type.Object({
            hospital: Type.Object({ mspId: Type.String(), name: Type.String() }),
            hospitals: Type.Array(Type.Object({ mspId: Type.String(), gateway: Type.String({ description: 'the origin of its gateway' }) })),
            categories: Type.Array(Type.Object({ category: Type.String(), fields: Type.Array(Type.String()) })),
            purposes: Type.Array(Type.Object({ code: Type.String(), label: Type.String() })),
          }),
          ...problems(400),
        },
      },
    },
    async () => ({
      hospital: { mspId: hospital.mspId, name: hospital.name },
      hospitals: (await app.consortium()).map(({ mspId, origin }) => ({ mspId, gateway: origin })),
      categories: Object.entries(CATEGORY_FIELDS).map(([category, fields]) => ({ category, fields: [...fields] })),
      purposes: PURPOSES.map((code) => ({ code, label: PURPOSE_LABELS[code] })),
    }),
  );

  app.post(
    '/app-api/share-codes',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['app'],
        summary: 'A short code that stands for your participant id for a day, to show to a patient who wants to share with you',
        security: SECURED,
        response: { 201: Type.Object({ code: ShareCode, expiresAt: Type.String() }), ...problems(401, 503) },
      },
    },
    async (request, reply) => {
      const { participantId, role } = request.user;
      return reply.code(201).send(shareCodes.issue({ participantId, role, mspId: hospital.mspId }));
    },
  );

  app.post(
    '/app-api/share-codes/resolve',
    {
      onRequest: app.requireRole(),
      config: { limit: 'login' },
      schema: {
        tags: ['app'],
        summary: "The participant a share code stands for (codes are made at this hospital's gateway)",
        security: SECURED,
        body: Type.Object({ code: ShareCode }, { additionalProperties: false }),
        response: {
          200: Type.Object({ participantId: Type.String(), role: Type.String(), mspId: Type.String() }),
          ...problems(400, 401, 404, 429),
        },
      },
    },
    async (request) => {
      const shared = shareCodes.resolve(request.body.code);
      if (!shared) throw notFound('SHARE_CODE_UNKNOWN', 'no live share code like this one');
      return shared;
    },
  );

  app.post(
    '/app-api/audit/relay',
    {
      onRequest: app.requireRole(),
      config: { idempotency: false },
      schema: {
        tags: ['app'],
        summary: 'Relay your own signed audit query (medrec-audit+jws) to the gatekeeper of the relationships it names',
        description:
          "Forwards only queries signed with the session's certificate, naming at least one relationship whose endpoint " +
          'the device has read (device-signed Relationship.get) and whose origin is the query\'s `aud`: no open proxy.',
        security: SECURED,
        body: Type.Object({ jws: Type.String({ pattern: JWS_PATTERN, maxLength: 16 * 1024 }) }, { additionalProperties: false }),
        response: { 200: AuditAnswerSchema, ...problems(400, 401, 403, 502, 504) },
      },
    },
    async (request) => {
      const { jws } = request.body;
      const x5c = part(jws, 0)['x5c'];
      const { rels, aud } = part(jws, 1);
      if (!Array.isArray(x5c) || typeof x5c[0] !== 'string' || !Array.isArray(rels) || rels.length === 0 || typeof aud !== 'string') {
        throw badRequest('MALFORMED_REQUEST', 'an audit query names its relationships (rels) and its gatekeeper (aud)');
      }
      if (!signedWith(x5c[0], app.creatorFor(request).certificate)) throw forbidden('RELAY_NOT_YOURS', 'only queries signed with your own certificate are relayed');
      const endpoints = rels.map((rel) => (typeof rel === 'string' ? offline.endpointSeen(request.user.jti, rel) : undefined));
      if (endpoints.some((e) => e === undefined)) {
        throw forbidden('RELAY_UNKNOWN_RELATIONSHIP', 'read the relationship first (a device reads it with a device-signed Relationship.get)');
      }
      const target = new URL(endpoints[0]!);
      if (endpoints.some((e) => new URL(e!).origin !== aud)) throw forbidden('RELAY_AUDIENCE', "aud is not the origin of the relationships' endpoint on the ledger");
      return postToGatekeeper(gatekeeperUrl(target, 'audit'), jws, gatekeepers, isAuditAnswer);
    },
  );
};
