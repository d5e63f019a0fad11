/**
 * The app's share codes in gateway.db: a code still resolves after the database is closed and
 * opened again (a gateway restart), expires, is one per participant, bounded in number, and is
 * stored only as a keyed hash. (gateway.db's 0600 mode is the system's umask: test/system/data-files.test.ts.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ShareCodeStore } from '../../src/services/sharing/share-codes.js';
import { openGatewayDb } from '../../src/services/store/gateway-db.js';
import { problemOf } from '../support/problem.js';

const dir = mkdtempSync(join(tmpdir(), 'medrec-share-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'gateway.db');
const key = 'k'.repeat(40);
let clock = Date.parse('2026-01-01T00:00:00Z');
const now = () => clock;
const victor = { participantId: 'P-victor', role: 'provider', mspId: 'Hospital1MSP' };

t.test('a code resolves after the store is re-opened, and not after it expires', async (t) => {
  const db = openGatewayDb(file);
  const { code, expiresAt } = new ShareCodeStore(db, { key, now }).issue(victor);
  t.match(code, /^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
  t.equal(expiresAt, '2026-01-02T00:00:00.000Z', 'a day');
  db.close();

  const again = openGatewayDb(file);
  t.teardown(() => again.close());
  const store = new ShareCodeStore(again, { key, now });
  t.same(store.resolve(code), victor, 'after the restart');
  t.same(store.resolve(code.replace('-', '')), victor, 'without the dash');
  t.equal(new ShareCodeStore(again, { key: 'another key'.repeat(4), now }).resolve(code), undefined, 'only under the key that hashed it');
  const stored = again.prepare('SELECT * FROM share_codes').all() as Record<string, unknown>[];
  t.equal(stored.length, 1);
  t.notOk(JSON.stringify(stored).includes(code.replace('-', '')), 'the code itself is not stored');
  t.notOk(readFileSync(file).includes(code.replace('-', '')), 'nor anywhere in the file');

  clock += 24 * 3600_000 - 1;
  t.same(store.resolve(code), victor, 'live until its last millisecond');
  clock += 1;
  t.equal(store.resolve(code), undefined, 'expired');
  store.issue({ ...victor, participantId: 'P-other' });
  t.equal(again.prepare('SELECT count(*) FROM share_codes WHERE participant_id = ?').pluck().get('P-victor'), 0, 'expired rows are swept');
});

t.test('one live code per participant; at the bound 503 SHARE_CODES_FULL, and expiry frees room', async (t) => {
  const db = openGatewayDb(join(dir, 'bounded.db'));
  t.teardown(() => db.close());
  const store = new ShareCodeStore(db, { key, now, max: 2, ttlMs: 1000 });
  const first = store.issue(victor).code;
  const second = store.issue(victor).code;
  t.equal(store.resolve(first), undefined, 'a new code replaces the old one');
  t.same(store.resolve(second), victor);
  store.issue({ ...victor, participantId: 'P-2' });
  t.same(await problemOf(Promise.resolve().then(() => store.issue({ ...victor, participantId: 'P-3' }))), { status: 503, code: 'SHARE_CODES_FULL' });
  t.same(store.resolve(second), victor, 'a refused issue changes nothing');
  t.ok(store.issue(victor).code, 'a participant with a live code may still replace it at the bound');
  clock += 1000;
  t.ok(store.issue({ ...victor, participantId: 'P-3' }).code, 'room again once the others expired');
});
