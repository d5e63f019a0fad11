import type { IdentityRecord, Role } from '@medrec/chaincode/domain';
import type { Credentials, IdentityPort } from '../ports/identity.js';
import { ChaincodeError, type LedgerPort, type Signer } from '../ports/ledger.js';
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
  txId: string | null;
  credentials: Credentials;
}

/** Who vouches: `ca` registers at the CA; `ledger` signs Registrar.register ('self' only at bootstrap). */
export interface Enroller {
  ca: Credentials;
  ledger: Credentials | 'self';
}

const asSigner = (c: Credentials): Signer => ({ mspId: c.mspId, certificate: c.certificate, privateKey: c.privateKey });
const parse = <T>(bytes: Uint8Array): T => JSON.parse(Buffer.from(bytes).toString('utf8')) as T;

/**
 * Registers an enrolled identity on the ledger (keyed hash of the external id only) and opens its
 * gateway account, the key sealed under the password. When `alreadyRegistered` is allowed (identities
 * provisioned with a Fabric network), a CONFLICT for an identity the ledger already knows is accepted.
 */
async function registerAndOpen(
  deps: EnrollDeps,
  credentials: Credentials,
  ledgerSigner: Credentials | 'self',
  user: NewUser,
  alreadyRegistered = false,
): Promise<EnrolledUser> {
  const signer = asSigner(ledgerSigner === 'self' ? credentials : ledgerSigner);
  let record: IdentityRecord;
  let txId: string | null = null;
  try {
    const result = await deps.ledger.submit(signer, 'Registrar', 'register', [
      externalIdHash(deps.consortiumKey, user.externalIdKind, user.externalId),
      credentials.enrollmentId,
      user.role,
    ]);
    record = parse<IdentityRecord>(result.result);
    txId = result.txId;
  } catch (err) {
    if (!alreadyRegistered || !(err instanceof ChaincodeError) || err.code !== 'CONFLICT') throw err;
    record = parse<IdentityRecord>(await deps.ledger.evaluate(asSigner(credentials), 'Registrar', 'whoami', []));
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

/**
 * Enrolls a person at the hospital's CA, registers them on the ledger with the keyed hash of their
 * external id, and opens their gateway account with the key sealed under their password.
 */
export async function enrollUser(deps: EnrollDeps, by: Enroller, user: NewUser): Promise<EnrolledUser> {
  const { secret } = await deps.identity.register(by.ca, { enrollmentId: user.username, role: user.role });
  const credentials = await deps.identity.enroll(user.username, secret);
  try {
    return await registerAndOpen(deps, credentials, by.ledger, user);
  } catch (err) {
    // A certificate must not outlive a failed registration: it would be an identity the ledger never knew.
    await deps.identity.revoke(by.ca, user.username, 'ledger registration failed').catch(() => undefined);
    throw err;
  }
}

/** Opens an account for an identity enrolled elsewhere (e.g. by the Fabric network's scripts). */
export async function importUser(
  deps: EnrollDeps,
  credentials: Credentials,
  ledgerSigner: Credentials | 'self',
  user: NewUser,
): Promise<EnrolledUser> {
  return registerAndOpen(deps, credentials, ledgerSigner, user, true);
}
