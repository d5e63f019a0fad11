import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddedCa } from '../adapters/identity/embedded/index.js';
import { FabricCaIdentity } from '../adapters/identity/fabric-ca/ca.js';
import type { ScryptCost } from '../pki/vault.js';
import type { Credentials, IdentityPort } from '../ports/identity.js';
import type { ChannelMember } from '../ports/ledger.js';
import type { ChannelUpdate } from '../services/admin/staff.js';
import type { AccountStore } from '../services/accounts/accounts.js';
import type { KeySealer } from '../services/accounts/sealer.js';
import { unavailable } from '../services/problem.js';
import { ConfigError, type HospitalConfig } from './config.js';
import { persistentSecret } from './secrets.js';

/** One hospital's identity port and what the rest of the system needs from its CA. */
export interface HospitalCa {
  config: HospitalConfig;
  identity: IdentityPort & { close?(): void | Promise<void> };
  /**
   * The CA admin's credentials (registers registrars, auditors and admins; revokes). A Fabric gateway
   * started without them (plain `fabric:up`: never the CA admin's key) rejects with 503
   * `CA_ADMIN_UNAVAILABLE`, and `hasCaAdmin` is false so that nothing asks for them at start.
   */
  caAdmin: (accounts: AccountStore, sealer: KeySealer) => Promise<Credentials>;
  hasCaAdmin: boolean;
  /** This organisation as a channel member, for the embedded ledger's configuration. */
  member: () => Promise<ChannelMember>;
  /** The embedded TLS CA's root (system/tls.ts), listed in this member's entry of the embedded channel. */
  tlsRoot?: string;
  /** Staff identities enrolled by the network's own scripts (Fabric): imported, not enrolled again. */
  provisioned: Record<string, Credentials>;
  /** After a revocation at the CA: how its CRL reaches the channel (see ChannelUpdate). */
  publishCrl: (crl: string | undefined) => Promise<ChannelUpdate>;
  /** Runs after every revocation at the CA (the embedded CA publishes its new CRL to the channel). */
  onRevoke?: (listener: () => Promise<void>) => void;
}

async function openEmbeddedIdentity(hospital: HospitalConfig, sealCost?: ScryptCost): Promise<HospitalCa> {
  const adminSecret = persistentSecret(join(hospital.dataDir, 'ca-admin.secret'));
  const ca = await EmbeddedCa.open({
    dataDir: join(hospital.dataDir, 'ca'),
    mspId: hospital.mspId,
    hospital: hospital.name,
    passphrase: persistentSecret(join(hospital.dataDir, 'ca.passphrase')),
    bootstrapAdmin: { enrollmentId: 'admin', secret: adminSecret },
    ...(sealCost ? { sealCost } : {}),
  });
  const part: HospitalCa = {
    config: hospital,
    identity: ca,
    member: async () => ({ ...(await ca.channelMember()), ...(part.tlsRoot ? { tlsRootCertificates: [part.tlsRoot] } : {}) }),
    provisioned: {},
    hasCaAdmin: true,
    onRevoke: (listener) => ca.onRevoke(listener),
    // revoke() resolves after the embedded ledger committed the CA's new CRL (its onRevoke listener).
    publishCrl: async () => ({ channel: 'updated' }),
    // The admin's secret is one-time: enroll once, then keep the credentials sealed under it.
    caAdmin: async (accounts, keys) => {
      const stored = accounts.getCredential('ca-admin');
      if (stored) {
        const privateKey = await keys.open(stored.sealedKey, adminSecret);
        return { mspId: hospital.mspId, enrollmentId: stored.enrollmentId, certificate: stored.certificate, privateKey };
      }
      const admin = await ca.enroll('admin', adminSecret);
      accounts.putCredential('ca-admin', admin.enrollmentId, admin.certificate, await keys.seal(admin.privateKey, adminSecret));
      return admin;
    },
  };
  return part;
}

function openFabricCaIdentity(hospital: HospitalConfig): HospitalCa {
  if (hospital.identity.adapter !== 'fabric-ca') throw new ConfigError(`${hospital.mspId}: not a fabric-ca hospital`);
  const options = hospital.identity.options;
  const ca = new FabricCaIdentity({
    url: options.url,
    caName: options.caName,
    tlsRootCert: readFileSync(options.tlsRootCertFile, 'utf8'),
    mspId: hospital.mspId,
    hospital: hospital.name,
  });
  const provisioned = Object.fromEntries(
    Object.entries(options.staff ?? {}).map(([name, files]) => [
      name,
      {
        mspId: hospital.mspId,
        enrollmentId: name,
        certificate: readFileSync(files.certificateFile, 'utf8'),
        privateKey: readFileSync(files.privateKeyFile, 'utf8'),
      },
    ]),
  );
  return {
    config: hospital,
    identity: ca,
    member: async () => ({ mspId: hospital.mspId, caCertificates: await ca.trustAnchors() }),
    provisioned,
    hasCaAdmin: Boolean(provisioned['ca-admin']),
    // A Fabric channel update needs the hospital's channel admin: network/push-crl.sh (or @medrec/channel-admin's pushCrl).
    publishCrl: async (crl) => (crl ? { channel: 'pending', crl } : { channel: 'updated' }),
    caAdmin: async () => {
      const admin = provisioned['ca-admin'];
      if (!admin) {
        throw unavailable('CA_ADMIN_UNAVAILABLE', `${hospital.mspId}'s gateway holds no CA admin identity: staff administration is done at the hospital's CA`);
      }
      return admin;
    },
  };
}

/** The identity port factory: the adapter is chosen by name in the configuration. */
export async function openIdentity(hospital: HospitalConfig, sealCost?: ScryptCost): Promise<HospitalCa> {
  return hospital.identity.adapter === 'fabric-ca' ? openFabricCaIdentity(hospital) : openEmbeddedIdentity(hospital, sealCost);
}
