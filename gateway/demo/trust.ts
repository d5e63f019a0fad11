/**
 * A client of the installation in this same process (the demo's walk, a test, a bench) trusts its
 * gateways' TLS roots, as a curl user passes --cacert <dataDir>/tls-ca.pem: fetch's global client
 * trusts every root handed in here, and nothing else. The gateways' own calls to each other never
 * use it (system/tls.ts gives them a client of their own, trusting only the channel's TLS roots).
 */
import { readFileSync } from 'node:fs';
import { Agent, setGlobalDispatcher } from 'undici';

const roots = new Set<string>();

/** Adds the PEM certificates of `file` (a system's tlsRootsFile) to what this process's fetch trusts. */
export function trustTlsRoots(file: string | undefined): void {
  if (!file) return;
  const pem = readFileSync(file, 'utf8');
  for (const cert of pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []) roots.add(cert);
  setGlobalDispatcher(new Agent({ connect: { ca: [...roots] } }));
}
