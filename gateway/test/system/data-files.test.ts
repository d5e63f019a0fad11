/**
 * Every file a fresh installation writes holds secrets or medical data (gateway.db, ehr.sqlite,
 * the CA database and root key, the ledger, generated secrets, and SQLite's -wal/-shm companions):
 * each is created owner-only (0600) in owner-only folders (0700), even when the process started
 * with the usual 022 mask. A file left readable by an older version is tightened at the next start.
 */
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { openWorld } from '../support/world.js';

function scan(dir: string, out: { path: string; mode: number; dir: boolean }[] = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    out.push({ path, mode: stat.mode & 0o777, dir: stat.isDirectory() });
    if (stat.isDirectory()) scan(path, out);
  }
  return out;
}

t.test('a fresh data directory holds no file or folder that anyone but the owner may read', async (t) => {
  process.umask(0o022);
  const world = await openWorld();
  t.teardown(() => world.close());
  // Write something through each store so every SQLite companion file exists.
  await world.enrol(world.h1, 'files.patient', 'patient');
  const entries = scan(world.dir);
  const names = entries.map((e) => e.path.slice(world.dir.length + 1));
  for (const expected of ['hospital1/external-id.key', 'ledger/ledger.sqlite', 'hospital1/gateway.db', 'hospital1/gateway.db-wal', 'hospital1/ehr.sqlite', 'hospital1/ca/ca.sqlite', 'hospital1/jwt.secret', 'hospital1/service.secret']) {
    t.ok(names.includes(expected), `${expected} exists`);
  }
  const loose = entries.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${e.path} ${e.mode.toString(8)}`);
  t.same(loose, [], `all ${entries.length} files are 0600 and folders 0700`);
});

t.test('files an older version left readable are tightened at the next start', async (t) => {
  const first = await openWorld();
  const dir = first.dir;
  await first.close({ keepData: true });
  chmodSync(join(dir, 'hospital1', 'gateway.db'), 0o644);
  chmodSync(join(dir, 'hospital1'), 0o755);
  writeFileSync(join(dir, 'hospital1', 'notes.txt'), 'x', { mode: 0o666 });
  chmodSync(join(dir, 'hospital1', 'notes.txt'), 0o666);
  const world = await openWorld({ dir });
  t.teardown(() => world.close());
  t.equal(statSync(join(dir, 'hospital1', 'gateway.db')).mode & 0o777, 0o600);
  t.equal(statSync(join(dir, 'hospital1')).mode & 0o777, 0o700);
  t.equal(statSync(join(dir, 'hospital1', 'notes.txt')).mode & 0o777, 0o600);
});
