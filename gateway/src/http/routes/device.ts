import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { badRequest, notFound } from '../../services/problem.js';
import type { HospitalRuntime } from '../runtime.js';
import { DeviceJws, MspId, SECURED, problems } from '../schemas.js';

const Base64 = Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$', maxLength: 200_000 });
const Signature = Type.Object({ signature: Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$', minLength: 1, maxLength: 200, description: 'DER ECDSA P-256, low S, standard base64' }) }, { additionalProperties: false });
const TxId = Type.String({ pattern: '^[0-9a-f]{64}$' });
const TxParams = Type.Object({ txId: TxId }, { additionalProperties: false });
const Name = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' });

const signatureOf = (text: string) => {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw badRequest('SIGNATURE_MALFORMED', 'the signature is not standard base64');
  return bytes;
};

/**
 * Device-held keys (docs/device-keys.md): a device's login, and the
 * offline-signing steps of every transaction it makes. No route here ever receives a private key.
 */
export const deviceRoutes: FastifyPluginAsyncTypebox<HospitalRuntime> = async (
  app,
  { devices, offline, ledger },
) => {
  app.post(
    '/auth/device',
    {
      config: { limit: 'login' },
      schema: {
        tags: ['sessions'],
        summary: 'Log in with your device key: a JWS of typ medrec-login+jws carrying your certificate (x5c)',
        description: 'The session holds your certificate only; transactions are signed on the device through /tx/prepare.',
        body: Type.Object({ jws: DeviceJws }, { additionalProperties: false }),
        response: { 200: Type.Object({ token: Type.String(), expiresAt: Type.String(), expiresIn: Type.Integer() }), ...problems(400, 401, 429) },
      },
    },
    async (request) => {
      const { user, creator } = await devices.login(request.body.jws);
      const session = await app.startSession(user, creator);
      return { ...session, expiresIn: Math.max(0, Math.round((Date.parse(session.expiresAt) - Date.now()) / 1000)) };
    },
  );

  const owner = (request: { user: { jti: string } }) => request.user.jti;

  app.post(
    '/tx/prepare',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['transactions'],
        summary: 'Step 1 of a device-signed transaction: the proposal (fabric-gateway Proposal.getBytes()) and the digest to sign',
        security: SECURED,
        body: Type.Object(
          {
            contract: Name,
            transaction: Name,
            args: Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 8 }),
            // Not signed by the device: which peers are asked to endorse (a research consent needs each provider's hospital).
            endorsingOrganizations: Type.Optional(Type.Array(MspId, { minItems: 1, maxItems: 16, uniqueItems: true })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ txId: TxId, proposal: Base64, digest: Base64 }), ...problems(400, 401, 403, 429, 503) },
      },
    },
    async (request, reply) => {
      const { contract, transaction, args, endorsingOrganizations } = request.body;
      const options = endorsingOrganizations ? { endorsingOrganizations } : {};
      return reply.code(201).send(await offline.prepare(owner(request), app.creatorFor(request), contract, transaction, args, options));
    },
  );

  app.post(
    '/tx/:txId/endorse',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['transactions'],
        summary: 'Step 2: endorse with your signature over the proposal digest; answers the envelope (Transaction.getBytes()) to sign',
        security: SECURED,
        params: TxParams,
        body: Signature,
        response: { 200: Type.Object({ transaction: Base64, digest: Base64 }), ...problems(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request) => offline.endorse(owner(request), request.params.txId, signatureOf(request.body.signature)),
  );

  app.post(
    '/tx/:txId/submit',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['transactions'],
        summary: 'Step 3: order the envelope with your signature over its digest; answers its commit (202 UNKNOWN: ask GET /tx/:txId)',
        security: SECURED,
        params: TxParams,
        body: Signature,
        response: {
          200: Type.Object({ txId: TxId, status: Type.String(), blockNumber: Type.String() }),
          202: Type.Object({ txId: TxId, status: Type.Literal('UNKNOWN') }),
          ...problems(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const outcome = await offline.submit(owner(request), request.params.txId, signatureOf(request.body.signature));
      return reply.code(outcome.status === 'UNKNOWN' ? 202 : 200).send(outcome);
    },
  );

  app.post(
    '/tx/:txId/evaluate',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['transactions'],
        summary: 'A read signed on the device: evaluate the prepared proposal with your signature over its digest',
        security: SECURED,
        params: TxParams,
        body: Signature,
        response: { 200: Type.Object({ result: Base64 }), ...problems(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request) => ({ result: Buffer.from(await offline.evaluate(owner(request), request.params.txId, signatureOf(request.body.signature))).toString('base64') }),
  );

  app.get(
    '/tx/:txId',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['transactions'],
        summary: 'What became of a transaction (after a 202 UNKNOWN): its block and validation code',
        security: SECURED,
        params: TxParams,
        response: { 200: Type.Object({ txId: TxId, status: Type.String(), blockNumber: Type.String() }), ...problems(401, 404, 503) },
      },
    },
    async (request) => {
      const info = await ledger.getTransaction(request.params.txId);
      if (!info) throw notFound('TX_NOT_FOUND', 'the ledger holds no such transaction (yet)');
      return { txId: info.txId, status: info.validationCode, blockNumber: info.blockNumber.toString() };
    },
  );
};
