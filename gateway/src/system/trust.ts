import { TrustStore } from '../pki/trust-store.js';
import type { LedgerPort } from '../ports/ledger.js';

/**
 * The gatekeeper's trust: the channel members' CAs and their current CRLs, read from the ledger's
 * own channel configuration and replaced whenever a configuration block commits — so a certificate
 * revoked at its CA is refused by the next request, on either ledger adapter.
 */
export async function ledgerTrust(ledger: LedgerPort): Promise<{ trust: TrustStore; stop: () => void }> {
  const trust = await TrustStore.fromMembers(await ledger.channelMembers());
  const stop = ledger.onChannelConfig((members) => trust.update(members));
  return { trust, stop };
}
