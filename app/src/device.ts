/**
 * The app's use of the client library: one gateway (this page's origin), one wallet in IndexedDB,
 * every ledger read and write signed on this device, every record fetched sealed and hash-checked here.
 */
import {
  GatewayClient,
  IndexedDbStore,
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
  participantId: string;
  relationshipId: string;
  role: string;
  status: string;
  providerMspId: string;
  updatedAt: string;
}
export interface Catalogue {
  hospital: { mspId: string; name: string };
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

/** An unlocked wallet with a live gateway session. */
export class Device {
  constructor(
    readonly vault: WalletVault,
    readonly client: GatewayClient,
    readonly token: string,
  ) {}

  get me(): WalletIdentity {
    return this.vault.wallet.identity(IDENTITY);
  }
  get participantId(): string {
    return this.me.enrolled().participantId ?? '';
  }
  get role(): string {
    return this.me.enrolled().role ?? 'patient';
  }

  static async open(vault: WalletVault): Promise<Device> {
    const client = gateway();
    const session = await login(vault.wallet.identity(IDENTITY), client);
    return new Device(vault, client, session.token);
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

  /** A new device: the phrase re-derives the key, which proves itself to get its certificate back. */
  static async recover(phrase: string, mspId: string, passphrase: string): Promise<Device> {
    const wallet = await Wallet.fromPhrase(phrase);
    wallet.addIdentity(IDENTITY, { kind: 'identity', mspId }, location.origin);
    await recoverEnrollment(wallet, IDENTITY, gateway());
    return Device.open(await WalletVault.create(store(), wallet, passphrase, { overwrite: true }));
  }

  private async read<T>(contract: string, transaction: string, args: string[]): Promise<T> {
    const bytes = await evaluateTransaction(this.client, signerFor(this.me), intentFor(this.me, contract, transaction, args));
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  }

  summary(): Promise<SummaryEntry[]> {
    return this.read('Summary', 'mine', []);
  }

  relationship(id: string): Promise<Relationship> {
    return this.read('Relationship', 'get', [id]);
  }

  async submit(contract: string, transaction: string, args: string[]): Promise<string> {
    const outcome = await submitTransaction(this.client, signerFor(this.me), intentFor(this.me, contract, transaction, args));
    return outcome.status;
  }

  /** Signs the request here, has the home gateway relay it, opens the sealed answer and re-hashes it. */
  async fetch(rel: Relationship, category: string, fields: string[] = []): Promise<Fetched> {
    const { certificate } = this.me.enrolled();
    const { jws, claims } = await signRequest(this.me.key, certificate, { rel: rel.relationshipId, cat: category, fields, aud: new URL(rel.endpoint).origin });
    const answer = await openSealedAnswer(await this.client.relay(jws), this.me.key, { jti: claims.jti });
    if (answer.relationshipId !== rel.relationshipId || answer.category !== category) throw Object.assign(new Error('answer about something else'), { code: 'SEALED_ANSWER_INVALID' });
    const ledgerHash = rel.pointers.find((p) => p.category === category)?.hash ?? null;
    return { answer, check: checkRecords(answer, ledgerHash) };
  }

  /** The access log of one gatekeeper for these relationships (all with that endpoint), newest first. */
  async whoLooked(rels: Relationship[]): Promise<AuditRecord[]> {
    const aud = new URL(rels[0]!.endpoint).origin;
    const claims = { rels: rels.map((r) => r.relationshipId), requester: null, since: null, until: null, before: null, limit: 100, aud, ...freshClaims() };
    const jws = await signJws(this.me.key, this.me.enrolled().certificate, AUDIT_TYP, claims);
    const answer = await this.api<{ records: AuditRecord[] }>('POST', '/app-api/audit/relay', { jws });
    return answer.records;
  }

  async shareCode(): Promise<{ code: string; expiresAt: string }> {
    return this.api('POST', '/app-api/share-codes');
  }

  async resolveShareCode(code: string): Promise<{ participantId: string; role: string; mspId: string }> {
    return this.api('POST', '/app-api/share-codes/resolve', { code: code.trim().toUpperCase() });
  }

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
