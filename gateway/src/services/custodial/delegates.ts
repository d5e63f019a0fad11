import { createHmac, generateKeyPairSync } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import type { SummaryEntry } from '@medrec/chaincode/domain';
import { MedrecClient } from '../../contract/client.js';
import { Summary } from '../../contract/medrec.js';
import { Research } from '../../contract/research.js';
import type { LedgerCalls, LedgerPort, Signer } from '../../ports/ledger.js';
import { PeerRefusal, PeerUnreachable, type DelegateEnrolment, type PeerGateways } from '../../ports/peers.js';
import type { KeySealer } from '../accounts/sealer.js';
import { activationUnknown, normaliseCode } from '../enrolment/activation.js';
import { Problem, notFound } from '../problem.js';
import { migrate } from '../store/gateway-db.js';

export interface CustodialDeps {
  mspId: string;
  db: Database;
  sealer: KeySealer;
  /** the home's own ledger client: the gatekeeper directory and the home identity's summary */
  client: MedrecClient<LedgerPort>;
  peers: PeerGateways;
  now?: () => number;
}

interface Row {
  username: string;
  msp_id: string;
  gateway: string;
  enrollment_id: string;
  code_hash: string;
  sealed_key: string;
  state: 'pending' | 'certified';
  enrollment: string | null;
  since: string;
}

/** One of her delegates as she sees it through her home. */
export interface DelegateView {
  hospital: string;
  participantId: string | null;
  /** certified: usable; pending: its redemption's outcome was not learnt yet (asked again on every list) */
  state: 'certified' | 'pending';
  since: string;
  /** its relationships at that hospital; absent when that hospital did not answer now */
  relationships?: { relationshipId: string; status: string }[];
  /** why its relationships are not listed: that hospital's gateway did not answer */
  unreachable?: string;
}

/** A relationship's own identity, opened for one call: its key, and the ledger calls it signs at its own hospital's gateway. */
export interface Acting {
  signer: Signer;
  client: MedrecClient<LedgerCalls>;
  identityId: string;
}

export const HOSPITAL_UNREACHABLE = 'HOSPITAL_UNREACHABLE';

/**
 * The delegates of custodial (password) patients, held by their home gateway (docs/privacy.md §3).
 * Her home makes a key per delegate, redeems the providing hospital's code with a CSR of it at that
 * hospital's gateway, and keeps the key in the vault sealed under a secret derived from her own
 * home key, so it is usable only while she is logged in (and survives a password change). Her
 * summary is assembled here, and each of a delegate's relationship's actions is signed by that
 * delegate at its own hospital's gateway, so the providing hospital sees only the delegate. The
 * home, as her custodian, sees them all: that is the price of holding no device.
 */
export class CustodialDelegates {
  private readonly locks = new Map<string, Promise<unknown>>();
  /**
   * relationship id → the delegate (enrollment id) that holds it, learnt from its summary; bounded,
   * since a miss only costs asking the delegates' summaries again.
   */
  private readonly holders = new LRUCache<string, string>({ max: 10_000 });

  constructor(private readonly deps: CustodialDeps) {
    migrate(deps.db);
  }

  /**
   * Redeems `hospital`'s delegate code for her. The same code again answers the delegate it made
   * (`created: false`); of concurrent identical requests one redeems, the others wait and get it.
   */
  async enrol(username: string, home: Signer, hospital: string, code: string): Promise<{ created: boolean; delegate: DelegateView }> {
    if (hospital === this.deps.mspId) {
      throw new Problem(422, 'HOME_HOSPITAL', 'this is your home hospital: you are treated here under your own identity, with no delegate');
    }
    const plain = normaliseCode(code);
    if (!plain) throw activationUnknown();
    const gateway = await this.gatewayOf(home, hospital);
    const codeHash = createHmac('sha256', this.vaultSecret(home)).update(`code:${hospital}:${plain}`).digest('hex');
    return this.locked(username, async () => {
      const earlier = this.rows(username).find((r) => r.code_hash === codeHash);
      const outcome = earlier && (await this.settled(earlier, home));
      if (outcome?.state === 'certified') return { created: false, delegate: await this.view(outcome, home) };
      if (outcome) throw outcomeUnknown(hospital);
      const peer = this.deps.peers(hospital, gateway);
      const info = await peer.inspect(plain);
      if (info.mspId !== hospital) throw new Problem(422, 'CODE_OF_ANOTHER_HOSPITAL', `the code is ${info.mspId}'s, not ${hospital}'s`);
      if (info.kind !== 'delegate' || info.role !== 'patient') {
        throw new Problem(422, 'NOT_A_DELEGATE_CODE', 'this is a home activation code, not a hospital\'s delegate code: nothing was redeemed');
      }
      const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const since = new Date(this.now()).toISOString();
      // Kept before the redemption, so that a lost answer leaves the key to ask its certificate with.
      this.deps.db
        .prepare(
          `INSERT INTO custodial_delegates (username, msp_id, gateway, enrollment_id, code_hash, sealed_key, state, since)
           VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
        )
        .run(username, hospital, gateway, info.enrollmentId, codeHash, await this.deps.sealer.seal(privateKey, this.vaultSecret(home)), since);
      let enrolment: DelegateEnrolment;
      try {
        enrolment = await peer.redeem(plain, info.enrollmentId, privateKey);
      } catch (err) {
        if (err instanceof PeerUnreachable) throw outcomeUnknown(hospital);
        this.forget(username, info.enrollmentId);
        throw err;
      }
      this.certify(username, enrolment);
      return { created: true, delegate: await this.view(this.row(username, info.enrollmentId)!, home) };
    });
  }

  /** Her delegates, each with its relationships read at its own hospital (a hospital not answering is said per entry). */
  async list(username: string, home: Signer): Promise<DelegateView[]> {
    const rows = this.rows(username);
    if (rows.some((r) => r.state === 'pending')) await this.locked(username, () => Promise.all(rows.map((r) => this.settled(r, home))));
    return Promise.all(this.rows(username).map((r) => this.view(r, home)));
  }

  /**
   * Her summary as her device would assemble it (`assembleSummary` in @medrec/client): her home
   * identity's relationships, then each delegate's `Summary.mine` read at its own hospital's
   * gateway. A hospital that does not answer is named in `unreachable`; the rest still comes back.
   */
  async summary(username: string, home: Signer): Promise<{ entries: SummaryEntry[]; unreachable: { hospital: string; code: string }[] }> {
    const entries = [...(await this.deps.client.evaluate(home, Summary.mine()))];
    const unreachable: { hospital: string; code: string }[] = [];
    for (const row of this.certified(username)) {
      try {
        entries.push(...(await this.mine(row, home)));
      } catch (err) {
        if (!(err instanceof PeerUnreachable)) throw err;
        unreachable.push({ hospital: row.msp_id, code: HOSPITAL_UNREACHABLE });
      }
    }
    return { entries, unreachable };
  }

  /**
   * Who acts on this relationship for her: the delegate that holds it, or undefined when none does
   * (her home identity's own, or not hers at all: the ledger then says so to her home identity).
   */
  async actingFor(username: string, home: Signer, relationshipId: string): Promise<Acting | undefined> {
    const rows = this.certified(username);
    if (rows.length === 0) return undefined;
    const known = rows.find((r) => r.enrollment_id === this.holders.get(relationshipId));
    if (known) return this.open(known, home);
    const own = await this.deps.client.evaluate(home, Summary.mine());
    if (own.some((e) => e.relationshipId === relationshipId)) return undefined;
    const silent: string[] = [];
    for (const row of rows) {
      try {
        if ((await this.mine(row, home)).some((e) => e.relationshipId === relationshipId)) return this.open(row, home);
      } catch (err) {
        if (!(err instanceof PeerUnreachable)) throw err;
        silent.push(row.msp_id);
      }
    }
    if (silent.length > 0) {
      throw new Problem(503, HOSPITAL_UNREACHABLE, 'the relationship may be one of your delegates\' at a hospital that does not answer now', { unreachable: silent });
    }
    return undefined;
  }

  private async mine(row: Row, home: Signer): Promise<SummaryEntry[]> {
    const acting = await this.open(row, home);
    const entries = await acting.client.evaluate(acting.signer, Summary.mine());
    for (const e of entries) this.holders.set(e.relationshipId, row.enrollment_id);
    return entries;
  }

  private async open(row: Row, home: Signer): Promise<Acting> {
    const enrolment = JSON.parse(row.enrollment!) as DelegateEnrolment;
    const privateKey = await this.deps.sealer.open(row.sealed_key, this.vaultSecret(home));
    return {
      signer: { mspId: row.msp_id, certificate: enrolment.certificate, privateKey },
      client: new MedrecClient(this.deps.peers(row.msp_id, row.gateway).ledger(enrolment, privateKey)),
      identityId: enrolment.identityId,
    };
  }

  private async view(row: Row, home: Signer): Promise<DelegateView> {
    const enrolment = row.enrollment ? (JSON.parse(row.enrollment) as DelegateEnrolment) : undefined;
    const base = { hospital: row.msp_id, participantId: enrolment?.participantId ?? null, state: row.state, since: row.since };
    if (row.state !== 'certified') return base;
    try {
      return { ...base, relationships: (await this.mine(row, home)).map((e) => ({ relationshipId: e.relationshipId, status: e.status })) };
    } catch (err) {
      if (!(err instanceof PeerUnreachable)) throw err;
      return { ...base, unreachable: HOSPITAL_UNREACHABLE };
    }
  }

  /**
   * A pending delegate's outcome, asked of its hospital with the key (the certificate lookup): issued
   * → certified; no certificate for it → the code was not redeemed, the row goes; no answer → still pending.
   */
  private async settled(row: Row, home: Signer): Promise<Row | undefined> {
    if (row.state !== 'pending') return row;
    const privateKey = await this.deps.sealer.open(row.sealed_key, this.vaultSecret(home));
    try {
      this.certify(row.username, await this.deps.peers(row.msp_id, row.gateway).recover(privateKey));
    } catch (err) {
      if (err instanceof PeerUnreachable) return row;
      if (!(err instanceof PeerRefusal && err.status === 404)) throw err;
      this.forget(row.username, row.enrollment_id);
      return undefined;
    }
    return this.row(row.username, row.enrollment_id);
  }

  private certify(username: string, enrolment: DelegateEnrolment): void {
    this.deps.db
      .prepare("UPDATE custodial_delegates SET state = 'certified', enrollment = ? WHERE username = ? AND enrollment_id = ?")
      .run(JSON.stringify(enrolment), username, enrolment.enrollmentId);
  }

  private forget(username: string, enrollmentId: string): void {
    this.deps.db.prepare('DELETE FROM custodial_delegates WHERE username = ? AND enrollment_id = ?').run(username, enrollmentId);
  }

  private rows(username: string): Row[] {
    return this.deps.db.prepare('SELECT * FROM custodial_delegates WHERE username = ? ORDER BY since, enrollment_id').all(username) as Row[];
  }

  private certified(username: string): Row[] {
    return this.rows(username).filter((r) => r.state === 'certified');
  }

  private row(username: string, enrollmentId: string): Row | undefined {
    return this.deps.db.prepare('SELECT * FROM custodial_delegates WHERE username = ? AND enrollment_id = ?').get(username, enrollmentId) as Row | undefined;
  }

  /** The providing hospital's gateway: the origin of its endpoint in the ledger's gatekeeper directory. */
  private async gatewayOf(home: Signer, hospital: string): Promise<string> {
    const entry = (await this.deps.client.evaluate(home, Research.gatekeepers())).find((g) => g.mspId === hospital);
    if (!entry) throw notFound('HOSPITAL_UNKNOWN', 'no member hospital of that name publishes a gateway on the ledger');
    return new URL(entry.endpoint).origin;
  }

  /** What seals her delegates' keys: derived from her home key, so only her own session opens them. */
  private vaultSecret(home: Signer): string {
    return createHmac('sha256', home.privateKey).update('medrec/custodial-delegates/v1').digest('base64url');
  }

  /** One change at a time per account: a wallet's delegates are redeemed and settled in turn. */
  private async locked<T>(username: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(username) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => undefined);
    this.locks.set(username, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(username) === tail) this.locks.delete(username);
    }
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

const outcomeUnknown = (hospital: string) =>
  new Problem(503, 'DELEGATE_OUTCOME_UNKNOWN', `the code was sent to ${hospital} but no answer came: GET /me/delegates asks again (the key is kept)`, {
    hospital,
    statusUrl: '/me/delegates',
    retryAfterSeconds: 5,
  });
