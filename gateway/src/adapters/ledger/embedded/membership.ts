/**
 * The channel's membership service (Fabric's MSP, X.509 flavour): which CA certificates vouch for
 * which mspId, and which certificates they have revoked (CRLs, as in an MSP's revocation_list).
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** One organisation of the channel, as its MSP definition in the channel configuration. */
export interface ChannelMember {
  mspId: string;
  /** PEM CA certificates (root and intermediates) that issue this org's identities. */
  caCertificates: string[];
  /** PEM X.509 CRLs signed by one of those CAs. */
  revocationLists?: string[];
}

export type CreatorCheck = { ok: true; publicKey: KeyObject } | { ok: false; reason: string };

interface Org {
  cas: X509Certificate[];
  revoked: Set<string>;
}

interface Parsed {
  cert: X509Certificate;
  issuer: X509Certificate | undefined;
  serial: string;
}

const normalSerial = (hex: string) => hex.toUpperCase().replace(/^0+(?=.)/, '');

async function revokedSerials(member: ChannelMember, cas: X509Certificate[]): Promise<Set<string>> {
  const revoked = new Set<string>();
  for (const pem of member.revocationLists ?? []) {
    const crl = new x509.X509Crl(pem);
    let trusted = false;
    for (const ca of cas) {
      const key = await new x509.X509Certificate(ca.toString()).publicKey.export();
      if (await crl.verify({ publicKey: key })) trusted = true;
    }
    // A CRL not signed by the org's own CA is ignored, as an MSP would refuse it.
    if (!trusted) throw new Error(`revocation list for ${member.mspId} is not signed by its CA`);
    for (const entry of crl.entries) revoked.add(normalSerial(entry.serialNumber));
  }
  return revoked;
}

export class Membership {
  private constructor(private readonly orgs: Map<string, Org>) {}

  private readonly parsed = new Map<string, Parsed>();

  static async create(members: readonly ChannelMember[]): Promise<Membership> {
    const orgs = new Map<string, Org>();
    for (const member of members) {
      const cas = member.caCertificates.map((pem) => new X509Certificate(pem));
      orgs.set(member.mspId, { cas, revoked: await revokedSerials(member, cas) });
    }
    return new Membership(orgs);
  }

  /** What the configuration means — CAs and revoked serials per org — whatever the CRLs' bytes. */
  get fingerprint(): string {
    return JSON.stringify(
      [...this.orgs]
        .map(([mspId, org]) => [mspId, org.cas.map((ca) => ca.fingerprint256).sort(), [...org.revoked].sort()])
        .sort(),
    );
  }

  get mspIds(): string[] {
    return [...this.orgs.keys()];
  }

  /** Is this certificate a valid, unrevoked identity of mspId at time `at`? */
  check(mspId: string, certificatePem: string, at: Date): CreatorCheck {
    const org = this.orgs.get(mspId);
    if (!org) return { ok: false, reason: `${mspId} is not a member of the channel` };
    let parsed = this.parsed.get(mspId + '\n' + certificatePem);
    if (!parsed) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(certificatePem);
      } catch {
        return { ok: false, reason: 'creator certificate cannot be parsed' };
      }
      const issuer = org.cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
      parsed = { cert, issuer, serial: normalSerial(cert.serialNumber) };
      if (this.parsed.size >= 4096) this.parsed.clear();
      this.parsed.set(mspId + '\n' + certificatePem, parsed);
    }
    const { cert, issuer, serial } = parsed;
    if (!issuer) return { ok: false, reason: `creator certificate is not issued by a CA of ${mspId}` };
    if (cert.ca) return { ok: false, reason: 'a CA certificate cannot sign transactions' };
    const time = at.getTime();
    for (const c of [cert, issuer]) {
      if (time < Date.parse(c.validFrom) || time > Date.parse(c.validTo)) {
        return { ok: false, reason: 'creator certificate has expired or is not yet valid' };
      }
    }
    if (org.revoked.has(serial)) return { ok: false, reason: 'creator certificate has been revoked' };
    return { ok: true, publicKey: cert.publicKey };
  }
}
