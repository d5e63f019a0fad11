import { createHmac, randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { IdentityRecord, Role } from '@medrec/chaincode/domain';
import { Registrar } from '../../contract/medrec.js';
import type { SubmitRequest } from '../../contract/request.js';
import { checkCsr } from '../../pki/csr.js';
import { IdentityError, type Credentials, type IssuedCertificate } from '../../ports/identity.js';
import { keyHash } from '../accounts/device.js';
import { hashPassword } from '../accounts/passwords.js';
import { Problem, badRequest, conflict } from '../problem.js';
import { migrate } from '../store/gateway-db.js';
import type { EnrolmentDeps, Enroller } from './enroll.js';
import { opaqueEnrollmentId } from './opaque-id.js';

/** Crockford's base32: no I, L, O, U, so a code read aloud or retyped survives. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 20 symbols of 5 bits: 100 random bits, written as four groups of five. */
const CODE_SYMBOLS = 20;

/** What enrolment needs (the hospital's CA, the ledger, the accounts), and the codes' own store and key. */
export interface ActivationDeps extends EnrolmentDeps {
  db: Database;
  /** Keys the stored code hashes and the CA secrets derived from codes; never leaves the data directory. */
  activationKey: string;
  ttlSeconds: number;
  now?: () => number;
  /**
   * Registers at the CA, at redemption, the people onboarded with a panel (their CA registration
   * waits until then, so onboarding does no per-patient CA work): the hospital's registrar.
   */
  caRegistrar?: () => Promise<Credentials>;
}

/** A person already registered on the ledger (a panel's patient) who gets a code; the CA registration waits for its redemption. */
export interface DeferredActivation {
  username: string;
  role: Role;
  participantId: string;
  identityId: string;
}

export interface ActivationRequest {
  /** Chosen by the registrar (it is not a secret) or, when absent, generated. Never the enrollment id, which is opaque. */
  username?: string;
  role: Role;
  externalIdKind: string;
  externalId: string;
}

export interface IssuedActivation {
  code: string;
  username: string;
  enrollmentId: string;
  role: Role;
  participantId: string;
  identityId: string;
  expiresAt: string;
  txId: string;
}

/** A home activation (the person's own identity here) or a delegate's code (her identity for one relationship here). */
export type ActivationKind = 'home' | 'delegate';

export interface ActivationInfo {
  mspId: string;
  kind: ActivationKind;
  username: string;
  enrollmentId: string;
  role: Role;
  expiresAt: string;
}

export interface RedeemedActivation extends ActivationInfo {
  participantId: string;
  identityId: string;
  certificate: string;
}

interface Row {
  code_hash: string;
  username: string;
  /** null only in rows issued before migration 10, whose enrollment id was the username */
  enrollment_id: string | null;
  role: Role;
  participant_id: string;
  identity_id: string;
  expires_at: number;
  state: 'issued' | 'redeeming' | 'used' | 'failed';
  ca_registered: 0 | 1;
  kind: ActivationKind;
}

export const activationUnknown = () => new Problem(404, 'ACTIVATION_UNKNOWN', 'no such activation code');
const expired = () => new Problem(410, 'ACTIVATION_EXPIRED', 'the activation code has expired; ask a registrar for a new one');
const used = () => new Problem(409, 'ACTIVATION_USED', 'the activation code has been used');

/** The code as typed: case, spaces and dashes do not matter, nor O/0 and I/L/1 mix-ups. */
export function normaliseCode(code: string): string | undefined {
  const plain = code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return plain.length === CODE_SYMBOLS && [...plain].every((c) => ALPHABET.includes(c)) ? plain : undefined;
}

function newCode(): string {
  const bytes = randomBytes(CODE_SYMBOLS);
  const symbols = [...bytes].map((b) => ALPHABET[b & 31]).join('');
  return symbols.match(/.{5}/g)!.join('-');
}

/**
 * Enrolment that ends with a secret only the person knows. A registrar vouches for the person (CA
 * registration, ledger registration with the keyed hash of their external id) and receives a
 * one-time activation code to hand over; the person redeems it to choose their own password, and
 * only then is the key pair made (CA enrolment) and sealed under that password. The registrar never
 * chooses, sees or holds the person's password or key, so it can neither log in as them nor read
 * their key. The code is single use, expires (`ttlSeconds`), and is stored only as a keyed hash;
 * the CA's one-time enrolment secret is derived from it, so it too is nowhere at rest.
 * Redemption with a certificate signing request made on the person's device (issue 10) is the
 * other way to finish the same activation.
 */
export class ActivationService {
  constructor(private readonly deps: ActivationDeps) {
    migrate(deps.db);
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private keyed(label: string, code: string): Buffer {
    return createHmac('sha256', this.deps.activationKey).update(`${label}:${code}`).digest();
  }

  private codeHash(code: string): string {
    return this.keyed('lookup', code).toString('hex');
  }

  private caSecret(code: string): string {
    return this.keyed('ca-enrolment', code).toString('base64url');
  }

  private usernameTaken(username: string): boolean {
    return this.deps.accounts.exists(username) || this.deps.db.prepare('SELECT 1 FROM activations WHERE username = ?').get(username) !== undefined;
  }

  /** Whether a code was ever issued for this username (used, pending or expired). */
  issuedTo(username: string): boolean {
    return this.deps.db.prepare('SELECT 1 FROM activations WHERE username = ?').get(username) !== undefined;
  }

  /** A registrar (or, at bootstrap, the CA admin with a registrar) vouches for a person and gets the code to hand over. */
  async issue(by: Enroller & { ledger: Credentials }, request: ActivationRequest): Promise<IssuedActivation> {
    const hash = this.deps.externalIds.own(request.externalIdKind, request.externalId);
    return this.vouch(by, request.role, request.username, (enrollmentId) => Registrar.register(hash, enrollmentId, request.role));
  }

  /**
   * A delegate (docs/privacy.md §3): the patient's identity for one relationship at this hospital,
   * registered with no external id, so the ledger cannot tie it to her other identities. The code is
   * handed to her here; her device redeems it with a key of its own per relationship. `bind` links
   * the new delegate to its chart before the code exists; if it refuses, the CA registration goes.
   */
  async issueDelegate(by: Enroller & { ledger: Credentials }, bind: (participantId: string) => void): Promise<IssuedActivation> {
    return this.vouch(by, 'patient', undefined, (enrollmentId) => Registrar.registerDelegate(enrollmentId), bind, 'delegate');
  }

  /**
   * A delegate's certificate re-issued (docs/privacy.md §3), e.g. after a suspected key compromise:
   * a new opaque enrollment id, re-mapped on the ledger to the same delegate
   * (`Registrar.remapDelegate`, which only the hospital that registered it may do; the old identity
   * is superseded at once, so the ledger refuses its certificate from the next transaction), and a
   * code her device redeems with a newly derived key. Then the delegate's earlier enrollments here
   * are revoked at the CA and any of their codes not yet redeemed stops working. The chart binding is
   * by participant id, so it holds.
   */
  async reissueDelegate(by: Enroller & { ledger: Credentials }, participantId: string): Promise<IssuedActivation & { revoked: string[] }> {
    const { db, identity } = this.deps;
    const earlier = db
      .prepare<[string], { enrollment_id: string }>('SELECT enrollment_id FROM activations WHERE participant_id = ? AND enrollment_id IS NOT NULL')
      .all(participantId)
      .map((r) => r.enrollment_id);
    const issued = await this.vouch(by, 'patient', undefined, (enrollmentId) => Registrar.remapDelegate(participantId, enrollmentId), undefined, 'delegate');
    db.prepare("UPDATE activations SET state = 'failed' WHERE participant_id = ? AND state = 'issued' AND enrollment_id != ?").run(participantId, issued.enrollmentId);
    for (const enrollmentId of earlier) await identity.revoke(by.ca, enrollmentId, 'keyCompromise');
    return { ...issued, revoked: earlier };
  }

  /** CA registration with an opaque enrollment id, then the ledger registration `register` builds, then the code. */
  private async vouch(
    by: Enroller & { ledger: Credentials },
    role: Role,
    chosenUsername: string | undefined,
    register: (enrollmentId: string) => SubmitRequest<IdentityRecord>,
    registered: (participantId: string) => void = () => undefined,
    kind: ActivationKind = 'home',
  ): Promise<IssuedActivation> {
    const { identity, client, db } = this.deps;
    const username = chosenUsername ?? `u-${randomBytes(8).toString('hex')}`;
    if (this.usernameTaken(username)) throw conflict('USERNAME_TAKEN', 'that username is taken');
    const code = newCode();
    const plain = normaliseCode(code)!;
    const enrollmentId = opaqueEnrollmentId();
    await identity.register(by.ca, { enrollmentId, role, secret: this.caSecret(plain) });
    let record;
    try {
      record = await client.submit(by.ledger, register(enrollmentId));
      registered(record.value.participantId);
    } catch (err) {
      // No registration may outlive a refused ledger registration.
      await identity.revoke(by.ca, enrollmentId, 'ledger registration failed').catch(() => undefined);
      throw err;
    }
    const expiresAt = this.now() + this.deps.ttlSeconds * 1000;
    db.prepare(
      `INSERT INTO activations (code_hash, username, enrollment_id, role, participant_id, identity_id, issued_by, issued_at, expires_at, state, kind)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'issued', ?)`,
    ).run(this.codeHash(plain), username, enrollmentId, role, record.value.participantId, record.value.identityId, by.ledger.enrollmentId, new Date(this.now()).toISOString(), expiresAt, kind);
    return {
      code,
      username,
      enrollmentId,
      role,
      participantId: record.value.participantId,
      identityId: record.value.identityId,
      expiresAt: new Date(expiresAt).toISOString(),
      txId: record.txId,
    };
  }

  /**
   * Codes for people already on the ledger (a panel job), in the caller's database transaction:
   * nothing is asked of the CA now; it registers each person when their code is redeemed.
   */
  issueDeferred(people: readonly DeferredActivation[], issuedBy: string, ttlSeconds: number): { code: string; expiresAt: string }[] {
    const insert = this.deps.db.prepare(
      `INSERT INTO activations (code_hash, username, role, participant_id, identity_id, issued_by, issued_at, expires_at, state, ca_registered)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'issued', 0)`,
    );
    const issuedAt = new Date(this.now()).toISOString();
    const expiresAt = this.now() + ttlSeconds * 1000;
    return people.map((p) => {
      const code = newCode();
      insert.run(this.codeHash(normaliseCode(code)!), p.username, p.role, p.participantId, p.identityId, issuedBy, issuedAt, expiresAt);
      return { code, expiresAt: new Date(expiresAt).toISOString() };
    });
  }

  /** The CA certificates the person's certificate chains to. */
  trustAnchors(): Promise<string[]> {
    return this.deps.identity.trustAnchors();
  }

  /** What a code is for, without using it. */
  inspect(code: string): ActivationInfo {
    const row = this.live(code);
    return this.info(row);
  }

  /**
   * Finishes the enrolment with the person's own password: the key is made here and sealed under it.
   */
  async redeem(code: string, password: string): Promise<RedeemedActivation> {
    const { identity, accounts, sealer } = this.deps;
    let privateKey = '';
    return this.finish(
      code,
      async (row, secret) => {
        const credentials: Credentials = await identity.enroll(enrollmentIdOf(row), secret);
        privateKey = credentials.privateKey;
        return credentials;
      },
      async (row, issued) =>
        accounts.insert({
          ...this.opened(row, issued),
          passwordHash: await hashPassword(password),
          sealedKey: await sealer.seal(privateKey, password),
        }),
    );
  }

  /**
   * Finishes the enrolment with a certificate signing request made on the person's device
   * (docs/device-keys.md §3): the CA certifies the device's key, and the gateway keeps the
   * certificate only. A bad CSR is refused before the code is touched, so it stays usable.
   */
  async redeemWithCsr(code: string, csr: string): Promise<RedeemedActivation> {
    const row = this.live(code);
    const checked = await checkCsr(csr, enrollmentIdOf(row)).catch((error: unknown) => {
      throw error instanceof IdentityError && error.code === 'INVALID_ARGUMENT' ? badRequest('BAD_CSR', error.message) : error;
    });
    return this.finish(
      code,
      (claimed, secret) => this.deps.identity.enrollCsr(enrollmentIdOf(claimed), secret, checked.pem),
      async (claimed, issued) =>
        this.deps.accounts.insertDevice({ ...this.opened(claimed, issued), keyHash: keyHash(checked.spki) }),
    );
  }

  /**
   * Claims the code atomically, so of concurrent redemptions exactly one proceeds (the others:
   * ACTIVATION_USED); if the CA cannot enrol, the claim is released and the code may be used again.
   */
  private async finish(
    code: string,
    enrol: (row: Row, caSecret: string) => Promise<IssuedCertificate>,
    open: (row: Row, issued: IssuedCertificate) => Promise<void>,
  ): Promise<RedeemedActivation> {
    const { db } = this.deps;
    const row = this.live(code);
    const claimed = db
      .prepare("UPDATE activations SET state = 'redeeming' WHERE code_hash = ? AND state = 'issued' AND expires_at > ?")
      .run(row.code_hash, this.now()).changes;
    if (claimed !== 1) throw used();
    let issued: IssuedCertificate;
    const secret = this.caSecret(normaliseCode(code)!);
    try {
      if (row.ca_registered === 0) await this.registerDeferred(row, secret);
      issued = await enrol(row, secret);
    } catch (err) {
      db.prepare("UPDATE activations SET state = 'issued' WHERE code_hash = ? AND state = 'redeeming'").run(row.code_hash);
      throw err;
    }
    try {
      await open(row, issued);
    } catch (err) {
      // The CA's one-time secret is spent: this code cannot finish; a registrar issues a new one.
      db.prepare("UPDATE activations SET state = 'failed' WHERE code_hash = ?").run(row.code_hash);
      throw err;
    }
    db.prepare("UPDATE activations SET state = 'used', used_at = ? WHERE code_hash = ?").run(new Date(this.now()).toISOString(), row.code_hash);
    return { ...this.info(row), participantId: row.participant_id, identityId: row.identity_id, certificate: issued.certificate };
  }

  /**
   * A panel patient's CA registration, with the secret derived from their code. A registration left
   * by an earlier attempt whose enrolment failed (same code, so same secret) is kept.
   */
  private async registerDeferred(row: Row, secret: string): Promise<void> {
    const registrar = this.deps.caRegistrar;
    if (!registrar) throw new Problem(503, 'CA_REGISTRAR_UNAVAILABLE', 'this gateway cannot register panel patients at its CA');
    try {
      await this.deps.identity.register(await registrar(), { enrollmentId: enrollmentIdOf(row), role: row.role, secret });
    } catch (err) {
      if (!(err instanceof IdentityError && err.code === 'CONFLICT')) throw err;
    }
    this.deps.db.prepare('UPDATE activations SET ca_registered = 1 WHERE code_hash = ?').run(row.code_hash);
  }

  /** What every opened identity records: who it is on the ledger and its certificate. */
  private opened(row: Row, issued: IssuedCertificate) {
    return {
      username: row.username,
      role: row.role,
      enrollmentId: issued.enrollmentId,
      participantId: row.participant_id,
      identityId: row.identity_id,
      certificate: issued.certificate,
      createdAt: new Date(this.now()).toISOString(),
    };
  }

  private live(code: string): Row {
    const plain = normaliseCode(code);
    const row = plain && (this.deps.db.prepare('SELECT * FROM activations WHERE code_hash = ?').get(this.codeHash(plain)) as Row | undefined);
    if (!row) throw activationUnknown();
    if (row.state !== 'issued') throw used();
    if (row.expires_at <= this.now()) throw expired();
    return row;
  }

  private info(row: Row): ActivationInfo {
    return { mspId: this.deps.mspId, kind: row.kind, username: row.username, enrollmentId: enrollmentIdOf(row), role: row.role, expiresAt: new Date(row.expires_at).toISOString() };
  }
}

const enrollmentIdOf = (row: Row): string => row.enrollment_id ?? row.username;
