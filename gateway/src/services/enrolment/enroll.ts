import type { IdentityRecord, Role } from '@medrec/chaincode/domain';
import type { MedrecClient } from '../../contract/client.js';
import { Registrar } from '../../contract/medrec.js';
import type { Credentials, IdentityPort } from '../../ports/identity.js';
import { ChaincodeError, type Signer } from '../../ports/ledger.js';
import type { AccountStore } from '../accounts/accounts.js';
import { hashPassword } from '../accounts/passwords.js';
import type { KeySealer } from '../accounts/sealer.js';
import type { ExternalIds } from '../registrar/external-ids.js';
import { opaqueEnrollmentId } from './opaque-id.js';

export interface EnrolmentDeps {
  mspId: string;
  identity: IdentityPort;
  client: MedrecClient;
  accounts: AccountStore;
  sealer: KeySealer;
  /** this hospital's external-id index (it registers its own people under its own key) */
  externalIds: Pick<ExternalIds, 'own'>;
}

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  externalIdKind: string;
  externalId: string;
}

export interface EnrolledUser {
  username: string;
  role: Role;
  enrollmentId: string;
  participantId: string;
  identityId: string;
  txId: string | null;
  credentials: Credentials;
}

/** Who vouches: `ca` registers at the CA; `ledger` signs Registrar.register ('self' only at bootstrap). */
export interface Enroller {
  ca: Credentials;
  ledger: Credentials | 'self';
}

const asSigner = (c: Credentials): Signer => ({ mspId: c.mspId, certificate: c.certificate, privateKey: c.privateKey });

/**
 * Enrolment of the hospital's own staff identities at first start (its registrar, its records
 * service): a certificate from the hospital's CA, a ledger identity registered with the keyed hash
 * of the external id, and a gateway account whose key is sealed under a secret of the data
 * directory. People are enrolled by activation code instead (./activation.ts), so that no one but
 * them ever chooses their password.
 */
export class EnrolmentService {
  constructor(readonly deps: EnrolmentDeps) {}

  get mspId(): string {
    return this.deps.mspId;
  }

  /**
   * Enrolls a person at the hospital's CA, registers them on the ledger with the keyed hash of their
   * external id, and opens their gateway account with the key sealed under their password.
   */
  async enrol(by: Enroller, user: NewUser): Promise<EnrolledUser> {
    const { identity } = this.deps;
    const enrollmentId = opaqueEnrollmentId();
    const { secret } = await identity.register(by.ca, { enrollmentId, role: user.role });
    const credentials = await identity.enroll(enrollmentId, secret);
    try {
      return await this.registerAndOpen(credentials, by.ledger, user);
    } catch (err) {
      // A certificate must not outlive a failed registration: it would be an identity the ledger never knew.
      await identity.revoke(by.ca, enrollmentId, 'ledger registration failed').catch(() => undefined);
      throw err;
    }
  }

  /** Opens an account for an identity enrolled elsewhere (e.g. by the Fabric network's scripts). */
  async importUser(credentials: Credentials, ledgerSigner: Credentials | 'self', user: NewUser): Promise<EnrolledUser> {
    return this.registerAndOpen(credentials, ledgerSigner, user, true);
  }

  /**
   * Registers an enrolled identity on the ledger (keyed hash of the external id only) and opens its
   * gateway account, the key sealed under the password. When `alreadyRegistered` is allowed (identities
   * provisioned with a Fabric network), a CONFLICT for an identity the ledger already knows is accepted.
   */
  private async registerAndOpen(
    credentials: Credentials,
    ledgerSigner: Credentials | 'self',
    user: NewUser,
    alreadyRegistered = false,
  ): Promise<EnrolledUser> {
    const { client, accounts, sealer, externalIds } = this.deps;
    const signer = asSigner(ledgerSigner === 'self' ? credentials : ledgerSigner);
    let record: IdentityRecord;
    let txId: string | null = null;
    try {
      const hash = externalIds.own(user.externalIdKind, user.externalId);
      const result = await client.submit(signer, Registrar.register(hash, credentials.enrollmentId, user.role));
      record = result.value;
      txId = result.txId;
    } catch (err) {
      if (!alreadyRegistered || !(err instanceof ChaincodeError) || err.code !== 'CONFLICT') throw err;
      record = await client.evaluate(asSigner(credentials), Registrar.whoami());
    }
    accounts.insert({
      username: user.username,
      passwordHash: await hashPassword(user.password),
      role: user.role,
      enrollmentId: credentials.enrollmentId,
      participantId: record.participantId,
      identityId: record.identityId,
      certificate: credentials.certificate,
      sealedKey: await sealer.seal(credentials.privateKey, user.password),
      createdAt: new Date().toISOString(),
    });
    return {
      username: user.username,
      role: user.role,
      enrollmentId: credentials.enrollmentId,
      participantId: record.participantId,
      identityId: record.identityId,
      txId,
      credentials,
    };
  }
}
