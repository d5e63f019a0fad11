/** Does a PEM certificate certify this device key? (jose's small X.509 reader: no full X.509 stack needed.) */
import { importX509 } from 'jose';
import { equalBytes } from '../bytes.js';
import type { DeviceKey } from './device-key.js';

export async function certifiesKey(certificatePem: string, key: DeviceKey): Promise<boolean> {
  let certified: CryptoKey;
  try {
    certified = await importX509(certificatePem, 'ES256', { extractable: true });
  } catch {
    return false;
  }
  const [theirs, ours] = await Promise.all([
    crypto.subtle.exportKey('spki', certified),
    crypto.subtle.exportKey('spki', await key.verifyingKey()),
  ]);
  return equalBytes(new Uint8Array(theirs), new Uint8Array(ours));
}
