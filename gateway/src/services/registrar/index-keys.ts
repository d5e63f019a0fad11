import { IndexKey, type EcdhX } from '@medrec/client/protocol';
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The home's index key: `<dataDir>/external-id.key` (docs/privacy.md §2). */
export const INDEX_KEY_FILE = 'external-id.key';
/** While a rotation runs: the new key. Its existence is the rotation's state, so a restarted gateway resumes it. */
export const NEXT_INDEX_KEY_FILE = 'external-id.next.key';

function readSeed(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function writeSeed(file: string): string {
  const seed = randomBytes(32).toString('base64url');
  writeFileSync(file, `${seed}\n`, { mode: 0o600, flag: 'wx' });
  return seed;
}

/**
 * This hospital's external-id index keys: the current one, under which it registers, and during a
 * rotation the previous one, whose entries are still being moved. Lookups try both (current first)
 * until the rotation completes; the previous key is then deleted, the new file renamed over the old
 * (one atomic step, so a crash leaves either the rotation or its end).
 */
export class IndexKeys {
  current!: IndexKey;
  previous: IndexKey | undefined;
  /** the current key's seed (the panel's enrollment ids are keyed with it) */
  seed!: string;

  constructor(
    private readonly dataDir: string,
    private readonly ecdhX?: EcdhX,
  ) {
    this.load();
  }

  private file(name: string): string {
    return join(this.dataDir, name);
  }

  private load(): void {
    const key = readSeed(this.file(INDEX_KEY_FILE)) ?? writeSeed(this.file(INDEX_KEY_FILE));
    const next = readSeed(this.file(NEXT_INDEX_KEY_FILE));
    this.seed = next ?? key;
    this.current = new IndexKey(this.seed, this.ecdhX);
    this.previous = next === undefined ? undefined : new IndexKey(key, this.ecdhX);
  }

  get rotating(): boolean {
    return this.previous !== undefined;
  }

  /** Every key an entry of this home may be under now, current first. */
  all(): IndexKey[] {
    return this.previous ? [this.current, this.previous] : [this.current];
  }

  /** Starts a rotation (a new key, 0600), or keeps the one under way. */
  begin(): void {
    if (this.rotating) return;
    writeSeed(this.file(NEXT_INDEX_KEY_FILE));
    this.load();
  }

  /** Ends a rotation: the new key becomes the key, the old one is gone. */
  complete(): void {
    if (!this.rotating) return;
    renameSync(this.file(NEXT_INDEX_KEY_FILE), this.file(INDEX_KEY_FILE));
    this.load();
  }
}
