import type { Database } from 'better-sqlite3';
import { migrate } from '../store/gateway-db.js';

/** A person's login at their home hospital's gateway. Lives in gateway.db, never on the ledger. */
export interface Account {
  username: string;
  passwordHash: string;
  role: string;
  enrollmentId: string;
  participantId: string;
  identityId: string;
  certificate: string;
  /** The private key, sealed by the key vault under the user's password. */
  sealedKey: string;
  createdAt: string;
  /** Set while a hospital admin has disabled the account: no login, no session. */
  disabledAt?: string | null;
}

interface AccountRow {
  username: string;
  password_hash: string;
  role: string;
  enrollment_id: string;
  participant_id: string;
  identity_id: string;
  certificate: string;
  sealed_key: string;
  created_at: string;
  disabled_at: string | null;
}

const fromRow = (r: AccountRow): Account => ({
  username: r.username,
  passwordHash: r.password_hash,
  role: r.role,
  enrollmentId: r.enrollment_id,
  participantId: r.participant_id,
  identityId: r.identity_id,
  certificate: r.certificate,
  sealedKey: r.sealed_key,
  createdAt: r.created_at,
  disabledAt: r.disabled_at,
});

/** An identity whose private key is on the person's device: the gateway keeps its certificate only. */
export interface DeviceIdentity {
  username: string;
  role: string;
  enrollmentId: string;
  participantId: string;
  identityId: string;
  certificate: string;
  /** SHA-256 of the certified key (SubjectPublicKeyInfo DER), hex: how a recovered device finds it. */
  keyHash: string;
  createdAt: string;
}

interface DeviceRow {
  username: string;
  role: string;
  enrollment_id: string;
  participant_id: string;
  identity_id: string;
  certificate: string;
  key_hash: string;
  created_at: string;
}

const deviceFromRow = (r: DeviceRow): DeviceIdentity => ({
  username: r.username,
  role: r.role,
  enrollmentId: r.enrollment_id,
  participantId: r.participant_id,
  identityId: r.identity_id,
  certificate: r.certificate,
  keyHash: r.key_hash,
  createdAt: r.created_at,
});

export class AccountStore {
  constructor(private readonly db: Database) {
    migrate(db);
  }

  getCredential(name: string): { enrollmentId: string; certificate: string; sealedKey: string } | undefined {
    const row = this.db
      .prepare('SELECT enrollment_id, certificate, sealed_key FROM credentials WHERE name = ?')
      .get(name) as { enrollment_id: string; certificate: string; sealed_key: string } | undefined;
    return row && { enrollmentId: row.enrollment_id, certificate: row.certificate, sealedKey: row.sealed_key };
  }

  putCredential(name: string, enrollmentId: string, certificate: string, sealedKey: string): void {
    this.db
      .prepare('INSERT INTO credentials (name, enrollment_id, certificate, sealed_key) VALUES (?, ?, ?, ?)')
      .run(name, enrollmentId, certificate, sealedKey);
  }

  get(username: string): Account | undefined {
    const row = this.db.prepare('SELECT * FROM accounts WHERE username = ?').get(username) as AccountRow | undefined;
    return row && fromRow(row);
  }

  /** Whether a password account or a device identity has this username. */
  exists(username: string): boolean {
    return (
      this.db.prepare('SELECT 1 FROM accounts WHERE username = ? UNION ALL SELECT 1 FROM device_identities WHERE username = ?').get(username, username) !==
      undefined
    );
  }

  insertDevice(identity: DeviceIdentity): void {
    this.db
      .prepare(
        `INSERT INTO device_identities (enrollment_id, username, role, participant_id, identity_id, certificate, key_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(identity.enrollmentId, identity.username, identity.role, identity.participantId, identity.identityId, identity.certificate, identity.keyHash, identity.createdAt);
  }

  device(enrollmentId: string): DeviceIdentity | undefined {
    const row = this.db.prepare('SELECT * FROM device_identities WHERE enrollment_id = ?').get(enrollmentId) as DeviceRow | undefined;
    return row && deviceFromRow(row);
  }

  /** The newest device identity certified for a key. */
  deviceByKey(keyHash: string): DeviceIdentity | undefined {
    const row = this.db
      .prepare('SELECT * FROM device_identities WHERE key_hash = ? ORDER BY created_at DESC LIMIT 1')
      .get(keyHash) as DeviceRow | undefined;
    return row && deviceFromRow(row);
  }

  /** Throws when the username or identity is taken (UNIQUE constraint). */
  insert(account: Account): void {
    this.db
      .prepare(
        `INSERT INTO accounts (username, password_hash, role, enrollment_id, participant_id, identity_id,
          certificate, sealed_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        account.username,
        account.passwordHash,
        account.role,
        account.enrollmentId,
        account.participantId,
        account.identityId,
        account.certificate,
        account.sealedKey,
        account.createdAt,
      );
  }

  /**
   * Replaces the password and the key sealed under it, only if the account still has the password
   * hash the caller verified: of concurrent changes exactly one wins (false for the others).
   */
  changePassword(username: string, verifiedHash: string, passwordHash: string, sealedKey: string): boolean {
    return (
      this.db
        .prepare('UPDATE accounts SET password_hash = ?, sealed_key = ? WHERE username = ? AND password_hash = ?')
        .run(passwordHash, sealedKey, username, verifiedHash).changes === 1
    );
  }

  /** Whether some local account belongs to this participant (their notifications are kept here). */
  hasParticipant(participantId: string): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM accounts WHERE participant_id = ? UNION ALL SELECT 1 FROM device_identities WHERE participant_id = ?')
        .get(participantId, participantId) !== undefined
    );
  }

  /** Disables (with the time) or re-enables an account; false when there is no such account. */
  setDisabled(username: string, at: string | null): boolean {
    return this.db.prepare('UPDATE accounts SET disabled_at = ? WHERE username = ?').run(at, username).changes === 1;
  }

  isDisabled(username: string): boolean {
    const row = this.db.prepare('SELECT disabled_at FROM accounts WHERE username = ?').get(username) as { disabled_at: string | null } | undefined;
    return row?.disabled_at != null;
  }

  /** Accounts of the given roles, by username. */
  withRoles(roles: readonly string[]): Account[] {
    const rows = this.db
      .prepare(`SELECT * FROM accounts WHERE role IN (${roles.map(() => '?').join(', ')}) ORDER BY username`)
      .all(...roles) as AccountRow[];
    return rows.map(fromRow);
  }

  /** A new certificate and key for the same account (the records service's rotation). */
  replaceCredentials(username: string, change: Pick<Account, 'enrollmentId' | 'identityId' | 'certificate' | 'sealedKey'>): void {
    this.db
      .prepare('UPDATE accounts SET enrollment_id = ?, identity_id = ?, certificate = ?, sealed_key = ? WHERE username = ?')
      .run(change.enrollmentId, change.identityId, change.certificate, change.sealedKey, username);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM accounts').get() as { n: number }).n;
  }
}
