import type { Role } from '@medrec/chaincode/domain';
import type { Credentials } from '../ports/identity.js';
import type { Signer } from '../ports/ledger.js';
import { enrollUser, type EnrollDeps, type NewUser } from './enroll.js';

/** The hospital's own identity for the gatekeeper's ledger checks; it has no login. */
export const SERVICE_USERNAME = 'records-service';
export const REGISTRAR_USERNAME = 'registrar';

export interface DemoUser extends NewUser {
  /** For the printout: which local patient this person is (patients only). */
  mrn?: string;
}

export interface BootstrapResult {
  created: boolean;
  users: DemoUser[];
}

/**
 * First start of a hospital: a registrar (registered at the CA by the CA admin and on the ledger by
 * itself), the records-service identity (role provider, key sealed under a secret from the data
 * directory), then the demo users, all enrolled through the same path as POST /registrar/users.
 * Later starts find the registrar and change nothing.
 */
export async function bootstrapHospital(
  deps: EnrollDeps,
  caAdmin: Credentials,
  registrarPassword: string,
  serviceSecret: string,
  demoUsers: DemoUser[],
): Promise<BootstrapResult> {
  if (deps.accounts.exists(REGISTRAR_USERNAME)) return { created: false, users: demoUsers };
  const staff = (username: string, role: Role, password: string): NewUser => ({
    username,
    password,
    role,
    externalIdKind: 'staff-id',
    externalId: `${deps.mspId}.${username}`,
  });
  const registrar = await enrollUser(
    deps,
    { ca: caAdmin, ledger: 'self' },
    staff(REGISTRAR_USERNAME, 'registrar', registrarPassword),
  );
  const by = { ca: registrar.credentials, ledger: registrar.credentials };
  await enrollUser(deps, by, staff(SERVICE_USERNAME, 'provider', serviceSecret));
  for (const user of demoUsers) await enrollUser(deps, by, user);
  return { created: true, users: demoUsers };
}

/** The records-service signer, its key unsealed with the hospital's service secret. */
export async function serviceSigner(deps: EnrollDeps, serviceSecret: string): Promise<Signer> {
  const account = deps.accounts.get(SERVICE_USERNAME);
  if (!account) throw new Error(`${deps.mspId} has no ${SERVICE_USERNAME} identity; bootstrap it first`);
  return {
    mspId: deps.mspId,
    certificate: account.certificate,
    privateKey: await deps.sealer.open(account.sealedKey, serviceSecret),
  };
}
