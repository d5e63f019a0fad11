import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

/** Owner only: every file and folder under a data directory holds secrets or medical data. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * The one place the installation's files get their permissions. Many components create files under
 * the data directory — SQLite (gateway.db, ehr.sqlite, the CA database, the ledger, and their -wal
 * and -shm companions, which SQLite creates with the mode of their database), the secrets, the demo
 * seeder — so the process's file-creation mask is set to owner-only before any of them opens, and
 * whatever an older version left readable to others is tightened. SQLite's own default (0644) and
 * Node's (0666/0777) are cut down by this mask to 0600/0700.
 */
export function privateDataDir(dir: string): void {
  // A worker thread cannot change the mask; the composition root runs on the main thread.
  if (isMainThread) process.umask(0o077);
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dir);
}

function tighten(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    if ((stat.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(path, PRIVATE_DIR_MODE);
    for (const name of readdirSync(path)) tighten(join(path, name));
  } else if ((stat.mode & 0o077) !== 0) {
    chmodSync(path, stat.mode & PRIVATE_FILE_MODE);
  }
}
