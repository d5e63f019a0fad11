/** A channel of two hospitals with embedded CAs, and a ledger in a temporary directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedCa } from '../../src/adapters/identity/embedded/index.js';
import { openEmbeddedLedger, type EmbeddedLedger, type EmbeddedLedgerOptions } from '../../src/adapters/ledger/embedded/index.js';
import type { Credentials } from '../../src/ports/identity.js';

export const FAST_SEAL = { N: 2 ** 10, r: 8, p: 1 };

export function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-ledger-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Org {
  ca: EmbeddedCa;
  admin: Credentials;
  enroll(enrollmentId: string, role: string): Promise<Credentials>;
}

export async function openOrg(dir: string, mspId: string, hospital: string): Promise<Org> {
  const ca = await EmbeddedCa.open({
    dataDir: join(dir, mspId),
    mspId,
    hospital,
    passphrase: `${mspId} passphrase`,
    bootstrapAdmin: { enrollmentId: 'admin', secret: 'adminpw-secret' },
    sealCost: FAST_SEAL,
  });
  const admin = await ca.enroll('admin', 'adminpw-secret');
  return {
    ca,
    admin,
    async enroll(enrollmentId, role) {
      const { secret } = await ca.register(admin, { enrollmentId, role });
      return ca.enroll(enrollmentId, secret);
    },
  };
}

export async function openChannel(
  dir: string,
  orgs: Org[],
  contracts: readonly unknown[],
  extra: Partial<EmbeddedLedgerOptions> = {},
): Promise<EmbeddedLedger> {
  return openEmbeddedLedger({
    dataDir: join(dir, 'ledger'),
    members: await Promise.all(orgs.map((o) => o.ca.channelMember())),
    contracts,
    ...extra,
  });
}

export const json = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
export const str = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
