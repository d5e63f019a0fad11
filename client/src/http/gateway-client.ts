/**
 * The device's HTTP client for a hospital gateway: the routes of docs/device-keys.md. Works with the
 * platform's fetch (browser or Node). Problems (RFC 9457) come back as GatewayProblem with their code.
 */
import { fromBase64, toBase64 } from '../bytes.js';
import type { RelationshipView, SummaryEntry } from './views.js';

export class GatewayProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayProblem';
  }
}

export interface ActivationInfo {
  mspId: string;
  /** home: the person's own identity there; delegate: her identity for one relationship there (docs/privacy.md §3) */
  kind: 'home' | 'delegate';
  enrollmentId: string;
  role: string;
  expiresAt: string;
}

export interface ActivationResult {
  mspId: string;
  enrollmentId: string;
  role: string;
  participantId: string;
  identityId: string;
  certificate: string;
  caCertificates: string[];
  channel: string;
  chaincode: string;
}

export interface Prepared {
  txId: string;
  /** fabric-gateway Proposal.getBytes() */
  proposal: Uint8Array;
  digest: Uint8Array;
}

export interface Endorsed {
  /** fabric-gateway Transaction.getBytes() */
  transaction: Uint8Array;
  digest: Uint8Array;
}

export type Submitted =
  | { txId: string; status: string; blockNumber?: string }
  /** the gateway asks the device to sign the commit-status request (fabric-gateway Commit.getBytes()) */
  | { txId: string; commit: Uint8Array; digest: Uint8Array };

export interface Session {
  token: string;
  expiresIn: number;
}

type Json = Record<string, unknown>;

export class GatewayClient {
  private token: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly fetcher: typeof fetch = (...args) => globalThis.fetch(...args),
    private readonly timeoutMs = 30_000,
  ) {}

  get origin(): string {
    return new URL(this.baseUrl).origin;
  }

  useSession(token: string): void {
    this.token = token;
  }

  inspectActivation(code: string): Promise<ActivationInfo> {
    return this.json('POST', '/device/activations/inspect', { code });
  }

  redeemActivation(code: string, csr: string): Promise<ActivationResult> {
    return this.json('POST', '/device/activations/redeem', { code, csr });
  }

  /** Proof of possession (JWS with the public key in `jwk`) → the certificate the CA issued for that key. */
  recoverCertificate(jws: string): Promise<ActivationResult> {
    return this.json('POST', '/device/certificates/lookup', { jws });
  }

  async login(jws: string): Promise<Session> {
    const session = await this.json<Session>('POST', '/auth/device', { jws });
    this.token = session.token;
    return session;
  }

  summary(): Promise<SummaryEntry[]> {
    return this.json('GET', '/me/summary');
  }

  relationship(id: string): Promise<RelationshipView> {
    return this.json('GET', `/relationships/${encodeURIComponent(id)}`);
  }

  /** `endorsingOrganizations` is not signed: it only tells the gateway which hospitals' peers to ask. */
  async prepare(contract: string, transaction: string, args: readonly string[], endorsingOrganizations?: readonly string[]): Promise<Prepared> {
    const r = await this.json<Json>('POST', '/tx/prepare', { contract, transaction, args, ...(endorsingOrganizations ? { endorsingOrganizations } : {}) });
    return { txId: String(r['txId']), proposal: bytes(r['proposal']), digest: bytes(r['digest']) };
  }

  async endorse(txId: string, signature: Uint8Array): Promise<Endorsed> {
    const r = await this.json<Json>('POST', `/tx/${txId}/endorse`, { signature: toBase64(signature) });
    return { transaction: bytes(r['transaction']), digest: bytes(r['digest']) };
  }

  async evaluate(txId: string, signature: Uint8Array): Promise<Uint8Array> {
    const r = await this.json<Json>('POST', `/tx/${txId}/evaluate`, { signature: toBase64(signature) });
    return bytes(r['result']);
  }

  async submit(txId: string, signature: Uint8Array): Promise<Submitted> {
    const r = await this.json<Json>('POST', `/tx/${txId}/submit`, { signature: toBase64(signature) });
    if (typeof r['commit'] === 'string') return { txId, commit: bytes(r['commit']), digest: bytes(r['digest']) };
    return { txId, status: String(r['status']), ...(r['blockNumber'] !== undefined ? { blockNumber: String(r['blockNumber']) } : {}) };
  }

  async commit(txId: string, signature: Uint8Array): Promise<{ txId: string; status: string; blockNumber?: string }> {
    const r = await this.json<Json>('POST', `/tx/${txId}/commit`, { signature: toBase64(signature) });
    return { txId, status: String(r['status']), ...(r['blockNumber'] !== undefined ? { blockNumber: String(r['blockNumber']) } : {}) };
  }

  /** Sends a device-signed gatekeeper request through the home gateway; the answer comes back sealed (JWE). */
  async relay(jws: string): Promise<string> {
    const res = await this.send('POST', '/records/relay', JSON.stringify({ jws }), 'application/jose');
    return res.text();
  }

  /** Sends a device-signed inclusions request through the home gateway to its relationship's gatekeeper; the answer comes back sealed (JWE). */
  async relayInclusions(jws: string): Promise<string> {
    const res = await this.send('POST', '/research/inclusions/relay', JSON.stringify({ jws }), 'application/jose');
    return res.text();
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body), 'application/json');
    return (await res.json()) as T;
  }

  private async send(method: string, path: string, body: string | undefined, accept: string): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    const url = new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    let res: Response;
    try {
      res = await this.fetcher(url, { method, headers, ...(body !== undefined ? { body } : {}), redirect: 'error', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (cause) {
      throw new GatewayProblem(0, (cause as Error).name === 'TimeoutError' ? 'GATEWAY_TIMEOUT' : 'GATEWAY_UNREACHABLE', `${method} ${url.pathname}: ${(cause as Error).message}`);
    }
    if (res.ok) return res;
    const problem = (await res.json().catch(() => undefined)) as { code?: unknown; detail?: unknown } | undefined;
    throw new GatewayProblem(
      res.status,
      typeof problem?.code === 'string' ? problem.code : `HTTP_${res.status}`,
      typeof problem?.detail === 'string' ? problem.detail : `${method} ${url.pathname} answered ${res.status}`,
    );
  }
}

function bytes(value: unknown): Uint8Array {
  if (typeof value !== 'string') throw new GatewayProblem(502, 'GATEWAY_BAD_RESPONSE', 'expected base64 bytes');
  return fromBase64(value);
}
