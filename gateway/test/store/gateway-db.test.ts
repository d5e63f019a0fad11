/**
 * gateway.db migrations: a file written by the gateway before its schema was versioned (user_version
 * 0, tables made by each store's CREATE TABLE IF NOT EXISTS) is brought to the current version at
 * open with every row kept; a fresh file gets the whole schema; a file from a newer gateway is refused.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { AccountStore } from '../../src/services/accounts/accounts.js';
import { AuditLog } from '../../src/services/audit/log.js';
import { NotificationStore } from '../../src/services/notifications/store.js';
import { PatientLinks } from '../../src/services/relationships/links.js';
import { MIGRATIONS, openGatewayDb, SCHEMA_VERSION } from '../../src/services/store/gateway-db.js';

/** The tables exactly as the unversioned gateway (before this change) created them, with some data. */
const UNVERSIONED = `
CREATE TABLE accounts (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
  enrollment_id TEXT NOT NULL UNIQUE, participant_id TEXT NOT NULL, identity_id TEXT NOT NULL UNIQUE,
  certificate TEXT NOT NULL, sealed_key TEXT NOT NULL, created_at TEXT NOT NULL) STRICT;
CREATE INDEX accounts_participant ON accounts (participant_id);
CREATE TABLE credentials (name TEXT PRIMARY KEY, enrollment_id TEXT NOT NULL, certificate TEXT NOT NULL, sealed_key TEXT NOT NULL) STRICT;
CREATE TABLE patient_links (participant_id TEXT PRIMARY KEY, mrn TEXT NOT NULL, linked_by TEXT NOT NULL, linked_at TEXT NOT NULL) STRICT;
CREATE TABLE event_checkpoint (feed TEXT PRIMARY KEY, block INTEGER NOT NULL) STRICT;
CREATE TABLE notifications (seq INTEGER PRIMARY KEY AUTOINCREMENT, block INTEGER NOT NULL, tx_id TEXT NOT NULL,
  event TEXT NOT NULL, participant_id TEXT NOT NULL, relationship_id TEXT, status TEXT, category TEXT,
  UNIQUE (tx_id, participant_id, relationship_id)) STRICT;
CREATE INDEX notifications_participant ON notifications (participant_id, block);
CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, requester TEXT, msp_id TEXT, role TEXT,
  relationship_id TEXT, category TEXT, fields TEXT, decision TEXT NOT NULL, status INTEGER NOT NULL,
  hash_matches INTEGER, jti TEXT, exp INTEGER, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX audit_log_exp ON audit_log(exp) WHERE exp IS NOT NULL;
INSERT INTO accounts VALUES ('alice', 'scrypt$x', 'patient', 'alice', '${'a'.repeat(64)}', '${'b'.repeat(64)}', 'CERT', 'SEALED', '2026-01-01T00:00:00Z');
INSERT INTO patient_links VALUES ('${'a'.repeat(64)}', 'H1-000100', 'dr-ada', '2026-01-01T00:00:00Z');
INSERT INTO event_checkpoint VALUES ('chaincode', 42);
INSERT INTO notifications (block, tx_id, event, participant_id, relationship_id, status)
  VALUES (41, 'tx1', 'RelationshipCreated', '${'a'.repeat(64)}', '${'c'.repeat(64)}', 'new');
`;

t.test('a gateway.db from before versioning migrates at open and keeps its data', async (t) => {
  const file = join(t.testdir(), 'gateway.db');
  const old = new Database(file);
  old.exec(UNVERSIONED);
  old.close();

  const db = openGatewayDb(file);
  t.teardown(() => db.close());
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION, 'now at the current schema version');
  t.equal(new AccountStore(db).get('alice')?.sealedKey, 'SEALED', 'accounts kept');
  t.equal(new PatientLinks(db).get('a'.repeat(64)), 'H1-000100', 'patient links kept');
  const notifications = new NotificationStore(db);
  t.equal(notifications.checkpoint(), 42n, 'event checkpoint kept');
  t.same(notifications.list('a'.repeat(64), 0n, 10).map((n) => n.txId), ['tx1'], 'notifications kept');
  const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").pluck().all();
  t.same(triggers, ['audit_log_no_delete', 'audit_log_no_update'], 'the audit guard the old file lacked is added');
  t.throws(() => db.exec("INSERT INTO audit_log (seq, at, decision, status, prev_hash, hash) VALUES (1, 'x', 'D', 200, 'p', 'h'); DELETE FROM audit_log"), /append-only/);
});

t.test("a gateway.db at the previous version (3: activations) gets the audit search indexes, rows kept", async (t) => {
  const file = join(t.testdir(), 'gateway.db');
  const old = new Database(file);
  old.exec(UNVERSIONED);
  for (const migration of MIGRATIONS.slice(0, 3)) old.exec(migration);
  old.pragma('user_version = 3');
  old.close();

  const db = openGatewayDb(file);
  t.teardown(() => db.close());
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log' AND sql IS NOT NULL ORDER BY name").pluck().all();
  t.same(indexes, ['audit_log_exp', 'audit_log_relationship', 'audit_log_requester']);
  t.equal(new PatientLinks(db).get('a'.repeat(64)), 'H1-000100', 'patient links kept');
});

t.test('a fresh gateway.db gets the whole schema; opening again changes nothing', async (t) => {
  const file = join(t.testdir(), 'gateway.db');
  const first = openGatewayDb(file);
  const schema = () => first.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
  const before = schema();
  t.equal(first.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  first.close();
  const again = openGatewayDb(file);
  t.same(again.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all(), before);
  const log = new AuditLog(again);
  t.teardown(() => log.close());
  t.equal(log.verify().count, 0);
});

t.test('a gateway.db from a newer gateway is refused, not misread', async (t) => {
  const file = join(t.testdir(), 'gateway.db');
  const db = new Database(file);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  t.throws(() => openGatewayDb(file), /newer than this gateway/);
});
