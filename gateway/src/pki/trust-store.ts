import { X509Certificate, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ChannelMember } from '../ports/ledger.js';
import { normalSerial, parseCertificate } from './certificate.js';
import { revokedSerials } from './crl.js';

const MAX_CHAIN = 5;
/** Creator certificates whose parse (and per-MSP chain) is kept; least recently used first out. */
const DEFAULT_CACHE_SIZE = 4096;

/** One organisation of the channel as its MSP definition says: CAs, and the serials they revoked. */
interface Msp {
  cas: X509Certificate[];
  revoked: Set<string>;
  /** the CAs that are roots (self-issued, self-signed), checked once when the MSP is loaded */
  roots: Set<X509Certificate>;
}

const isRoot = (ca: X509Certificate) => ca.checkIssued(ca) && ca.verify(ca.publicKey);

export interface TrustedChain {
  mspId: string;
  /** The window in which the certificate and every CA above it are all valid (ms since epoch). */
  notBefore: number;
  notAfter: number;
}

/** Why the channel refuses a certificate: the stable codes the gateway answers with. */
export type CertificateRefusal = 'CERTIFICATE_REVOKED' | 'CERTIFICATE_EXPIRED' | 'CERTIFICATE_UNTRUSTED';

export type CreatorCheck = { ok: true; publicKey: KeyObject } | { ok: false; code: CertificateRefusal; reason: string };

async function loadMsp(member: ChannelMember): Promise<Msp> {
  const cas = member.caCertificates.map((pem) => parseCertificate(pem));
  for (const ca of cas) {
    if (!ca.ca) throw new Error(`${member.mspId}: a trust anchor must be a CA certificate`);
  }
  return { cas, revoked: await revokedSerials(member.mspId, member.revocationLists ?? [], cas), roots: new Set(cas.filter(isRoot)) };
}

/**
 * The channel's membership (Fabric's X.509 MSP): which CA certificates vouch for which mspId and which
 * certificates they revoked (the CRLs of each MSP's revocation_list). Built from the ledger's channel
 * configuration and replaced as configuration blocks commit. Used by the gatekeeper to verify
 * requesters and by the embedded ledger to check proposal creators: one rule, one implementation.
 */
export class TrustStore {
  private msps = new Map<string, Msp>();
  private readonly listeners = new Set<() => void>();
  private changes = 0;
  private readonly issuers: LRUCache<string, { cert: X509Certificate; chain: Map<string, TrustedChain | undefined> }>;

  private constructor(cacheSize: number) {
    // An LRU, as the gatekeeper's certificate cache (RequestVerifier): a population larger than the
    // cache costs a parse for its least recent member, not a cold cache for everyone at once.
    this.issuers = new LRUCache({ max: cacheSize });
  }

  static async fromMembers(members: readonly ChannelMember[], cacheSize = DEFAULT_CACHE_SIZE): Promise<TrustStore> {
    const store = new TrustStore(cacheSize);
    await store.update(members);
    return store;
  }

  /** Replaces the whole membership (a new channel configuration): all or nothing. */
  async update(members: readonly ChannelMember[]): Promise<void> {
    const next = new Map<string, Msp>();
    for (const member of members) next.set(member.mspId, await loadMsp(member));
    this.msps = next;
    this.issuers.clear();
    this.changed();
  }

  /**
   * Replaces one MSP's revoked serials with those of its CRLs. A CRL its own CA did not sign is
   * refused, as an MSP would refuse it.
   */
  async setRevocationLists(mspId: string, crls: readonly string[]): Promise<void> {
    const msp = this.msps.get(mspId);
    const cas = msp?.cas ?? [];
    const revoked = await revokedSerials(mspId, crls, cas);
    this.msps.set(mspId, { cas, revoked, roots: msp?.roots ?? new Set(cas.filter(isRoot)) });
    this.changed();
  }

  /**
   * Calls `listener` after every change of the membership (a new CRL, a CA added or removed), so
   * whatever holds a certificate open (a session, an event stream, a cached chain) checks it again.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Increases with every change: a cache of decisions made against an older membership is stale. */
  get version(): number {
    return this.changes;
  }

  private changed(): void {
    this.changes++;
    for (const listener of [...this.listeners]) listener();
  }

  /** How many parsed creator certificates are kept now. */
  get cachedCertificates(): number {
    return this.issuers.size;
  }

  get mspIds(): string[] {
    return [...this.msps.keys()];
  }

  /** What the membership means — CAs and revoked serials per org — whatever the CRLs' bytes. */
  get fingerprint(): string {
    return JSON.stringify(
      [...this.msps]
        .map(([mspId, msp]) => [mspId, msp.cas.map((ca) => ca.fingerprint256).sort(), [...msp.revoked].sort()])
        .sort(),
    );
  }

  /** Checked on every use: a revocation takes effect at once, whatever was cached. */
  isRevoked(mspId: string, cert: X509Certificate): boolean {
    return this.isRevokedSerial(mspId, normalSerial(cert.serialNumber));
  }

  /** isRevoked for a serial already read (normalSerial): what a cache of certificates keeps. */
  isRevokedSerial(mspId: string, serial: string): boolean {
    return this.msps.get(mspId)?.revoked.has(serial) ?? false;
  }

  /** The MSP whose CA issued `leaf` and the chain's validity window, or undefined if no member CA did. */
  chainOf(leaf: X509Certificate): TrustedChain | undefined {
    if (leaf.ca) return undefined;
    for (const [mspId, msp] of this.msps) {
      const window = chainWindow(leaf, msp);
      if (window) return { mspId, ...window };
    }
    return undefined;
  }

  /** Fabric's creator check: is this certificate a valid, unrevoked identity of mspId at time `at`? */
  check(mspId: string, certificatePem: string, at: Date): CreatorCheck {
    const untrusted = (reason: string): CreatorCheck => ({ ok: false, code: 'CERTIFICATE_UNTRUSTED', reason });
    if (!this.msps.has(mspId)) return untrusted(`${mspId} is not a member of the channel`);
    const known = this.parsed(certificatePem);
    if (!known) return untrusted('creator certificate cannot be parsed');
    let chain = known.chain.get(mspId);
    if (!known.chain.has(mspId)) {
      const window = chainWindow(known.cert, this.msps.get(mspId)!);
      chain = window && { mspId, ...window };
      known.chain.set(mspId, chain);
    }
    if (known.cert.ca) return untrusted('a CA certificate cannot sign transactions');
    if (!chain) return untrusted(`creator certificate is not issued by a CA of ${mspId}`);
    const time = at.getTime();
    if (time < chain.notBefore || time > chain.notAfter) {
      return { ok: false, code: 'CERTIFICATE_EXPIRED', reason: 'creator certificate has expired or is not yet valid' };
    }
    if (this.isRevoked(mspId, known.cert)) return { ok: false, code: 'CERTIFICATE_REVOKED', reason: 'creator certificate has been revoked' };
    return { ok: true, publicKey: known.cert.publicKey };
  }

  private parsed(pem: string) {
    let known = this.issuers.get(pem);
    if (!known) {
      let cert: X509Certificate;
      try {
        cert = parseCertificate(pem);
      } catch {
        return undefined;
      }
      known = { cert, chain: new Map() };
      this.issuers.set(pem, known);
    }
    return known;
  }
}

/** Follows issuers, signature by signature, to a self-signed CA of the MSP; the validity window of the chain. */
function chainWindow(leaf: X509Certificate, { cas, roots }: Msp) {
  let notBefore = Date.parse(leaf.validFrom);
  let notAfter = Date.parse(leaf.validTo);
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const issuer = cas.find((ca) => current.checkIssued(ca) && current.verify(ca.publicKey));
    if (!issuer) return undefined;
    notBefore = Math.max(notBefore, Date.parse(issuer.validFrom));
    notAfter = Math.min(notAfter, Date.parse(issuer.validTo));
    if (roots.has(issuer)) return { notBefore, notAfter };
    current = issuer;
  }
  return undefined;
}
