import { X509Certificate, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const MAX_CHAIN = 5;

export interface TrustedChain {
  mspId: string;
  /** The window in which the certificate and every CA above it are all valid (ms since epoch). */
  notBefore: number;
  notAfter: number;
}

/**
 * The channel members' certificate authorities: mspId → CA certificates (roots and intermediates).
 * A certificate is trusted when it chains, signature by signature, to a self-signed CA of one MSP;
 * that MSP is the requester's. Which MSP a certificate belongs to comes only from who issued it.
 */
export class TrustStore {
  private readonly cas = new Map<string, X509Certificate[]>();
  private readonly revoked = new Map<string, Set<string>>();

  constructor(anchors: Record<string, readonly string[]> = {}) {
    for (const [mspId, pems] of Object.entries(anchors)) this.add(mspId, pems);
  }

  /** From the channel's member definitions (the same shape the ledger's MSP configuration uses). */
  static async fromMembers(
    members: readonly { mspId: string; caCertificates: string[]; revocationLists?: string[] }[],
  ): Promise<TrustStore> {
    const store = new TrustStore();
    for (const m of members) {
      store.add(m.mspId, m.caCertificates);
      await store.setRevocationLists(m.mspId, m.revocationLists ?? []);
    }
    return store;
  }

  /**
   * Replaces an MSP's revoked serials with those of its CRLs. A CRL its own CA did not sign is
   * refused, as an MSP would refuse it.
   */
  async setRevocationLists(mspId: string, crls: readonly string[]): Promise<void> {
    const cas = this.cas.get(mspId) ?? [];
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
    this.revoked.set(mspId, serials);
  }

  /** Checked on every request: a revocation takes effect at once, whatever was cached. */
  isRevoked(mspId: string, cert: X509Certificate): boolean {
    return this.revoked.get(mspId)?.has(normalSerial(cert.serialNumber)) ?? false;
  }

  /** Adds an MSP's CA certificates (PEM); a new channel member becomes trusted from then on. */
  add(mspId: string, pems: readonly string[]): void {
    const certs = pems.map((pem) => new X509Certificate(pem));
    for (const cert of certs) {
      if (!cert.ca) throw new Error(`${mspId}: a trust anchor must be a CA certificate`);
    }
    this.cas.set(mspId, [...(this.cas.get(mspId) ?? []), ...certs]);
  }

  mspIds(): string[] {
    return [...this.cas.keys()];
  }

  /** The MSP whose CA issued `leaf` and the chain's validity window, or undefined if no member CA did. */
  chainOf(leaf: X509Certificate): TrustedChain | undefined {
    if (leaf.ca) return undefined;
    for (const [mspId, cas] of this.cas) {
      const window = chainWindow(leaf, cas);
      if (window) return { mspId, ...window };
    }
    return undefined;
  }
}

function chainWindow(leaf: X509Certificate, cas: readonly X509Certificate[]) {
  let notBefore = Date.parse(leaf.validFrom);
  let notAfter = Date.parse(leaf.validTo);
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const issuer = cas.find((ca) => current.checkIssued(ca) && current.verify(ca.publicKey));
    if (!issuer) return undefined;
    notBefore = Math.max(notBefore, Date.parse(issuer.validFrom));
    notAfter = Math.min(notAfter, Date.parse(issuer.validTo));
    if (issuer.checkIssued(issuer) && issuer.verify(issuer.publicKey)) return { notBefore, notAfter };
    current = issuer;
  }
  return undefined;
}

const normalSerial = (hex: string) => hex.toUpperCase().replace(/^0+(?=.)/, '');
