import type { MedrecClient } from '../../contract/client.js';
import { Registrar } from '../../contract/medrec.js';
import type { Credentials, IdentityPort } from '../../ports/identity.js';
import type { Signer } from '../../ports/ledger.js';
import type { Account, AccountStore } from '../accounts/accounts.js';
import type { KeySealer } from '../accounts/sealer.js';
import { SERVICE_USERNAME, staffExternalId } from '../enrolment/bootstrap.js';
import type { ActivationService, IssuedActivation } from '../enrolment/activation.js';
import type { ExternalIds } from '../registrar/external-ids.js';
import { conflict, notFound } from '../problem.js';
import { opaqueEnrollmentId } from '../enrolment/opaque-id.js';

/** The roles a hospital admin hands out (a registrar cannot: registrars and auditors are the CA admin's). */
export const STAFF_ROLES = ['registrar', 'provider', 'auditor', 'researcher'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** Whose accounts an admin may disable or revoke: staff and other admins, never the records service. */
const MANAGED_ROLES: readonly string[] = [...STAFF_ROLES, 'admin'];

/**
 * How a CA revocation reached the channel: `updated` when the channel configuration already carries
 * the new CRL (the embedded CA publishes it itself before revoke() returns), `pending` when the
 * hospital's channel admin must still put it there (Fabric: `npm run fabric:push-crl -- <Hospital>`).
 */
export type ChannelUpdate = { channel: 'updated' } | { channel: 'pending'; crl: string };

export interface StaffAdminDeps {
  mspId: string;
  identity: IdentityPort;
  client: MedrecClient;
  accounts: AccountStore;
  sealer: KeySealer;
  activations: ActivationService;
  externalIds: Pick<ExternalIds, 'own' | 'ownEntry'>;
  /** The CA admin (registers registrars and auditors, revokes anyone of the CA). */
  caAdmin: () => Promise<Credentials>;
  /** The hospital's registrar: signs the ledger registrations (only a registrar may). */
  registrar: () => Promise<Credentials>;
  /** What follows a revocation at the CA so that it reaches the channel (see ChannelUpdate). */
  publishCrl: (crl: string | undefined) => Promise<ChannelUpdate>;
  /** The records service's secret: its key is sealed under it. */
  serviceSecret: string;
  /** The records-service signer every gatekeeper holds; a rotation replaces its certificate and key in place. */
  service: Signer;
}

export interface StaffMember {
  username: string;
  role: string;
  enrollmentId: string;
  participantId: string;
  createdAt: string;
  disabledAt: string | null;
}

const member = (a: Account): StaffMember => ({
  username: a.username,
  role: a.role,
  enrollmentId: a.enrollmentId,
  participantId: a.participantId,
  createdAt: a.createdAt,
  disabledAt: a.disabledAt ?? null,
});

/**
 * A hospital admin's work on its own staff: add a person (CA registration by the CA admin, ledger
 * registration by the registrar, a one-time activation code for the person, who chooses their own
 * password), disable and re-enable an account (reversible, gateway only: no login, no session),
 * revoke a certificate (irreversible, at the CA; the CRL reaches the channel so that peers and every
 * gatekeeper refuse it), and rotate the records-service identity (a new certificate re-mapped to the
 * same participant, the old one revoked).
 */
export class StaffAdministration {
  constructor(private readonly deps: StaffAdminDeps) {}

  async add(request: { username?: string; role: StaffRole; externalIdKind: string; externalId: string }): Promise<IssuedActivation> {
    const { activations, caAdmin, registrar } = this.deps;
    return activations.issue({ ca: await caAdmin(), ledger: await registrar() }, request);
  }

  list(): StaffMember[] {
    return this.deps.accounts.withRoles(MANAGED_ROLES).filter((a) => a.username !== SERVICE_USERNAME).map(member);
  }

  /** Disables (true) or re-enables (false) a staff account; answers it as it is now. */
  setDisabled(username: string, disabled: boolean, by: string): StaffMember {
    const account = this.managed(username, by);
    if (disabled !== Boolean(account.disabledAt)) this.deps.accounts.setDisabled(username, disabled ? new Date().toISOString() : null);
    return member(this.deps.accounts.get(username)!);
  }

  /** Revokes every certificate of a staff member at the CA and carries the new CRL to the channel. */
  async revoke(username: string, by: string, reason: string): Promise<ChannelUpdate> {
    const account = this.managed(username, by);
    const { crl } = await this.deps.identity.revoke(await this.deps.caAdmin(), account.enrollmentId, reason);
    return this.deps.publishCrl(crl);
  }

  /**
   * A new records-service certificate: enrolled at the CA, re-mapped on the ledger to the same
   * participant (Registrar.remap supersedes the old identity), sealed into the account, swapped into
   * the gatekeepers' signer, and then the old certificate is revoked.
   */
  async rotateService(): Promise<{ enrollmentId: string; identityId: string; revoked: string } & ChannelUpdate> {
    const { identity, client, accounts, sealer, mspId, externalIds, serviceSecret, service } = this.deps;
    const old = accounts.get(SERVICE_USERNAME);
    if (!old) throw notFound('STAFF_UNKNOWN', `${mspId} has no records service`);
    const ca = await this.deps.caAdmin();
    const enrollmentId = opaqueEnrollmentId();
    const { secret } = await identity.register(ca, { enrollmentId, role: 'provider' });
    const fresh = await identity.enroll(enrollmentId, secret);
    let record;
    try {
      const registrar = await this.deps.registrar();
      // Under whichever index key holds it now (a key rotation may not have moved it yet).
      const entry = await externalIds.ownEntry({ ledger: registrar }, 'staff-id', staffExternalId(mspId, SERVICE_USERNAME));
      record = (await client.submit(registrar, Registrar.remap(entry?.hash ?? externalIds.own('staff-id', staffExternalId(mspId, SERVICE_USERNAME)), enrollmentId))).value;
    } catch (err) {
      // The old identity still serves: the unused new certificate must not outlive the failure.
      await identity.revoke(ca, enrollmentId, 'superseded').catch(() => undefined);
      throw err;
    }
    accounts.replaceCredentials(SERVICE_USERNAME, {
      enrollmentId,
      identityId: record.identityId,
      certificate: fresh.certificate,
      sealedKey: await sealer.seal(fresh.privateKey, serviceSecret),
    });
    // Every holder of the signer (gatekeeper decisions, audit anchors) signs with the new key from its next call.
    Object.assign(service, { certificate: fresh.certificate, privateKey: fresh.privateKey });
    const { crl } = await identity.revoke(ca, old.enrollmentId, 'superseded');
    return { enrollmentId, identityId: record.identityId, revoked: old.enrollmentId, ...(await this.deps.publishCrl(crl)) };
  }

  private managed(username: string, by: string): Account {
    const account = this.deps.accounts.get(username);
    if (!account || username === SERVICE_USERNAME || !MANAGED_ROLES.includes(account.role)) throw notFound('STAFF_UNKNOWN', 'no staff account of that name');
    if (username === by) throw conflict('SELF_ADMINISTRATION', 'an admin may not disable or revoke their own account');
    return account;
  }
}
