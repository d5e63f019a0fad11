/**
 * The CLI's commands. Local ones (init, recover, unlock, add-identity, show, csr) need only the wallet
 * file; remote ones talk to the gateway routes of docs/device-keys.md through GatewayClient. Output
 * is JSON on stdout; a refusal is `medrec: CODE: message` on stderr with exit code 2.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  DEFAULT_COST,
  GatewayClient,
  GatewayProblem,
  Wallet,
  WalletError,
  WalletVault,
  assembleSummary,
  enrolByActivation,
  enrolDelegate,
  fetchRecords,
  intentFor,
  listRelationships,
  login,
  recoverEnrollment,
  researchInclusions,
  researchOptIn,
  researchOptOut,
  signerFor,
  submitTransaction,
  type KeyScope,
  type ScryptCost,
  type WalletIdentity,
} from '../index.js';
import { FileStore, defaultWalletPath } from '../node/index.js';

export interface Io {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const USAGE = `medrec <command> [options]

Local (the wallet file only):
  init [--phrase "<12 words>"] [--force]        create the wallet; prints a new phrase once if none is given
  recover --phrase "<12 words>" [--force]      the same wallet on a new device (then: enrol or recover-certificate)
  unlock                                       check the passphrase opens the wallet
  add-identity <name> --msp <mspId> [--gateway <url>] [--delegate <label>] [--index <n>]
  show [<name>]                                public key, derivation path, certificate
  csr [<name>] --cn <enrollmentId>             a PKCS#10 request for the identity's key

Remote (gateway routes of docs/device-keys.md):
  enrol [<name>] --code <activation code> --gateway <url>
  recover-certificate [<name>] --msp <mspId> --gateway <url>
  enrol-delegate --code <activation code> --gateway <url>
                                               a providing hospital's delegate for one relationship (docs/privacy.md §3):
                                               a key of its own; sign for that relationship with --identity <its name>
  list                                         the relationships of the identity (Summary.mine, signed on the device)
  summary                                      every identity's relationships, each read at its own hospital
  accept|reject|remove|acknowledge <relationshipId>
  grant <relationshipId> <viewerPid> --category <C> --fields <a,b> --until <ISO date> --purpose <CODE>
  revoke <relationshipId> <viewerPid>
  fetch <relationshipId> <category> [--fields <a,b>]
  verify <relationshipId> <category>           exit 3 when the records do not match the ledger hash
  research opt-in --categories <A,B> [--study <queryId>] [--until <ISO date>] [<relationshipId>…]
                                               research consent, signed on the device (default: every open relationship)
  research opt-out [<relationshipId>…]          withdraw it (default: every active consent)
  research inclusions                          which studies' released answers included you (asked of each gatekeeper)

Options: --wallet <file> (default $MEDREC_WALLET or ~/.local/share/medrec/wallet.json),
         --identity <name> (default: the first), --gateway <url> (default: the identity's).
The device passphrase is read from $MEDREC_PASSPHRASE, else from the first line of stdin.
$MEDREC_WALLET_KDF_LOGN lowers the scrypt cost of a new wallet (tests only; default ${DEFAULT_COST.logN}).`;

const OPTIONS = {
  wallet: { type: 'string' },
  identity: { type: 'string' },
  gateway: { type: 'string' },
  phrase: { type: 'string' },
  force: { type: 'boolean' },
  msp: { type: 'string' },
  delegate: { type: 'string' },
  index: { type: 'string' },
  cn: { type: 'string' },
  code: { type: 'string' },
  category: { type: 'string' },
  fields: { type: 'string' },
  until: { type: 'string' },
  purpose: { type: 'string' },
  categories: { type: 'string' },
  study: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

class UsageError extends Error {}

export async function run(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`medrec: ${(error as Error).message}\n${USAGE}\n`);
    return 64;
  }
  const [command, ...rest] = parsed.positionals;
  const cli = new Cli(parsed.values, rest, io);
  try {
    if (!command || command === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    return await cli.dispatch(command);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`medrec: ${error.message}\n`);
      return 64;
    }
    if (error instanceof WalletError || error instanceof GatewayProblem) {
      io.stderr.write(`medrec: ${error.code}: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`medrec: ${(error as Error).message}\n`);
    return 1;
  }
}

const RELATIONSHIP_ACTIONS: Record<string, [string, string]> = {
  accept: ['Relationship', 'accept'],
  reject: ['Relationship', 'reject'],
  remove: ['Relationship', 'remove'],
  acknowledge: ['Summary', 'acknowledge'],
};

class Cli {
  private passphrase?: Promise<string>;

  constructor(
    private readonly values: Values,
    private readonly args: string[],
    private readonly io: Io,
  ) {}

  async dispatch(command: string): Promise<number> {
    const action = RELATIONSHIP_ACTIONS[command];
    if (action) return this.transaction(action[0], action[1], [this.arg(0, 'relationshipId')]);
    switch (command) {
      case 'init':
        return this.init(this.values.phrase);
      case 'recover':
        return this.init(this.need('phrase'));
      case 'unlock': {
        const vault = await this.unlock();
        return this.print({ unlocked: true, createdAt: vault.wallet.createdAt, identities: vault.wallet.identities().map((i) => i.name) });
      }
      case 'add-identity':
        return this.addIdentity();
      case 'show':
        return this.print(describe((await this.unlock()).wallet.identity(this.args[0] ?? this.values.identity)));
      case 'csr': {
        const identity = (await this.unlock()).wallet.identity(this.args[0] ?? this.values.identity);
        this.io.stdout.write(await identity.csr(this.need('cn')));
        return 0;
      }
      case 'enrol':
      case 'enroll':
        return this.enrol();
      case 'recover-certificate':
        return this.recoverCertificate();
      case 'enrol-delegate':
        return this.enrolDelegate();
      case 'summary':
        return this.summary();
      case 'list':
        return this.list();
      case 'grant':
        return this.grant();
      case 'revoke':
        return this.transaction('Relationship', 'revoke', [this.arg(0, 'relationshipId'), this.arg(1, 'viewerPid')]);
      case 'fetch':
      case 'verify':
        return this.fetch(command === 'verify');
      case 'research':
        return this.research(this.arg(0, 'opt-in|opt-out|inclusions'));
      default:
        throw new UsageError(`unknown command ${command} (try: medrec help)`);
    }
  }

  private get store(): FileStore {
    return new FileStore(this.values.wallet ?? defaultWalletPath(this.io.env));
  }

  private arg(i: number, name: string): string {
    const value = this.args[i];
    if (value === undefined) throw new UsageError(`missing <${name}>`);
    return value;
  }

  private need<K extends keyof Values>(name: K): NonNullable<Values[K]> {
    const value = this.values[name];
    if (value === undefined) throw new UsageError(`missing --${String(name)}`);
    return value as NonNullable<Values[K]>;
  }

  private print(value: unknown): number {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return 0;
  }

  private readPassphrase(): Promise<string> {
    this.passphrase ??= (async () => {
      const fromEnv = this.io.env['MEDREC_PASSPHRASE'];
      if (fromEnv) return fromEnv;
      const lines = createInterface({ input: this.io.stdin, terminal: false });
      for await (const line of lines) {
        lines.close();
        return line;
      }
      throw new UsageError('no device passphrase: set MEDREC_PASSPHRASE or pipe it on stdin');
    })();
    return this.passphrase;
  }

  private cost(): ScryptCost {
    const logN = this.io.env['MEDREC_WALLET_KDF_LOGN'];
    return logN === undefined ? DEFAULT_COST : { ...DEFAULT_COST, logN: Number(logN) };
  }

  private async unlock(): Promise<WalletVault> {
    return WalletVault.unlock(this.store, await this.readPassphrase());
  }

  private async init(phrase: string | undefined): Promise<number> {
    const shown = phrase ?? Wallet.newPhrase();
    const wallet = await Wallet.fromPhrase(shown);
    await WalletVault.create(this.store, wallet, await this.readPassphrase(), { cost: this.cost(), overwrite: this.values.force === true });
    return this.print({
      wallet: this.store.path,
      ...(phrase === undefined ? { phrase: shown, note: 'write these 12 words down: they are shown once and recover every key of this wallet' } : {}),
    });
  }

  private async addIdentity(): Promise<number> {
    const vault = await this.unlock();
    const name = this.arg(0, 'name');
    const mspId = this.need('msp');
    const index = this.values.index === undefined ? undefined : Number(this.values.index);
    const scope: KeyScope =
      this.values.delegate === undefined
        ? { kind: 'identity', mspId, ...(index !== undefined ? { index } : {}) }
        : { kind: 'delegate', mspId, label: this.values.delegate, ...(index !== undefined ? { index } : {}) };
    const identity = vault.wallet.addIdentity(name, scope, this.values.gateway);
    await vault.save();
    return this.print(describe(identity));
  }

  private client(identity?: WalletIdentity): GatewayClient {
    const url = this.values.gateway ?? identity?.record.gateway;
    if (!url) throw new UsageError('no gateway: pass --gateway <url>');
    return new GatewayClient(url);
  }

  private async enrol(): Promise<number> {
    const vault = await this.unlock();
    const name = this.args[0] ?? this.values.identity ?? 'default';
    const client = this.client(vault.wallet.identities().find((i) => i.name === name));
    const identity = await enrolByActivation(vault.wallet, name, client, this.need('code'));
    await vault.save();
    return this.print(describe(identity));
  }

  private async enrolDelegate(): Promise<number> {
    const vault = await this.unlock();
    const identity = await enrolDelegate(vault.wallet, this.client(undefined), this.need('code'));
    await vault.save();
    return this.print(describe(identity));
  }

  /** Assembled here, not on the ledger or at one gateway: each identity logs in at its own hospital. */
  private async summary(): Promise<number> {
    const { wallet } = await this.unlock();
    const clients = new Map<string, GatewayClient>();
    for (const identity of wallet.identities().filter((i) => i.enrollment)) {
      if (!identity.record.gateway) throw new UsageError(`identity ${identity.name} has no gateway`);
      const client = new GatewayClient(identity.record.gateway);
      await login(identity, client);
      clients.set(identity.name, client);
    }
    return this.print(await assembleSummary(wallet, (identity) => clients.get(identity.name)!));
  }

  private async recoverCertificate(): Promise<number> {
    const vault = await this.unlock();
    const name = this.args[0] ?? this.values.identity ?? 'default';
    if (!vault.wallet.identities().some((i) => i.name === name)) {
      vault.wallet.addIdentity(name, { kind: 'identity', mspId: this.need('msp') }, this.values.gateway);
    }
    const identity = await recoverEnrollment(vault.wallet, name, this.client(vault.wallet.identity(name)));
    await vault.save();
    return this.print(describe(identity));
  }

  private async session(): Promise<{ identity: WalletIdentity; client: GatewayClient }> {
    const identity = (await this.unlock()).wallet.identity(this.values.identity);
    const client = this.client(identity);
    await login(identity, client);
    return { identity, client };
  }

  private async list(): Promise<number> {
    const { identity, client } = await this.session();
    return this.print(await listRelationships(client, identity));
  }

  private async transaction(contract: string, transaction: string, args: string[]): Promise<number> {
    const { identity, client } = await this.session();
    const outcome = await submitTransaction(client, signerFor(identity), intentFor(identity, contract, transaction, args));
    return this.print({ txId: outcome.txId, status: outcome.status, blockNumber: outcome.blockNumber, result: new TextDecoder().decode(outcome.result) });
  }

  private grant(): Promise<number> {
    const grant = {
      items: [{ category: this.need('category'), fields: this.need('fields').split(',').filter(Boolean) }],
      validUntil: new Date(this.need('until')).toISOString(),
      purpose: this.need('purpose'),
    };
    return this.transaction('Relationship', 'grant', [this.arg(0, 'relationshipId'), this.arg(1, 'viewerPid'), JSON.stringify(grant)]);
  }

  private async research(action: string): Promise<number> {
    if (!['opt-in', 'opt-out', 'inclusions'].includes(action)) throw new UsageError(`unknown research action ${action} (opt-in, opt-out, inclusions)`);
    const named = this.args.slice(1);
    const relationshipIds = named.length > 0 ? named : undefined;
    const until = this.values.until === undefined ? null : new Date(this.values.until).toISOString().replace(/\.\d+Z$/, 'Z');
    const categories = action === 'opt-in' ? this.need('categories').split(',').filter(Boolean) : [];
    const { identity, client } = await this.session();
    if (action === 'inclusions') return this.print(await researchInclusions(client, identity));
    const outcome =
      action === 'opt-in'
        ? await researchOptIn(client, identity, { categories, studyId: this.values.study ?? null, validUntil: until }, relationshipIds)
        : await researchOptOut(client, identity, relationshipIds);
    return this.print(outcome ? { txId: outcome.txId, status: outcome.status, blockNumber: outcome.blockNumber, relationshipIds: outcome.relationshipIds } : { relationshipIds: [] });
  }

  private async fetch(verify: boolean): Promise<number> {
    const { identity, client } = await this.session();
    const fetched = await fetchRecords(client, identity, {
      relationshipId: this.arg(0, 'relationshipId'),
      category: this.arg(1, 'category'),
      fields: this.values.fields?.split(',').filter(Boolean) ?? [],
    });
    this.print(verify ? { gatekeeper: fetched.gatekeeper, check: fetched.check } : fetched);
    return verify && fetched.check.matches !== true ? 3 : 0;
  }
}

function describe(identity: WalletIdentity) {
  return {
    name: identity.name,
    uri: identity.uri,
    path: identity.path,
    publicKey: identity.key.publicJwk,
    gateway: identity.record.gateway ?? null,
    enrollment: identity.enrollment
      ? { mspId: identity.enrollment.mspId, enrollmentId: identity.enrollment.enrollmentId, role: identity.enrollment.role, participantId: identity.enrollment.participantId, certificate: identity.enrollment.certificate }
      : null,
  };
}
