import type { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { normalSerial } from './certificate.js';

/**
 * The serials an MSP's revocation lists name. Each CRL must be signed by one of that MSP's CAs;
 * one that is not is refused, as Fabric's MSP refuses it.
 */
export async function revokedSerials(mspId: string, crls: readonly string[], cas: readonly X509Certificate[]): Promise<Set<string>> {
  const serials = new Set<string>();
  for (const pem of crls) {
    const crl = new x509.X509Crl(pem);
    let signed = false;
    for (const ca of cas) {
      const key = await new x509.X509Certificate(ca.raw).publicKey.export();
      if (await crl.verify({ publicKey: key })) signed = true;
    }
    if (!signed) throw new Error(`a revocation list for ${mspId} is not signed by its CA`);
    for (const entry of crl.entries) serials.add(normalSerial(entry.serialNumber));
  }
  return serials;
}
