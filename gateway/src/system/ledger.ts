import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contracts } from '@medrec/chaincode';
import { openEmbeddedLedger } from '../adapters/ledger/embedded/index.js';
import { FabricLedger } from '../adapters/ledger/fabric/ledger.js';
import type { LedgerPort } from '../ports/ledger.js';
import { SERVICE_USERNAME } from '../services/enrolment/bootstrap.js';
import { ConfigError, type GatewayConfig } from './config.js';
import type { HospitalCa } from './identity.js';

export interface Ledgers {
  /** The shared embedded ledger, or (Fabric) undefined: each hospital has its own peer connection. */
  shared: LedgerPort | undefined;
  byMsp: Map<string, LedgerPort>;
}

/**
 * The ledger port factory: one embedded ledger for every hospital (its channel members are the
 * hospitals' CAs, with their CRLs), or each hospital's own connection to its Fabric peer.
 */
export async function openLedgers(
  config: GatewayConfig,
  parts: readonly HospitalCa[],
  tuning: { batchTimeoutMs?: number } = {},
): Promise<Ledgers> {
  if (config.ledger.adapter === 'embedded') {
    const members = await Promise.all(parts.map((p) => p.member()));
    const ledger = await openEmbeddedLedger({
      dataDir: join(config.dataDir, 'ledger'),
      members,
      contracts,
      ...(tuning.batchTimeoutMs !== undefined ? { batchTimeoutMs: tuning.batchTimeoutMs } : {}),
    });
    // A hospital whose TLS root the channel does not list yet (an installation from before HTTPS, a
    // new TLS CA) is brought up to date by a configuration update, as a Fabric MSP would be.
    const current = new Map((await ledger.channelMembers()).map((m) => [m.mspId, m]));
    for (const [i, member] of members.entries()) {
      const listed = current.get(member.mspId)?.tlsRootCertificates ?? [];
      const wanted = member.tlsRootCertificates ?? [];
      if (current.has(member.mspId) && wanted.join() !== listed.join()) await ledger.updateMember(await parts[i]!.member());
    }
    // A revocation at a hospital's CA is a channel configuration update: awaited by revoke().
    for (const p of parts) p.onRevoke?.(async () => ledger.updateMember(await p.member()));
    return { shared: ledger, byMsp: new Map(parts.map((p) => [p.config.mspId, ledger as LedgerPort])) };
  }
  const byMsp = new Map<string, LedgerPort>();
  for (const p of parts) {
    const peer = p.config.fabric;
    const service = p.provisioned[SERVICE_USERNAME];
    if (!peer) throw new ConfigError(`${p.config.mspId}: "fabric" (peerEndpoint, tlsRootCertFile) is required for the fabric ledger`);
    if (!service) throw new ConfigError(`${p.config.mspId}: the fabric ledger needs the provisioned ${SERVICE_USERNAME} identity`);
    byMsp.set(
      p.config.mspId,
      new FabricLedger({
        peers: [peer, ...(peer.failover ?? [])].map((p) => ({
          endpoint: p.peerEndpoint,
          tlsRootCert: readFileSync(p.tlsRootCertFile, 'utf8'),
          ...(p.hostAlias ? { hostAlias: p.hostAlias } : {}),
        })),
        channel: config.ledger.options?.channel ?? 'medrec',
        chaincode: config.ledger.options?.chaincode ?? 'medrec',
        serviceSigner: { mspId: service.mspId, certificate: service.certificate, privateKey: service.privateKey },
        ...(config.ledger.options?.timeouts ? { timeouts: config.ledger.options.timeouts } : {}),
      }),
    );
  }
  return { shared: undefined, byMsp };
}
