import type { Role } from '@medrec/chaincode/domain';
import type { Credentials } from '../ports/identity.js';
import type { Signer } from '../ports/ledger.js';
import { enrollUser, importUser, type EnrollDeps, type NewUser } from './enroll.js';

/** The hospital's own identity for the gatekeeper's ledger checks; it has no login. */
export const SERVICE_USERNAME = 'records-service';
export const REGISTRAR_USERNAME = 'registrar';

/** Roles a registrar may enroll; the CA lets only its admin create registrars and auditors. */
export const REGISTRAR_ENROLLS: readonly Role[] = ['patient', 'provider', 'viewer', 'researcher'];

export interface DemoUser extends NewUser {
  /** For the printout: which local patient this person is (patients only). */
  mrn?: string;
  /** ... and at the other demo hospital, when they are a patient of both. */
  alsoAt?: { hospital: string; mrn: string };
}

const staff = (mspId: string, username: string, role: Role, password: string): NewUser => ({
  username,
  password,
  role,
  externalIdKind: 'staff-id',
  externalId: `${mspId}.${username}`,
});

/**
 * First start of a hospital: a registrar (registered at the CA by the CA admin, on the ledger by
 * itself), the records-service identity (role provider, key sealed under a secret from the data
 * directory), then the demo users, all through the enrolment path of POST /registrar/users. Each
 * person that already has an account is skipped, so later starts change nothing.
 */
export async function bootstrapHospital(
  deps: EnrollDeps,
  caAdmin: () => Promise<Credentials>,
  secrets: { registrarPassword: string; serviceSecret: string },
  demoUsers: readonly DemoUser[],
  /** Staff identities already enrolled elsewhere (a Fabric network's registrar and records service). */
  provisioned: Partial<Record<string, Credentials>> = {},
): Promise<string[]> {
  const created: string[] = [];
  if (!deps.accounts.exists(REGISTRAR_USERNAME)) {
    const user = staff(deps.mspId, REGISTRAR_USERNAME, 'registrar', secrets.registrarPassword);
    const existing = provisioned[REGISTRAR_USERNAME];
    if (existing) await importUser(deps, existing, 'self', user);
    else await enrollUser(deps, { ca: await caAdmin(), ledger: 'self' }, user);
    created.push(REGISTRAR_USERNAME);
  }
  const account = deps.accounts.get(REGISTRAR_USERNAME)!;
  const registrar: Credentials = {
    mspId: deps.mspId,
    enrollmentId: account.enrollmentId,
    certificate: account.certificate,
    privateKey: await deps.sealer.open(account.sealedKey, secrets.registrarPassword),
  };
  const people = [staff(deps.mspId, SERVICE_USERNAME, 'provider', secrets.serviceSecret), ...demoUsers];
  for (const user of people) {
    if (deps.accounts.exists(user.username)) continue;
    const existing = provisioned[user.username];
    if (existing) {
      await importUser(deps, existing, registrar, user);
      created.push(user.username);
      continue;
    }
    const ca = REGISTRAR_ENROLLS.includes(user.role) ? registrar : await caAdmin();
    await enrollUser(deps, { ca, ledger: registrar }, user);
    created.push(user.username);
  }
  return created;
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
