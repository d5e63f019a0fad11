/**
 * A stand-in for the gateway routes of docs/device-keys.md, for the CLI's unit tests ONLY: the real
 * routes do not exist yet. It keeps to the documented bytes — proposals from fabric-gateway's
 * offline API, envelopes shaped as a peer builds them — and verifies every device signature with the
 * gateway's own low-S check, but it runs no ledger: it is no evidence that the product works.
 */
import { X509Certificate, createPublicKey, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactEncrypt, compactVerify, decodeProtectedHeader, importJWK, importX509 } from 'jose';
import { SEALED_ANSWER_CTY, decodeProposedTransaction, hashResources, type FhirResource, type GatekeeperAnswer } from '../../src/index.js';
import { gateway as gw } from '../../src/fabric/protos.js';
import { CHAINCODE, CHANNEL, commitStatusFor, envelopeFor, offlineGateway, type OfflineGateway } from './fabric.js';
import type { TestCa } from './fixtures.js';
import { verifyLowS } from './gateway.js';

export interface Recorded {
  /** every transaction committed: contract:transaction and args, and whether each device signature verified */
  committed: { args: string[]; proposalSignatureOk: boolean; envelopeSignatureOk: boolean; commitSignatureOk: boolean }[];
  /** what crossed the relay: ciphertext only */
  relayed: string[];
}

export interface ProtocolServer {
  url: string;
  code: string;
  recorded: Recorded;
  resources: FhirResource[];
  relationshipId: string;
  /** the ledger hash the stand-in reports (set to another value to play a tampered record) */
  ledgerHash: string;
  close(): Promise<void>;
}

interface Pending {
  gateway: OfflineGateway;
  args: string[];
  proposed: Uint8Array;
  envelope?: Uint8Array;
  proposalBytes: Uint8Array;
  proposalSignatureOk: boolean;
  envelopeSignatureOk?: boolean;
  commit?: Uint8Array;
  certificate: string;
}

export async function protocolServer(ca: TestCa, enrollmentId: string): Promise<ProtocolServer> {
  const code = randomBytes(9).toString('base64url');
  let redeemed = false;
  let issued: string | undefined;
  const sessions = new Map<string, string>();
  const pending = new Map<string, Pending>();
  const relationshipId = 'ab'.repeat(32);
  const resources: FhirResource[] = [{ resourceType: 'Observation', id: 'obs-1', status: 'final', code: { text: 'Glucose' } }];
  let origin = '';
  const recorded: Recorded = { committed: [], relayed: [] };
  const state = { ledgerHash: hashResources(resources) };

  async function handle(req: IncomingMessage, body: Record<string, unknown>, res: ServerResponse): Promise<unknown> {
    const path = new URL(req.url!, origin).pathname;
    const certificate = sessions.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (path === '/device/activations/inspect') {
      if (body['code'] !== code) return problem(res, 404, 'ACTIVATION_UNKNOWN');
      return { mspId: ca.mspId, kind: 'delegate', enrollmentId, role: 'patient', expiresAt: new Date(Date.now() + 3600_000).toISOString() };
    }
    if (path === '/device/activations/redeem') {
      if (body['code'] !== code) return problem(res, 404, 'ACTIVATION_UNKNOWN');
      if (redeemed) return problem(res, 409, 'ACTIVATION_USED');
      let cert: string;
      try {
        cert = await ca.issueFromCsr(String(body['csr']), enrollmentId);
      } catch {
        return problem(res, 400, 'BAD_CSR');
      }
      redeemed = true;
      issued = cert;
      return { mspId: ca.mspId, enrollmentId, role: 'patient', participantId: 'ee'.repeat(32), identityId: 'ff'.repeat(32), certificate: cert, caCertificates: [ca.certificate], channel: CHANNEL, chaincode: CHAINCODE };
    }
    if (path === '/device/certificates/lookup') {
      const jws = String(body['jws']);
      const header = decodeProtectedHeader(jws);
      if (header.typ !== 'medrec-recover+jws' || !header.jwk) return problem(res, 400, 'MALFORMED_REQUEST');
      try {
        const { payload } = await compactVerify(jws, await importJWK(header.jwk, 'ES256'));
        if (JSON.parse(new TextDecoder().decode(payload)).aud !== origin) return problem(res, 401, 'AUDIENCE_MISMATCH');
      } catch {
        return problem(res, 401, 'SIGNATURE_INVALID');
      }
      const jwk = createPublicKey({ key: { ...header.jwk }, format: 'jwk' }).export({ format: 'der', type: 'spki' });
      if (!issued || !new X509Certificate(issued).publicKey.export({ format: 'der', type: 'spki' }).equals(jwk)) return problem(res, 404, 'UNKNOWN_KEY');
      return { mspId: ca.mspId, enrollmentId, role: 'patient', participantId: 'ee'.repeat(32), identityId: 'ff'.repeat(32), certificate: issued, caCertificates: [ca.certificate], channel: CHANNEL, chaincode: CHAINCODE };
    }
    if (path === '/auth/device') {
      const jws = String(body['jws']);
      const header = decodeProtectedHeader(jws);
      const pem = `-----BEGIN CERTIFICATE-----\n${(header.x5c ?? [])[0]}\n-----END CERTIFICATE-----\n`;
      try {
        const { payload } = await compactVerify(jws, await importX509(pem, 'ES256'));
        if (header.typ !== 'medrec-login+jws') return problem(res, 400, 'MALFORMED_REQUEST');
        if (JSON.parse(new TextDecoder().decode(payload)).aud !== origin) return problem(res, 401, 'AUDIENCE_MISMATCH');
      } catch {
        return problem(res, 401, 'SIGNATURE_INVALID');
      }
      const token = randomBytes(16).toString('hex');
      sessions.set(token, new X509Certificate(pem).toString());
      return { token, expiresIn: 900 };
    }
    if (!certificate) return problem(res, 401, 'UNAUTHENTICATED');
    const publicKey = createPublicKey(certificate);
    // As the real gateway: a device session holds no key to read as its person; it signs its reads.
    if (path === '/me/summary') return problem(res, 403, 'DEVICE_SIGNS');
    const view = () => ({ relationshipId, status: 'accepted', endpoint: `${origin}/`, pointers: [{ category: 'Observation', hash: state.ledgerHash, version: 1 }] });
    if (path === `/relationships/${relationshipId}`) return view();
    if (path === '/tx/prepare') {
      const gateway = offlineGateway(ca.mspId, certificate);
      const args = (body['args'] as string[]).map(String);
      const made = gateway.propose(String(body['contract']), String(body['transaction']), args);
      const decoded = gw.ProposedTransaction.deserializeBinary(made.bytes);
      pending.set(made.txId, {
        gateway,
        args: [`${body['contract']}:${body['transaction']}`, ...args],
        proposed: made.bytes,
        proposalBytes: decoded.getProposal()!.getProposalBytes_asU8(),
        proposalSignatureOk: false,
        certificate,
      });
      return { txId: made.txId, proposal: b64(made.bytes), digest: b64(made.digest) };
    }
    const tx = /^\/tx\/([0-9a-f]{64})\/(endorse|submit|commit|evaluate)$/.exec(path);
    const entry = tx ? pending.get(tx[1]!) : undefined;
    if (tx && entry) {
      const signature = Buffer.from(String(body['signature']), 'base64');
      if (tx[2] === 'evaluate') {
        pending.delete(tx[1]!);
        if (!verifyLowS(entry.proposalBytes, signature, publicKey)) return problem(res, 403, 'SIGNATURE_INVALID');
        if (entry.args[0] === 'Summary:mine') return { result: b64(new TextEncoder().encode(JSON.stringify([{ relationshipId, role: 'patient', status: 'new' }]))) };
        if (entry.args[0] !== 'Relationship:get' || entry.args[1] !== relationshipId) return problem(res, 404, 'NOT_FOUND');
        return { result: b64(new TextEncoder().encode(JSON.stringify(view()))) };
      }
      if (tx[2] === 'endorse') {
        entry.proposalSignatureOk = verifyLowS(entry.proposalBytes, signature, publicKey);
        if (!entry.proposalSignatureOk) return problem(res, 403, 'SIGNATURE_INVALID');
        entry.envelope = envelopeFor(entry.proposed, { result: JSON.stringify({ ok: entry.args[0] }) });
        return { transaction: b64(entry.envelope), digest: b64(entry.gateway.gateway.newTransaction(entry.envelope).getDigest()) };
      }
      if (tx[2] === 'submit') {
        if (!entry.envelope) return problem(res, 409, 'NOT_ENDORSED');
        const prepared = gw.PreparedTransaction.deserializeBinary(entry.envelope);
        entry.envelopeSignatureOk = verifyLowS(prepared.getEnvelope()!.getPayload_asU8(), signature, publicKey);
        if (!entry.envelopeSignatureOk) return problem(res, 403, 'SIGNATURE_INVALID');
        entry.commit = commitStatusFor(tx[1]!, CHANNEL, decodeProposedTransaction(entry.proposed).creator);
        return { txId: tx[1], commit: b64(entry.commit), digest: b64(entry.gateway.gateway.newCommit(entry.commit).getDigest()) };
      }
      const request = gw.SignedCommitStatusRequest.deserializeBinary(entry.commit!).getRequest_asU8();
      const commitSignatureOk = verifyLowS(request, signature, publicKey);
      recorded.committed.push({ args: entry.args, proposalSignatureOk: entry.proposalSignatureOk, envelopeSignatureOk: entry.envelopeSignatureOk === true, commitSignatureOk });
      entry.gateway.close();
      pending.delete(tx[1]!);
      return { txId: tx[1], status: commitSignatureOk ? 'VALID' : 'BAD_SIGNATURE', blockNumber: String(recorded.committed.length) };
    }
    if (path === '/records/relay') {
      const jws = String(body['jws']);
      const header = decodeProtectedHeader(jws);
      const pem = `-----BEGIN CERTIFICATE-----\n${(header.x5c ?? [])[0]}\n-----END CERTIFICATE-----\n`;
      const { payload } = await compactVerify(jws, await importX509(pem, 'ES256'));
      if (header.typ !== 'medrec-request+jws') return problem(res, 400, 'MALFORMED_REQUEST');
      const claims = JSON.parse(new TextDecoder().decode(payload)) as { rel: string; cat: string; jti: string; aud: string };
      if (claims.aud !== origin) return problem(res, 401, 'AUDIENCE_MISMATCH');
      const answer: GatekeeperAnswer = {
        relationshipId: claims.rel,
        category: claims.cat,
        decision: 'ALLOWED_PATIENT',
        fields: [],
        projected: false,
        ledgerHash: state.ledgerHash,
        sourceHash: hashResources(resources),
        hashMatches: state.ledgerHash === hashResources(resources),
        version: 1,
        bundle: { resourceType: 'Bundle', type: 'searchset', total: resources.length, entry: resources.map((resource) => ({ resource, search: { mode: 'match' } })) },
      };
      const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(answer)))
        .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', cty: SEALED_ANSWER_CTY, jti: claims.jti })
        .encrypt(await importX509(pem, 'ECDH-ES'));
      recorded.relayed.push(jwe);
      res.setHeader('content-type', 'application/jose');
      return jwe;
    }
    return problem(res, 404, 'NOT_FOUND');
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      handle(req, text ? (JSON.parse(text) as Record<string, unknown>) : {}, res)
        .then((result) => {
          if (res.writableEnded) return;
          if (typeof result === 'string') return res.end(result);
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(result));
        })
        .catch((error: unknown) => {
          res.statusCode = 500;
          res.end(JSON.stringify({ code: 'INTERNAL', detail: String(error) }));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const result: ProtocolServer = {
    url: origin,
    code,
    recorded,
    resources,
    relationshipId,
    get ledgerHash() {
      return state.ledgerHash;
    },
    set ledgerHash(value: string) {
      state.ledgerHash = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return result;
}

function problem(res: ServerResponse, status: number, code: string): undefined {
  res.statusCode = status;
  res.setHeader('content-type', 'application/problem+json');
  res.end(JSON.stringify({ type: 'about:blank', status, code, detail: code }));
  return undefined;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
