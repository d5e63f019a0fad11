/**
 * The app's use of the client library: one wallet in IndexedDB holding the person's home identity
 * and a delegate identity per relationship a providing hospital registered (docs/privacy.md §3);
 * each identity speaks only at its own hospital's gateway (the home identity at this page's origin),
 * every ledger read and write signed on this device, every record fetched sealed and hash-checked here.
 */
import {
  GatewayClient,
  IndexedDbStore,
  assembleSummary,
  enrolDelegate,
  Wallet,
  WalletVault,
  checkRecords,
  enrolByActivation,
  evaluateTransaction,
  freshClaims,
  intentFor,
  login,
  openSealedAnswer,
  recoverEnrollment,
  signJws,
  signRequest,
  signerFor,
  submitTransaction,
  type GatekeeperAnswer,
  type RecordCheck,
  type WalletIdentity,
} from '@medrec/client';
import { recoverDelegates } from './delegates';

export const IDENTITY = 'home';
const AUDIT_TYP = 'medrec-audit+jws';

export interface Pointer {
  category: string;
  hash: string;
  version: number;
  updatedAt?: string;
}
export interface Grant {
  relationshipId: string;
  viewerId: string;
  items: { category: string; fields: string[] }[];
  validUntil: string;
  purpose: string;
  status: string;
  grantedAt: string;
}
export interface Relationship {
  /** the wallet identity that is party to it (home, or the delegate registered for it) */
  identity: string;
  relationshipId: string;
  patientId: string;
  providerId: string;
  providerMspId: string;
  endpoint: string;
  status: string;
  updatedAt: string;
  pointers: Pointer[];
  grants: Grant[];
}
export interface SummaryEntry {
  /** the wallet identity whose Summary.mine listed it */
  identity: string;
  participantId: string;
  relationshipId: string;
  role: string;
  status: string;
  providerMspId: string;
  updatedAt: string;
}
/** A hospital whose gateway did not answer for one of the device's identities, and why. */
export interface Unreached {
  mspId: string;
  error: unknown;
}
export interface Catalogue {
  hospital: { mspId: string; name: string };
  /** each member's gateway origin: where a delegate code is redeemed and its relationship acted on */
  hospitals: { mspId: string; gateway: string }[];
  categories: { category: string; fields: string[] }[];
  purposes: { code: string; label: string }[];
}
export interface Fetched {
  answer: GatekeeperAnswer;
  check: RecordCheck;
}
export interface AuditRecord {
  seq: number;
  at: string;
  role: string | null;
  requesterRole: string | null;
  mspId: string | null;
  relationshipId: string | null;
  category: string | null;
  fields: string[] | null;
  decision: string;
  status: number;
  purpose: string | null;
}

export const gateway = () => new GatewayClient(location.origin);
export const store = () => new IndexedDbStore();

export async function hasWallet(): Promise<boolean> {
  return (await store().read()) !== undefined;
}

/** One identity's session at its own hospital's gateway; it signs only for what it is party to. */
export class Actor {
  constructor(
    readonly identity: WalletIdentity,
    readonly client: GatewayClient,
    readonly token: string,
  ) {}

  static async open(identity: WalletIdentity): Promise<Actor> {
    const client = new GatewayClient(identity.record.gateway ?? location.origin);
    const session = await login(identity, client);
    return new Actor(identity, client, session.token);
  }

  get name(): string {
    return this.identity.name;
  }

  async read<T>(contract: string, transaction: string, args: string[]): Promise<T> {
    const me = this.identity;
    const bytes = await evaluateTransaction(this.client, signerFor(me), intentFor(me, contract, transaction, args));
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  }

  async submit(contract: string, transaction: string, args: string[]): Promise<string> {
    const me = this.identity;
    const outcome = await submitTransaction(this.client, signerFor(me), intentFor(me, contract, transaction, args));
    return outcome.status;
  }

  api<T>(method: string, path: string, body?: unknown): Promise<T> {
    return requestJson<T>(method, new URL(path, this.client.origin).href, body, this.token);
  }
}

/** An unlocked wallet: its home identity's session, and each delegate's, opened when first needed. */
export class Device {
  private readonly actors = new Map<string, Promise<Actor>>();

  constructor(
    readonly vault: WalletVault,
    readonly home: Actor,
    /** hospitals a recovery could not ask for this phrase's delegates */
    readonly unreached: readonly string[] = [],
  ) {
    this.actors.set(home.name, Promise.resolve(home));
  }

  get me(): WalletIdentity {
    return this.home.identity;
  }
  get token(): string {
    return this.home.token;
  }
  get participantId(): string {
    return this.me.enrolled().participantId ?? '';
  }
  get role(): string {
    return this.me.enrolled().role ?? 'patient';
  }

  static async open(vault: WalletVault, unreached: readonly string[] = []): Promise<Device> {
    return new Device(vault, await Actor.open(vault.wallet.identity(IDENTITY)), unreached);
  }

  static async unlock(passphrase: string): Promise<Device> {
    return Device.open(await WalletVault.unlock(store(), passphrase));
  }

  /** Redeems the activation code with a CSR of the phrase's key and seals the wallet under the passphrase. */
  static async enrol(phrase: string, code: string, passphrase: string): Promise<Device> {
    const wallet = await Wallet.fromPhrase(phrase);
    await enrolByActivation(wallet, IDENTITY, gateway(), code);
    return Device.open(await WalletVault.create(store(), wallet, passphrase, { overwrite: true }));
  }

  /** A new device: the phrase re-derives each key, which proves itself to get its certificate back: home identity, then delegates. */
  static async recover(phrase: string, catalogue: Catalogue, passphrase: string): Promise<Device> {
    const wallet = await Wallet.fromPhrase(phrase);
    wallet.addIdentity(IDENTITY, { kind: 'identity', mspId: catalogue.hospital.mspId }, location.origin);
    await recoverEnrollment(wallet, IDENTITY, gateway());
    const unreached = await recoverDelegates(wallet, phrase, catalogue.hospitals);
    return Device.open(await WalletVault.create(store(), wallet, passphrase, { overwrite: true }), unreached);
  }

  /** The session of one of the wallet's identities (a delegate logs in at its own hospital's gateway). */
  actor(name: string): Promise<Actor> {
    let actor = this.actors.get(name);
    if (!actor) {
      actor = Actor.open(this.vault.wallet.identity(name));
      // A failed login is not kept: the next call tries again.
      actor.catch(() => this.actors.delete(name));
      this.actors.set(name, actor);
    }
    return actor;
  }

  /** The names of the wallet's enrolled identities: the home identity and each delegate. */
  identities(): string[] {
    return this.vault.wallet.identities().filter((i) => i.enrollment).map((i) => i.name);
  }

  /** Every enrolled identity's session. */
  async all(): Promise<Actor[]> {
    return Promise.all(this.identities().map((name) => this.actor(name)));
  }

  /** The same wallet and home session as a new object, for React to see that what it holds changed. */
  renewed(): Device {
    return new Device(this.vault, this.home, this.unreached);
  }

  /**
   * A providing hospital's delegate code (docs/privacy.md §3): a key derived for that one relationship
   * redeems it at that hospital's gateway; the wallet, sealed as before, keeps it only once it is
   * certified, so a refused code changes nothing stored.
   */
  async addHospital(gatewayOrigin: string, code: string): Promise<WalletIdentity> {
    const delegate = await enrolDelegate(this.vault.wallet, new GatewayClient(gatewayOrigin), code.trim());
    await this.vault.save();
    return delegate;
  }

  /**
   * Assembled here from every identity's own Summary.mine at its own gateway: no one place holds the
   * list. A hospital that cannot be reached now is named in `unreached`; the others still answer.
   */
  async summary(): Promise<{ entries: SummaryEntry[]; unreached: Unreached[] }> {
    const names = this.identities();
    const opened = await Promise.allSettled(names.map((name) => this.actor(name)));
    const clients = new Map(names.map((name, i) => [name, opened[i]!]));
    const unreached: Unreached[] = [];
    const entries = await assembleSummary(
      this.vault.wallet,
      (identity) => {
        const session = clients.get(identity.name)!;
        if (session.status === 'rejected') throw session.reason;
        return session.value.client;
      },
      { unreachable: (identity, error) => unreached.push({ mspId: identity.record.scope.mspId, error }) },
    );
    // The chaincode's entries (Summary.mine) carry participantId and updatedAt too.
    return { entries: entries as unknown as SummaryEntry[], unreached };
  }

  async relationship(entry: { identity: string; relationshipId: string }): Promise<Relationship> {
    const rel = await (await this.actor(entry.identity)).read<Omit<Relationship, 'identity'>>('Relationship', 'get', [entry.relationshipId]);
    return { ...rel, identity: entry.identity };
  }

  /** Signs one relationship's transaction with the identity that is party to it. */
  async submit(rel: { identity: string }, contract: string, transaction: string, args: string[]): Promise<string> {
    return (await this.actor(rel.identity)).submit(contract, transaction, args);
  }

  /** Signs the request here, has that identity's gateway relay it, opens the sealed answer and re-hashes it. */
  async fetch(rel: Relationship, category: string, fields: string[] = []): Promise<Fetched> {
    const actor = await this.actor(rel.identity);
    const me = actor.identity;
    const { certificate } = me.enrolled();
    const { jws, claims } = await signRequest(me.key, certificate, { rel: rel.relationshipId, cat: category, fields, aud: new URL(rel.endpoint).origin });
    const answer = await openSealedAnswer(await actor.client.relay(jws), me.key, { jti: claims.jti });
    if (answer.relationshipId !== rel.relationshipId || answer.category !== category) throw Object.assign(new Error('answer about something else'), { code: 'SEALED_ANSWER_INVALID' });
    const ledgerHash = rel.pointers.find((p) => p.category === category)?.hash ?? null;
    return { answer, check: checkRecords(answer, ledgerHash) };
  }

  /** The access log of one gatekeeper for these relationships (one identity's, all with that endpoint), newest first. */
  async whoLooked(rels: Relationship[]): Promise<AuditRecord[]> {
    const actor = await this.actor(rels[0]!.identity);
    const aud = new URL(rels[0]!.endpoint).origin;
    const claims = { rels: rels.map((r) => r.relationshipId), requester: null, since: null, until: null, before: null, limit: 100, aud, ...freshClaims() };
    const jws = await signJws(actor.identity.key, actor.identity.enrolled().certificate, AUDIT_TYP, claims);
    const answer = await actor.api<{ records: AuditRecord[] }>('POST', '/app-api/audit/relay', { jws });
    return answer.records;
  }

  async shareCode(): Promise<{ code: string; expiresAt: string }> {
    return this.api('POST', '/app-api/share-codes');
  }

  async resolveShareCode(code: string): Promise<{ participantId: string; role: string; mspId: string }> {
    return this.api('POST', '/app-api/share-codes/resolve', { code: code.trim().toUpperCase() });
  }

  /** A call to the home gateway's app routes. */
  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    return requestJson<T>(method, path, body, this.token);
  }
}

export class AppProblem extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function requestJson<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers['authorization'] = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch {
    throw new AppProblem('GATEWAY_UNREACHABLE', 'unreachable');
  }
  const json = (await res.json().catch(() => undefined)) as (T & { code?: string; detail?: string }) | undefined;
  if (!res.ok) throw new AppProblem(typeof json?.code === 'string' ? json.code : `HTTP_${res.status}`, json?.detail ?? '');
  return json as T;
}

export const catalogue = () => requestJson<Catalogue>('GET', '/app-api/catalogue');
