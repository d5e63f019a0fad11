/**
 * The wallet: a BIP-39 seed and the identities derived from it. Keys are derived on demand (SLIP-0013
 * path of each identity's scope); only the seed and public facts (scopes, certificates) are kept,
 * and only sealed under the device passphrase (see WalletVault).
 */
import { base64url } from './bytes.js';
import { WalletError } from './errors.js';
import { certifiesKey } from './keys/certificate.js';
import { createCsr } from './keys/csr.js';
import { DeviceKey } from './keys/device-key.js';
import { newPhrase, seedFromPhrase } from './keys/mnemonic.js';
import { scopePath, scopeUri, type KeyScope } from './keys/scheme.js';
import { derivePath, formatPath } from './keys/slip10.js';
import { newBox, open, seal, type OpenBox, type ScryptCost } from './storage/sealed.js';
import type { WalletStore } from './storage/store.js';

/** What the hospital's CA and ledger said when this identity was enrolled. */
export interface Enrollment {
  mspId: string;
  enrollmentId: string;
  /** PEM certificate issued for this identity's key */
  certificate: string;
  /** PEM CA certificates of the issuing hospital (trust anchors the gateway handed over at enrolment) */
  caCertificates?: string[];
  participantId?: string;
  identityId?: string;
  role?: string;
  /** the channel and chaincode the device agreed to sign for, learnt at enrolment */
  ledger?: { channel: string; chaincode: string };
}

export interface IdentityRecord {
  /** local name of the identity on this device */
  name: string;
  scope: KeyScope;
  /** base URL of the hospital gateway this identity talks to */
  gateway?: string;
  enrollment?: Enrollment;
}

interface WalletState {
  version: 1;
  /** BIP-39 seed, base64url (64 bytes) */
  seed: string;
  createdAt: string;
  identities: IdentityRecord[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** One identity of the wallet with its derived key. */
export class WalletIdentity {
  constructor(
    readonly record: Readonly<IdentityRecord>,
    readonly key: DeviceKey,
  ) {}

  get name(): string {
    return this.record.name;
  }

  get path(): string {
    return formatPath(scopePath(this.record.scope));
  }

  get uri(): string {
    return scopeUri(this.record.scope);
  }

  get enrollment(): Enrollment | undefined {
    return this.record.enrollment;
  }

  enrolled(): Enrollment {
    if (!this.record.enrollment) throw new WalletError('NOT_ENROLLED', `identity ${this.name} has no certificate yet`);
    return this.record.enrollment;
  }

  /** A PKCS#10 request for this identity's key, CN = the enrollment id the CA will certify. */
  csr(commonName: string): Promise<string> {
    return createCsr(this.key, { commonName });
  }
}

export class Wallet {
  private readonly keys = new Map<string, DeviceKey>();

  private constructor(
    private readonly seed: Uint8Array,
    private readonly state: WalletState,
  ) {}

  /** A new 12-word recovery phrase (to be shown to the person once, then written down). */
  static newPhrase(): string {
    return newPhrase();
  }

  /** The wallet of a recovery phrase: on a new device, the same phrase gives the same keys. */
  static async fromPhrase(phrase: string, options: { bip39Passphrase?: string; now?: Date } = {}): Promise<Wallet> {
    const seed = await seedFromPhrase(phrase, options.bip39Passphrase);
    return new Wallet(seed, {
      version: 1,
      seed: base64url.encode(seed),
      createdAt: (options.now ?? new Date()).toISOString(),
      identities: [],
    });
  }

  /** Rebuilds a wallet from its opened state, refusing anything of the wrong shape. */
  static fromState(value: unknown): Wallet {
    const state = value as Partial<WalletState> | null;
    if (state?.version !== 1 || typeof state.seed !== 'string' || !Array.isArray(state.identities)) {
      throw new WalletError('CORRUPT_WALLET', 'the opened wallet is not a version-1 wallet state');
    }
    const seed = base64url.decode(state.seed);
    if (seed.length !== 64) throw new WalletError('CORRUPT_WALLET', 'the wallet seed is not 64 bytes');
    const wallet = new Wallet(seed, { version: 1, seed: state.seed, createdAt: String(state.createdAt), identities: [] });
    for (const record of state.identities as IdentityRecord[]) {
      wallet.addIdentity(record.name, record.scope, record.gateway);
      if (record.enrollment) wallet.recordOf(record.name).enrollment = record.enrollment;
    }
    return wallet;
  }

  toState(): WalletState {
    return structuredClone(this.state);
  }

  get createdAt(): string {
    return this.state.createdAt;
  }

  /** The key of any scope (derived, cached). */
  keyFor(scope: KeyScope): DeviceKey {
    const path = scopePath(scope);
    const id = formatPath(path);
    let key = this.keys.get(id);
    if (!key) {
      key = DeviceKey.fromPrivateKey(derivePath(this.seed, path).privateKey);
      this.keys.set(id, key);
    }
    return key;
  }

  identities(): WalletIdentity[] {
    return this.state.identities.map((record) => new WalletIdentity(structuredClone(record), this.keyFor(record.scope)));
  }

  identity(name?: string): WalletIdentity {
    const record = name === undefined ? this.state.identities[0] : this.state.identities.find((r) => r.name === name);
    if (!record) throw new WalletError('UNKNOWN_IDENTITY', name === undefined ? 'the wallet holds no identity yet' : `no identity named ${name}`);
    return new WalletIdentity(structuredClone(record), this.keyFor(record.scope));
  }

  addIdentity(name: string, scope: KeyScope, gateway?: string): WalletIdentity {
    if (!NAME.test(name)) throw new WalletError('INVALID_ARGUMENT', 'an identity name is 1-64 letters, digits, ".", "_" or "-"');
    if (this.state.identities.some((r) => r.name === name)) throw new WalletError('INVALID_ARGUMENT', `an identity named ${name} exists`);
    if (gateway !== undefined && !URL.canParse(gateway)) throw new WalletError('INVALID_ARGUMENT', 'a gateway is an absolute URL');
    const copy = structuredClone(scope);
    scopeUri(copy);
    this.state.identities.push({ name, scope: copy, ...(gateway !== undefined ? { gateway } : {}) });
    return this.identity(name);
  }

  /**
   * Records the certificate a CA issued; refused unless it certifies this identity's own key, so a
   * gateway cannot slip the device someone else's certificate.
   */
  async setEnrollment(name: string, enrollment: Enrollment): Promise<WalletIdentity> {
    const record = this.recordOf(name);
    if (!/-----BEGIN CERTIFICATE-----/.test(enrollment.certificate)) {
      throw new WalletError('INVALID_ARGUMENT', 'the certificate is not a PEM X.509 certificate');
    }
    if (!(await certifiesKey(enrollment.certificate, this.keyFor(record.scope)))) {
      throw new WalletError('WRONG_SIGNER', "the certificate does not certify this identity's key");
    }
    record.enrollment = structuredClone(enrollment);
    return this.identity(name);
  }

  private recordOf(name: string): IdentityRecord {
    const record = this.state.identities.find((r) => r.name === name);
    if (!record) throw new WalletError('UNKNOWN_IDENTITY', `no identity named ${name}`);
    return record;
  }
}

/** A wallet sealed in a store under the device passphrase. */
export class WalletVault {
  private constructor(
    private readonly store: WalletStore,
    private box: OpenBox,
    readonly wallet: Wallet,
  ) {}

  /** Seals a wallet into an empty store (WALLET_EXISTS unless `overwrite`). */
  static async create(
    store: WalletStore,
    wallet: Wallet,
    passphrase: string,
    options: { cost?: ScryptCost; overwrite?: boolean } = {},
  ): Promise<WalletVault> {
    if (!options.overwrite && (await store.read()) !== undefined) {
      throw new WalletError('WALLET_EXISTS', 'a wallet is already stored on this device');
    }
    const vault = new WalletVault(store, await newBox(passphrase, options.cost), wallet);
    await vault.save();
    return vault;
  }

  /** Opens the stored wallet: NO_WALLET, WRONG_PASSPHRASE or CORRUPT_WALLET, and nothing half-open. */
  static async unlock(store: WalletStore, passphrase: string): Promise<WalletVault> {
    const text = await store.read();
    if (text === undefined) throw new WalletError('NO_WALLET', 'no wallet is stored on this device');
    const { box, value } = await open(text, passphrase);
    return new WalletVault(store, box, Wallet.fromState(value));
  }

  /** Writes the wallet's current state (fresh IV, same key). */
  async save(): Promise<void> {
    await this.store.write(await seal(this.box, this.wallet.toState()));
  }

  async changePassphrase(passphrase: string, cost?: ScryptCost): Promise<void> {
    this.box = await newBox(passphrase, cost);
    await this.save();
  }
}
