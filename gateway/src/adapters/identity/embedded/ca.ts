/**
 * The embedded CA: one per hospital organisation, issuing the same kind of certificates as Fabric CA
 * (ECDSA P-256, role/hospital attributes) so that the chaincode's ctx.clientIdentity reads them as on
 * a real network. Its state — the root key sealed in the vault, registrations with hashed secrets,
 * issued serials and revocations — lives in one SQLite file under the data directory.
 */
import { randomBytes, scrypt, sign, timingSafeEqual, verify, webcrypto, type X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as x509 from '@peculiar/x509';
import { REGISTRAR_MAY_ENROL, type Role } from '@medrec/chaincode/domain';
import { normalSerial, parseCertificate } from '../../../pki/certificate.js';
import {
  IdentityError,
  type Credentials,
  type IdentityPort,
  type IssuedCertificate,
  type RegistrationRequest,
  type Revocation,
} from '../../../ports/identity.js';
import { checkCsr } from '../../../pki/csr.js';
import { DEFAULT_COST, seal, unseal, type ScryptCost } from '../../../pki/vault.js';
import { checkRegistration, requireRegistrarMay } from '../registration.js';
import { createCrl, createRoot, generateKeys, importPrivateKey, issueClient, privateKeyPem } from './certificates.js';
import type { IssuedClient } from './client-certificate.js';

/** How the CA's own table keys an issued certificate: lower-case hex without leading zeros. */
const serialKey = (cert: { serialNumber: string }) => normalSerial(cert.serialNumber).toLowerCase();

export interface EmbeddedCaOptions {
  dataDir: string;
  mspId: string;
  /** Display name of the organisation: the certificates' `hospital` attribute. */
  hospital: string;
  /** Seals the CA's root key at rest. */
  passphrase: string;
  /** Registered at first start, like Fabric CA's `-b admin:adminpw`. */
  bootstrapAdmin: { enrollmentId: string; secret: string };
  /** scrypt cost of the root key's seal (tests lower it). */
  sealCost?: ScryptCost;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ca (id INTEGER PRIMARY KEY CHECK (id = 1), certificate TEXT NOT NULL, sealed_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS registrations (
  enrollment_id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  attrs TEXT NOT NULL,
  secret_salt BLOB NOT NULL,
  secret_hash BLOB NOT NULL,
  enrolled INTEGER NOT NULL DEFAULT 0,
  revoked INTEGER NOT NULL DEFAULT 0,
  registered_by TEXT
);
CREATE TABLE IF NOT EXISTS certificates (
  serial TEXT PRIMARY KEY,
  enrollment_id TEXT NOT NULL REFERENCES registrations (enrollment_id),
  not_after INTEGER NOT NULL,
  revoked_at INTEGER,
  reason TEXT
);
`;

const SECRET_COST = { N: 2 ** 14, r: 8, p: 1 };

function hashSecret(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, 32, { ...SECRET_COST, maxmem: 64 * 1024 * 1024 }, (e, key) => (e ? reject(e) : resolve(key))),
  );
}

interface Registration {
  enrollment_id: string;
  role: string;
  attrs: string;
  secret_salt: Buffer;
  secret_hash: Buffer;
  enrolled: number;
  revoked: number;
}

export class EmbeddedCa implements IdentityPort {
  private revokeListeners: ((crl: string) => unknown)[] = [];

  private constructor(
    readonly mspId: string,
    private readonly hospital: string,
    private readonly db: Database.Database,
    private readonly root: x509.X509Certificate,
    private readonly rootKey: webcrypto.CryptoKey,
  ) {}

  static async open(options: EmbeddedCaOptions): Promise<EmbeddedCa> {
    mkdirSync(options.dataDir, { recursive: true });
    const db = new Database(join(options.dataDir, 'ca.sqlite'));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(SCHEMA);
      let row = db.prepare('SELECT certificate, sealed_key FROM ca').get() as
        | { certificate: string; sealed_key: string }
        | undefined;
      if (!row) {
        const keys = await generateKeys();
        const root = await createRoot([{ CN: [`ca.${options.mspId.toLowerCase()}`] }, { O: [options.hospital] }], keys);
        const sealed = await seal(await privateKeyPem(keys.privateKey), options.passphrase, options.sealCost ?? DEFAULT_COST);
        row = { certificate: root.toString('pem'), sealed_key: sealed };
        db.prepare('INSERT INTO ca (id, certificate, sealed_key) VALUES (1, ?, ?)').run(row.certificate, row.sealed_key);
      }
      const rootKey = await importPrivateKey((await unseal(row.sealed_key, options.passphrase)).toString());
      const ca = new EmbeddedCa(options.mspId, options.hospital, db, new x509.X509Certificate(row.certificate), rootKey);
      const { enrollmentId, secret } = options.bootstrapAdmin;
      if (!ca.registration(enrollmentId)) await ca.insertRegistration({ enrollmentId, role: 'admin', secret }, null);
      return ca;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private registration(enrollmentId: string): Registration | undefined {
    return this.db.prepare('SELECT * FROM registrations WHERE enrollment_id = ?').get(enrollmentId) as
      | Registration
      | undefined;
  }

  private async insertRegistration(request: RegistrationRequest, by: string | null): Promise<{ secret: string }> {
    const secret = request.secret ?? randomBytes(18).toString('base64url');
    const salt = randomBytes(16);
    const attrs = JSON.stringify(request.attrs ?? {});
    const hash = await hashSecret(secret, salt);
    try {
      this.db
        .prepare(
          `INSERT INTO registrations (enrollment_id, role, attrs, secret_salt, secret_hash, registered_by)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(request.enrollmentId, request.role, attrs, salt, hash, by);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new IdentityError('CONFLICT', `${request.enrollmentId} is already registered`);
      }
      throw new IdentityError('UNAVAILABLE', 'the CA store is unavailable');
    }
    return { secret };
  }

  /**
   * The caller must hold a live certificate of this CA with role registrar or admin, and prove it
   * holds the matching private key (Fabric CA authenticates requests by a token signed with it).
   */
  private authority(credentials: Credentials): { enrollmentId: string; role: string } {
    let cert: X509Certificate;
    try {
      cert = parseCertificate(credentials.certificate);
    } catch {
      throw new IdentityError('FORBIDDEN', 'the registrar certificate cannot be read');
    }
    const root = parseCertificate(this.root.toString('pem'));
    if (credentials.mspId !== this.mspId || !cert.checkIssued(root) || !cert.verify(root.publicKey)) {
      throw new IdentityError('FORBIDDEN', `the certificate is not issued by the CA of ${this.mspId}`);
    }
    const challenge = randomBytes(32);
    let proven = false;
    try {
      proven = verify('sha256', challenge, cert.publicKey, sign('sha256', challenge, credentials.privateKey));
    } catch {
      proven = false;
    }
    if (!proven) throw new IdentityError('FORBIDDEN', 'the private key does not match the certificate');
    const issued = this.db
      .prepare('SELECT enrollment_id, revoked_at FROM certificates WHERE serial = ?')
      .get(serialKey(cert)) as { enrollment_id: string; revoked_at: number | null } | undefined;
    if (!issued || issued.revoked_at !== null) throw new IdentityError('FORBIDDEN', 'the certificate is revoked or unknown');
    const registration = this.registration(issued.enrollment_id)!;
    if (registration.role !== 'registrar' && registration.role !== 'admin') {
      throw new IdentityError('FORBIDDEN', 'only a registrar or admin of this CA may do this');
    }
    return { enrollmentId: issued.enrollment_id, role: registration.role };
  }

  async register(registrar: Credentials, request: RegistrationRequest): Promise<{ secret: string }> {
    const by = this.authority(registrar);
    checkRegistration(request);
    requireRegistrarMay(by.role, request.role);
    return this.insertRegistration(request, by.enrollmentId);
  }

  async enroll(enrollmentId: string, secret: string): Promise<Credentials> {
    const registration = await this.claim(enrollmentId, secret);
    const keys = await generateKeys();
    const issued = await this.issue(registration, keys.publicKey);
    return { ...issued, privateKey: await privateKeyPem(keys.privateKey) };
  }

  async enrollCsr(enrollmentId: string, secret: string, csr: string): Promise<IssuedCertificate> {
    // Checked before the one-time secret is spent: a bad request costs the person nothing.
    const checked = await checkCsr(csr, enrollmentId);
    return this.issue(await this.claim(enrollmentId, secret), checked.publicKey);
  }

  /** Spends the one-time secret of a registration, or throws why it cannot be. */
  private async claim(enrollmentId: string, secret: string): Promise<Registration> {
    const registration = this.registration(enrollmentId);
    // Same answer for an unknown id and a wrong secret: enrollment ids are not to be probed.
    const refused = new IdentityError('FORBIDDEN', 'unknown enrollment id or wrong secret');
    const hash = await hashSecret(secret, registration?.secret_salt ?? randomBytes(16));
    if (!registration || !timingSafeEqual(hash, registration.secret_hash)) throw refused;
    if (registration.revoked) throw new IdentityError('FORBIDDEN', `${enrollmentId} has been revoked`);
    if (registration.enrolled) throw new IdentityError('CONFLICT', `${enrollmentId} is already enrolled (one-time secret)`);
    const claim = this.db
      .prepare('UPDATE registrations SET enrolled = 1 WHERE enrollment_id = ? AND enrolled = 0')
      .run(enrollmentId);
    if (claim.changes !== 1) throw new IdentityError('CONFLICT', `${enrollmentId} is already enrolled (one-time secret)`);
    return registration;
  }

  /** Certifies `publicKey` for a claimed registration, with its attributes, and records the serial. */
  private async issue(registration: Registration, publicKey: webcrypto.CryptoKey): Promise<IssuedCertificate> {
    const enrollmentId = registration.enrollment_id;
    const cert = await this.certify(enrollmentId, registration.role, JSON.parse(registration.attrs) as Record<string, string>, publicKey);
    this.db
      .prepare('INSERT INTO certificates (serial, enrollment_id, not_after) VALUES (?, ?, ?)')
      .run(serialKey(cert), enrollmentId, cert.notAfter.getTime());
    return { mspId: this.mspId, enrollmentId, certificate: cert.pem };
  }

  /** A certificate for `publicKey` carrying the person's attributes (not yet recorded). */
  private async certify(enrollmentId: string, role: string, extra: Record<string, string>, publicKey: webcrypto.CryptoKey): Promise<IssuedClient> {
    const attrs = { ...extra, role, hospital: this.hospital, 'hf.EnrollmentID': enrollmentId, 'hf.Type': 'client', 'hf.Affiliation': '' };
    return issueClient(this.root, this.rootKey, enrollmentId, publicKey, attrs);
  }

  /**
   * Registers and enrols people at once whose keys the registrar creates here (a synthetic panel: the
   * demo's and the benchmarks' research populations), in one transaction: there is no one-time secret
   * to hand over, so none is hashed, and each gets a fresh key pair and certificate as enroll() gives.
   */
  async enrollBatch(registrar: Credentials, requests: readonly Omit<RegistrationRequest, 'secret'>[]): Promise<Credentials[]> {
    const by = this.authority(registrar);
    for (const request of requests) {
      checkRegistration(request);
      requireRegistrarMay(by.role, request.role);
    }
    const issued: { request: (typeof requests)[number]; cert: IssuedClient; credentials: Credentials }[] = [];
    for (const request of requests) {
      const keys = await generateKeys();
      const cert = await this.certify(request.enrollmentId, request.role, request.attrs ?? {}, keys.publicKey);
      const credentials: Credentials = { mspId: this.mspId, enrollmentId: request.enrollmentId, certificate: cert.pem, privateKey: await privateKeyPem(keys.privateKey) };
      issued.push({ request, cert, credentials });
    }
    const register = this.db.prepare(
      `INSERT INTO registrations (enrollment_id, role, attrs, secret_salt, secret_hash, enrolled, registered_by) VALUES (?, ?, ?, ?, ?, 1, ?)`,
    );
    const record = this.db.prepare('INSERT INTO certificates (serial, enrollment_id, not_after) VALUES (?, ?, ?)');
    try {
      this.db.transaction(() => {
        for (const { request, cert } of issued) {
          // An unguessable secret nobody knows: the identity is enrolled already and cannot be enrolled again.
          register.run(request.enrollmentId, request.role, JSON.stringify(request.attrs ?? {}), randomBytes(16), randomBytes(32), by.enrollmentId);
          record.run(serialKey(cert), request.enrollmentId, cert.notAfter.getTime());
        }
      })();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new IdentityError('CONFLICT', 'an enrollment id is already registered');
      throw new IdentityError('UNAVAILABLE', 'the CA store is unavailable');
    }
    return issued.map((i) => i.credentials);
  }

  async revoke(registrar: Credentials, enrollmentId: string, reason?: string): Promise<Revocation> {
    const by = this.authority(registrar);
    const registration = this.registration(enrollmentId);
    if (!registration) throw new IdentityError('NOT_FOUND', `${enrollmentId} is not registered`);
    if (by.role !== 'admin' && !REGISTRAR_MAY_ENROL.includes(registration.role as Role)) {
      throw new IdentityError('FORBIDDEN', `a registrar may not revoke a ${registration.role}`);
    }
    const now = Date.now();
    this.db.transaction(() => {
      this.db.prepare('UPDATE registrations SET revoked = 1 WHERE enrollment_id = ?').run(enrollmentId);
      this.db
        .prepare('UPDATE certificates SET revoked_at = ?, reason = ? WHERE enrollment_id = ? AND revoked_at IS NULL')
        .run(now, reason ?? null, enrollmentId);
    })();
    const crl = await this.crl();
    // Awaited, so that when revoke() resolves the channel already refuses the certificate.
    await Promise.all(this.revokeListeners.map((listener) => listener(crl)));
    return { crl };
  }

  /** The CA's current revocation list (PEM X.509 CRL), for the channel's MSP definition. */
  async crl(): Promise<string> {
    const rows = this.db
      .prepare('SELECT serial, revoked_at FROM certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at')
      .all() as { serial: string; revoked_at: number }[];
    return createCrl(this.root, this.rootKey, rows.map((r) => ({ serial: r.serial, at: new Date(r.revoked_at) })));
  }

  /**
   * Calls `listener` with the new CRL after every revocation (to update the channel's MSP, e.g.
   * `ca.onRevoke(async () => ledger.updateMember(await ca.channelMember()))`); revoke() awaits it.
   */
  onRevoke(listener: (crl: string) => unknown): void {
    this.revokeListeners.push(listener);
  }

  async trustAnchors(): Promise<string[]> {
    return [this.root.toString('pem')];
  }

  /** This organisation as a channel member: its CA and its revocation list. */
  async channelMember(): Promise<{ mspId: string; caCertificates: string[]; revocationLists: string[] }> {
    return { mspId: this.mspId, caCertificates: await this.trustAnchors(), revocationLists: [await this.crl()] };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
