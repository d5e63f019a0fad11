/**
 * TLS between hospitals (docs/gateway.md "HTTPS"): each gateway serves HTTPS with a server
 * certificate from its hospital's TLS CA, and calls other hospitals' gatekeepers trusting only the
 * channel members' TLS roots — read from the ledger's channel configuration (on Fabric, each MSP's
 * tls_root_certs; embedded, each hospital's TLS CA as the embedded channel lists it) and replaced
 * whenever a configuration block commits, as the gatekeeper's identity trust is (trust.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { EmbeddedTlsCa, type ServerCredentials } from '../adapters/identity/embedded/tls-ca.js';
import type { ChannelMember, LedgerPort } from '../ports/ledger.js';
import { plainHttpProblem, type GatekeeperFetch } from '../services/gatekeeper/transport.js';
import type { GatewayConfig, HospitalConfig } from './config.js';

/** The file, in the installation's data directory, holding every channel member's TLS roots (curl --cacert, NODE_EXTRA_CA_CERTS). */
export const TLS_ROOTS_FILE = 'tls-ca.pem';

/** One hospital's side of TLS: what its gateway serves, and the TLS root the channel lists for it (embedded only). */
export interface HospitalTls {
  server: ServerCredentials;
  /** The embedded TLS CA's root, for the embedded channel's member entry; undefined when the network's MSP already carries it. */
  root?: string;
}

/** The names a gateway's certificate is for: its public URL's host and the address it binds (and `localhost` on a loopback address). */
function serverNames(hospital: HospitalConfig): string[] {
  const names = [new URL(hospital.publicUrl).hostname.replace(/^\[|\]$/g, ''), hospital.host];
  if (names.some((n) => n === '127.0.0.1' || n === '::1')) names.push('localhost');
  return [...new Set(names.filter((n) => n !== '0.0.0.0' && n !== '::'))];
}

/**
 * The gateway's server certificate: the files the configuration names (issued by Fabric CA's TLS
 * profile on a network), or one issued at this start by the hospital's embedded TLS CA.
 */
export async function openHospitalTls(hospital: HospitalConfig): Promise<HospitalTls> {
  if (hospital.tls) {
    return { server: { cert: readFileSync(hospital.tls.certFile, 'utf8'), key: readFileSync(hospital.tls.keyFile, 'utf8') } };
  }
  const ca = await EmbeddedTlsCa.open(join(hospital.dataDir, 'tls-ca'), hospital.name);
  return { server: await ca.issueServer(serverNames(hospital)), root: ca.certificate };
}

const rootsOf = (members: readonly ChannelMember[]) => [...new Set(members.flatMap((m) => m.tlsRootCertificates ?? []))];

/**
 * How this installation's gateways reach gatekeepers: an HTTPS client whose only trust anchors are
 * the channel members' TLS roots, with Node's host name check. A configuration block that adds or
 * removes a member's TLS root replaces the client.
 */
export class GatekeeperTls {
  private agent: Agent;
  private roots: string[];

  private constructor(
    members: readonly ChannelMember[],
    private readonly httpsOnly: boolean,
  ) {
    this.roots = rootsOf(members);
    this.agent = GatekeeperTls.agentFor(this.roots);
  }

  private static agentFor(roots: string[]): Agent {
    // Only these roots, never Node's public ones: an empty list (no member has a TLS root) trusts no server.
    return new Agent({ connect: { ca: roots } });
  }

  /** Follows the ledger's channel configuration; `stop` ends following and closes the client's connections. */
  static async follow(ledger: LedgerPort, httpsOnly: boolean): Promise<{ tls: GatekeeperTls; stop: () => Promise<void> }> {
    const tls = new GatekeeperTls(await ledger.channelMembers(), httpsOnly);
    const unsubscribe = ledger.onChannelConfig((members) => tls.update(members));
    return {
      tls,
      stop: async () => {
        unsubscribe();
        await tls.agent.close();
      },
    };
  }

  /** The channel members' TLS roots now trusted (PEM). */
  get trustedRoots(): readonly string[] {
    return this.roots;
  }

  update(members: readonly ChannelMember[]): void {
    const roots = rootsOf(members);
    if (roots.join('\n') === this.roots.join('\n')) return;
    const old = this.agent;
    this.roots = roots;
    this.agent = GatekeeperTls.agentFor(roots);
    // Requests in flight finish on the old client; new ones use the new roots.
    void old.close();
  }

  /**
   * fetch, through the client that trusts the channel's TLS roots only. With TLS on (`httpsOnly`) an
   * http:// URL is refused before a connection is made: the roots would never be asked.
   */
  readonly fetch: GatekeeperFetch = (url, init) => {
    if (this.httpsOnly && url.protocol !== 'https:') return Promise.reject(plainHttpProblem());
    // undici's own fetch with its own client (Node's global fetch is an older undici); its types are its own too.
    return undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: this.agent }) as unknown as Promise<Response>;
  };
}

/** Writes every channel member's TLS roots to `<dataDir>/tls-ca.pem`, for curl and CLI users; answers the path. */
export function writeTlsRoots(config: GatewayConfig, roots: readonly string[]): string {
  const file = join(config.dataDir, TLS_ROOTS_FILE);
  writeFileSync(file, roots.map((r) => r.trim()).join('\n') + '\n', { mode: 0o600 });
  return file;
}
