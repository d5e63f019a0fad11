/**
 * PeerGateways over `@medrec/client`: the home gateway does for a custodial patient's delegate what
 * her device would do (docs/device-keys.md): CSR, redemption, device login, offline-signed
 * proposals, over HTTPS trusting only the channel members' TLS roots (the gatekeeper transport).
 */
import { createPrivateKey } from 'node:crypto';
import { ERROR_CODES, type ErrorCode } from '@medrec/chaincode/domain';
import {
  DeviceKey,
  GatewayClient,
  GatewayProblem,
  WalletIdentity,
  createCsr,
  enrollmentOf,
  evaluateTransaction,
  intentFor,
  login,
  recoverJws,
  signerFor,
  submitTransaction,
  type ActivationResult,
} from '@medrec/client';
import {
  ChaincodeError,
  TransactionInvalidError,
  TransactionOutcomeUnknownError,
  type LedgerCalls,
  type SubmitOptions,
  type SubmitResult,
} from '../../ports/ledger.js';
import { PeerRefusal, PeerUnreachable, type DelegateEnrolment, type PeerGateway, type PeerGateways } from '../../ports/peers.js';

/** How other hospitals' gateways are reached: HTTPS trusting only the channel members' TLS roots (system/tls.ts), and how long to wait. */
export interface PeerTransport {
  fetch: (url: URL, init: RequestInit) => Promise<Response>;
  timeoutMs: number;
}

const deviceKey = (privateKeyPem: string) =>
  DeviceKey.fromPrivateKey(Buffer.from(createPrivateKey(privateKeyPem).export({ format: 'jwk' }).d!, 'base64url'));

/** The other gateway's problem as the port's: 4xx refused (nothing done), anything else not answered. */
function peerError(mspId: string, err: unknown): Error {
  if (!(err instanceof GatewayProblem)) return err as Error;
  if (err.status === 0 || err.status >= 500) return new PeerUnreachable(mspId, `${mspId}'s gateway did not answer (${err.code})`);
  if ((ERROR_CODES as readonly string[]).includes(err.code)) return new ChaincodeError(err.code as ErrorCode, err.message);
  return new PeerRefusal(err.status, err.code, err.message);
}

function enrolment(result: ActivationResult): DelegateEnrolment {
  const e = enrollmentOf(result);
  return { mspId: e.mspId, enrollmentId: e.enrollmentId, participantId: e.participantId, identityId: e.identityId, certificate: e.certificate, ledger: e.ledger };
}

/**
 * How long a delegate's device session at its hospital is reused: each login counts against that
 * gateway's per-address login budget, which every custodial patient of this home shares.
 */
const SESSION_REUSE_MS = 5 * 60_000;

export function clientPeers(transport: PeerTransport, now: () => number = Date.now): PeerGateways {
  const fetcher: typeof fetch = (input, init) => transport.fetch(input instanceof URL ? input : new URL(String(input)), init ?? {});
  const sessions = new SessionCache(now);
  return (mspId, origin) => {
    const client = () => new GatewayClient(origin, fetcher, transport.timeoutMs);
    const asked = async <T>(call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (err) {
        throw peerError(mspId, err);
      }
    };
    const peer: PeerGateway = {
      inspect: (code) => asked(() => client().inspectActivation(code)),
      redeem: (code, enrollmentId, privateKeyPem) =>
        asked(async () => enrolment(await client().redeemActivation(code, await createCsr(deviceKey(privateKeyPem), { commonName: enrollmentId })))),
      recover: (privateKeyPem) => asked(async () => enrolment(await client().recoverCertificate(await recoverJws(deviceKey(privateKeyPem), origin)))),
      ledger: (delegate, privateKeyPem) => new DelegateLedger(client(), asked, sessions, new WalletIdentity(
        { name: delegate.enrollmentId, scope: { kind: 'delegate', mspId, label: '0' }, gateway: origin, enrollment: { ...delegate, role: 'patient' } },
        deviceKey(privateKeyPem),
      )),
    };
    return peer;
  };
}

/** Delegates' device-session tokens, by certificate, each kept for at most SESSION_REUSE_MS and less than its own lifetime. */
class SessionCache {
  private readonly tokens = new Map<string, { token: string; until: number }>();

  constructor(private readonly now: () => number) {}

  get(certificate: string): string | undefined {
    const held = this.tokens.get(certificate);
    if (held && held.until > this.now()) return held.token;
    this.tokens.delete(certificate);
    return undefined;
  }

  set(certificate: string, token: string, expiresInSeconds: number): void {
    for (const [key, held] of this.tokens) if (held.until <= this.now()) this.tokens.delete(key);
    this.tokens.set(certificate, { token, until: this.now() + Math.min(SESSION_REUSE_MS, (expiresInSeconds - 30) * 1000) });
  }

  drop(certificate: string): void {
    this.tokens.delete(certificate);
  }
}

/** A delegate's chaincode calls at its own hospital's gateway: a device session, every proposal signed here with its key. */
class DelegateLedger implements LedgerCalls {
  private session?: Promise<void>;

  constructor(
    private readonly client: GatewayClient,
    private readonly asked: <T>(call: () => Promise<T>) => Promise<T>,
    private readonly sessions: SessionCache,
    private readonly identity: WalletIdentity,
  ) {}

  private get certificate(): string {
    return this.identity.enrolled().certificate;
  }

  private opened(): Promise<void> {
    const held = this.sessions.get(this.certificate);
    if (held && !this.session) {
      this.client.useSession(held);
      this.session = Promise.resolve();
    }
    this.session ??= login(this.identity, this.client).then(
      (session) => this.sessions.set(this.certificate, session.token, session.expiresIn),
      (err: unknown) => {
        this.session = undefined;
        throw err;
      },
    );
    return this.session;
  }

  /** A reused session that the gateway ended meanwhile (a restart, its expiry) is opened again, once. */
  private async signedIn<T>(call: () => Promise<T>): Promise<T> {
    await this.opened();
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof GatewayProblem && err.status === 401)) throw err;
      this.sessions.drop(this.certificate);
      this.session = undefined;
      await this.opened();
      return call();
    }
  }

  submit(_signer: unknown, contract: string, transaction: string, args: string[], options?: SubmitOptions): Promise<SubmitResult> {
    return this.asked(async () => {
      const outcome = await this.signedIn(() => submitTransaction(this.client, signerFor(this.identity), intentFor(this.identity, contract, transaction, args), options?.endorsingOrganizations));
      if (outcome.status === 'VALID') return { txId: outcome.txId, blockNumber: BigInt(outcome.blockNumber ?? '0'), result: outcome.result };
      if (outcome.status === 'UNKNOWN') throw new TransactionOutcomeUnknownError(outcome.txId, "at the delegate's hospital");
      throw new TransactionInvalidError(outcome.txId, outcome.status);
    });
  }

  evaluate(_signer: unknown, contract: string, transaction: string, args: string[]): Promise<Uint8Array> {
    return this.asked(() => this.signedIn(() => evaluateTransaction(this.client, signerFor(this.identity), intentFor(this.identity, contract, transaction, args))));
  }

  checkAccess(): never {
    throw new TypeError("a delegate asks checkAccess by evaluating it at its hospital's gateway");
  }
}
