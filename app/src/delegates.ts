/** A recovered device's delegates: found again from the phrase alone (docs/device-keys.md §1, docs/privacy.md §3). */
import { GatewayClient, Wallet, recoverEnrollment, type KeyScope } from '@medrec/client';
import type { Catalogue } from './device';

/**
 * Consecutive keys without a certificate that end the walk at one hospital (docs/device-keys.md §1's
 * gap limit). One: `enrolDelegate` numbers a hospital's delegates 0, 1, … and reuses a number a
 * refused code left unused, so a device leaves no gap; and each probe counts against the hospital's
 * activation rate limit.
 */
const DELEGATE_GAP = 1;

/**
 * The delegates this phrase holds at each member hospital: each successive delegate key proves itself
 * to that hospital's gateway for its certificate. Probes go into a scratch wallet of the same phrase,
 * so only certified delegates enter `wallet`. Returns the hospitals that could not be asked.
 */
export async function recoverDelegates(wallet: Wallet, phrase: string, hospitals: Catalogue['hospitals']): Promise<string[]> {
  const scratch = await Wallet.fromPhrase(phrase);
  const unreached: string[] = [];
  for (const { mspId, gateway: origin } of hospitals) {
    const client = new GatewayClient(origin);
    try {
      for (let n = 0, misses = 0; misses < DELEGATE_GAP; n++) {
        const name = `delegate-${mspId}-${n}`;
        const scope: KeyScope = { kind: 'delegate', mspId, label: String(n) };
        scratch.addIdentity(name, scope, origin);
        try {
          const found = await recoverEnrollment(scratch, name, client);
          wallet.addIdentity(name, scope, origin);
          await wallet.setEnrollment(name, found.enrolled());
        } catch (err) {
          if ((err as { code?: unknown }).code !== 'UNKNOWN_KEY') throw err;
          misses++;
        }
      }
    } catch {
      unreached.push(mspId);
    }
  }
  return unreached;
}
