import type { IdentityRecord, Role } from '@medrec/chaincode/domain';
import type { Credentials, IdentityPort } from '../ports/identity.js';
import type { LedgerPort } from '../ports/ledger.js';
import type { AccountStore } from './accounts.js';
import { externalIdHash } from './external-id.js';
import { hashPassword } from './passwords.js';
import type { KeySealer } from './sealer.js';

export interface EnrollDeps {
  mspId: string;
  identity: IdentityPort;
  ledger: LedgerPort;
  accounts: AccountStore;
  sealer: KeySealer;
  consortiumKey: string;
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
  txId: string;
  credentials: Credentials;
}

/** Who vouches: `ca` registers at the CA; `ledger` signs Registrar.register ('self' only at bootstrap). */
export interface Enroller {
  ca: Credentials;
  ledger: Credentials | 'self';
}

/**
 * Enrolls a person at the hospital's CA, registers them on the ledger with the keyed hash of their
 * external id, and opens their gateway account with the key sealed under their password.
 */
export async function enrollUser(deps: EnrollDeps, by: Enroller, user: NewUser): Promise<EnrolledUser> {
  const caRegistrar = by.ca;
  const { secret } = await deps.identity.register(caRegistrar, {
    enrollmentId: user.username,
    role: user.role,
  });
  const credentials = await deps.identity.enroll(user.username, secret);
  const ledgerSigner = by.ledger === 'self' ? credentials : by.ledger;
  let record: IdentityRecord;
  let txId: string;
  try {
    const result = await deps.ledger.submit(
      { mspId: deps.mspId, certificate: ledgerSigner.certificate, privateKey: ledgerSigner.privateKey },
      'Registrar',
      'register',
      [externalIdHash(deps.consortiumKey, user.externalIdKind, user.externalId), user.username, user.role],
    );
    record = JSON.parse(Buffer.from(result.result).toString('utf8')) as IdentityRecord;
    txId = result.txId;
  } catch (err) {
    // A certificate must not outlive a failed registration: it would be an identity the ledger never knew.
    await deps.identity.revoke(caRegistrar, user.username, 'ledger registration failed').catch(() => undefined);
    throw err;
  }
  deps.accounts.insert({
    username: user.username,
    passwordHash: await hashPassword(user.password),
    role: user.role,
    enrollmentId: credentials.enrollmentId,
    participantId: record.participantId,
    identityId: record.identityId,
    certificate: credentials.certificate,
    sealedKey: await deps.sealer.seal(credentials.privateKey, user.password),
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
