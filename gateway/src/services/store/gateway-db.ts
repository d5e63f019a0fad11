/**
 * gateway.db, one per hospital: accounts and sealed keys, patient links, notifications and their
 * event checkpoint, the audit log, idempotency keys' answers, share codes. Its schema is versioned (PRAGMA user_version) and migrated at
 * open, in order, each step in one transaction: a file from an older gateway is brought up to date
 * with its data kept, and a file from a newer one is refused rather than misread.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** The audit log's append-only guard: part of the schema, and re-created at every open (see AuditLog). */
export const AUDIT_GUARDS = `
  CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`;

/** Ordered: migration i takes the schema from version i to i + 1. Never edit one that has shipped. */
export const MIGRATIONS: readonly string[] = [
  // 1: the schema as the stores created it before versioning (IF NOT EXISTS: such files already hold it).
  `CREATE TABLE IF NOT EXISTS accounts (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    enrollment_id TEXT NOT NULL UNIQUE,
    participant_id TEXT NOT NULL,
    identity_id TEXT NOT NULL UNIQUE,
    certificate TEXT NOT NULL,
    sealed_key TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS accounts_participant ON accounts (participant_id);
  CREATE TABLE IF NOT EXISTS credentials (
    name TEXT PRIMARY KEY,
    enrollment_id TEXT NOT NULL,
    certificate TEXT NOT NULL,
    sealed_key TEXT NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS patient_links (
    participant_id TEXT PRIMARY KEY,
    mrn TEXT NOT NULL,
    linked_by TEXT NOT NULL,
    linked_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS event_checkpoint (
    feed TEXT PRIMARY KEY,
    block INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS notifications (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    block INTEGER NOT NULL,
    tx_id TEXT NOT NULL,
    event TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    relationship_id TEXT,
    status TEXT,
    category TEXT,
    UNIQUE (tx_id, participant_id, relationship_id)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS notifications_participant ON notifications (participant_id, block);
  CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    requester TEXT,
    msp_id TEXT,
    role TEXT,
    relationship_id TEXT,
    category TEXT,
    fields TEXT,
    decision TEXT NOT NULL,
    status INTEGER NOT NULL,
    hash_matches INTEGER,
    jti TEXT,
    exp INTEGER,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS audit_log_exp ON audit_log(exp) WHERE exp IS NOT NULL;
  ${AUDIT_GUARDS}`,
  // 2: one chart links to at most one participant (a participant to one chart: the primary key).
  `CREATE UNIQUE INDEX IF NOT EXISTS patient_links_mrn ON patient_links (mrn);`,
  // 3: one-time activation codes, stored as keyed hashes only (services/enrolment/activation.ts).
  `CREATE TABLE IF NOT EXISTS activations (
    code_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('issued', 'redeeming', 'used', 'failed')),
    used_at TEXT
  ) STRICT;`,
  // 4: audit searches by relationship (a patient's "who looked") and by requester (auditors), newest first.
  `CREATE INDEX IF NOT EXISTS audit_log_relationship ON audit_log (relationship_id, seq);
  CREATE INDEX IF NOT EXISTS audit_log_requester ON audit_log (requester, seq);`,
  // 5: research (docs/research.md): the study or bounty an audited research answer was for, and which
  // of this hospital's patients each released answer included (for the patients to ask, never on the ledger).
  `ALTER TABLE audit_log ADD COLUMN query_id TEXT;
  CREATE TABLE IF NOT EXISTS research_inclusions (
    participant_id TEXT NOT NULL,
    query_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('study', 'bounty')),
    released_at TEXT NOT NULL,
    PRIMARY KEY (participant_id, query_id)
  ) STRICT;`,
  // 6: Idempotency-Key answers per caller (services/idempotency/store.ts).
  `CREATE TABLE IF NOT EXISTS idempotency_keys (
    caller TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    status INTEGER,
    content_type TEXT,
    body TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (caller, key)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at);`,
  // 7: a hospital admin disables and re-enables staff accounts (services/admin/staff.ts).
  `ALTER TABLE accounts ADD COLUMN disabled_at TEXT;`,
  // 8: the pointer watcher (services/records/watcher.ts): each chart's relationship here, and how far
  // each category's change query has been followed.
  `ALTER TABLE patient_links ADD COLUMN relationship_id TEXT;
  CREATE TABLE IF NOT EXISTS change_checkpoints (
    category TEXT PRIMARY KEY,
    version INTEGER NOT NULL
  ) STRICT;`,
  // 9: identities whose key is on the person's device (issue 10): a certificate, never a key.
  `CREATE TABLE IF NOT EXISTS device_identities (
    enrollment_id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    identity_id TEXT NOT NULL UNIQUE,
    certificate TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS device_identities_key ON device_identities (key_hash, created_at);
  CREATE INDEX IF NOT EXISTS device_identities_participant ON device_identities (participant_id);`,
  // 10: enrollment ids are opaque (docs/privacy.md): an activation records the one it registered;
  // rows issued before keep NULL, their enrollment id being the username.
  `ALTER TABLE activations ADD COLUMN enrollment_id TEXT;`,
  // 11: panel onboarding (services/onboarding): activation codes whose CA registration waits for the
  // redemption, jobs and their rows, and each onboarded patient (what makes a re-run change nothing).
  `ALTER TABLE activations ADD COLUMN ca_registered INTEGER NOT NULL DEFAULT 1;
  CREATE TABLE IF NOT EXISTS panel_jobs (
    id TEXT PRIMARY KEY,
    format TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'done')),
    batch_size INTEGER NOT NULL,
    ttl_seconds INTEGER NOT NULL,
    finished_at TEXT
  ) STRICT;
  CREATE TABLE IF NOT EXISTS panel_rows (
    job_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    mrn TEXT,
    stated_hash TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'registered', 'linked', 'existing', 'error')),
    code TEXT,
    status INTEGER,
    detail TEXT,
    PRIMARY KEY (job_id, row)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS panel_rows_pending ON panel_rows (job_id, state, row);
  CREATE TABLE IF NOT EXISTS panel_patients (
    external_hash TEXT PRIMARY KEY,
    mrn TEXT NOT NULL UNIQUE,
    participant_id TEXT NOT NULL,
    username TEXT NOT NULL,
    job_id TEXT NOT NULL,
    onboarded_at TEXT NOT NULL
  ) STRICT;`,
  // 12: the app's share codes (services/sharing), kept across restarts; only a keyed hash of the code.
  `CREATE TABLE IF NOT EXISTS share_codes (
    code_hash TEXT PRIMARY KEY,
    participant_id TEXT NOT NULL,
    role TEXT NOT NULL,
    msp_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS share_codes_participant ON share_codes (participant_id);
  CREATE INDEX IF NOT EXISTS share_codes_expiry ON share_codes (expires_at);`,
  // 13: which kind a code is (home activation or a delegate for one relationship, docs/privacy.md §3),
  // and the delegates a custodial (password) patient's home holds for her: each key sealed in the vault.
  `ALTER TABLE activations ADD COLUMN kind TEXT NOT NULL DEFAULT 'home';
  CREATE TABLE IF NOT EXISTS custodial_delegates (
    username TEXT NOT NULL,
    msp_id TEXT NOT NULL,
    gateway TEXT NOT NULL,
    enrollment_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    sealed_key TEXT NOT NULL,
    state TEXT NOT NULL,
    enrollment TEXT,
    since TEXT NOT NULL,
    PRIMARY KEY (username, enrollment_id),
    UNIQUE (username, code_hash)
  ) STRICT;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings a gateway database to SCHEMA_VERSION; returns the version it had. */
export function migrate(db: Database.Database): number {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw new Error(`${db.name} has schema version ${from}, newer than this gateway's ${SCHEMA_VERSION}`);
  }
  for (let version = from; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return from;
}

/** Opens (creating it if absent) and migrates a gateway database; WAL, so readers never wait for the audit log's fsyncs. */
export function openGatewayDb(file: string): Database.Database {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}
