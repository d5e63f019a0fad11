import { REGISTRAR_MAY_ENROL, type Role } from '@medrec/chaincode/domain';
import { rmSync, writeFileSync } from 'node:fs';
import type { Credentials } from '../../ports/identity.js';
import type { AccountStore } from '../accounts/accounts.js';
import type { Signer } from '../../ports/ledger.js';
import type { ActivationService } from './activation.js';
import type { EnrolmentService, NewUser } from './enroll.js';

/** The hospital's own identity for the gatekeeper's ledger checks; it has no login. */
export const SERVICE_USERNAME = 'records-service';
export const REGISTRAR_USERNAME = 'registrar';

/** A person to create on a hospital's first start (the demo's users, injected by the entry point). */
export interface ProvisionedUser extends NewUser {
  /** For the printout: which local patient this person is (patients only). */
  mrn?: string;
  /** ... and at the other demo hospital, when they are a patient of both. */
  alsoAt?: { hospital: string; mrn: string };
}

/** A staff identity's external id (kind `staff-id`): the hospital's own name for it. */
export const staffExternalId = (mspId: string, username: string) => `${mspId}.${username}`;

const staff = (mspId: string, username: string, role: Role, password: string): NewUser => ({
  username,
  password,
  role,
  externalIdKind: 'staff-id',
  externalId: staffExternalId(mspId, username),
});

/** The hospital's registrar, its key unsealed with the registrar's password. */
export async function registrarCredentials(enrolment: EnrolmentService, registrarPassword: string): Promise<Credentials> {
  const { accounts, sealer, mspId } = enrolment.deps;
  const account = accounts.get(REGISTRAR_USERNAME);
  if (!account) throw new Error(`${mspId} has no ${REGISTRAR_USERNAME} identity; bootstrap it first`);
  return { mspId, enrollmentId: account.enrollmentId, certificate: account.certificate, privateKey: await sealer.open(account.sealedKey, registrarPassword) };
}

/**
 * First start of a hospital: a registrar (registered at the CA by the CA admin, on the ledger by
 * itself) and the records-service identity (role provider, key sealed under a secret from the data
 * directory) are staff enrolments; then the given people go through the product's own activation
 * path — the registrar (the CA admin for roles a registrar may not hand out) issues a code and the
 * code is redeemed with the person's password, as a person would redeem it. Each person that
 * already has an account is skipped, so later starts change nothing.
 */
export async function bootstrapHospital(
  enrolment: EnrolmentService,
  activations: ActivationService,
  caAdmin: () => Promise<Credentials>,
  secrets: { registrarPassword: string; serviceSecret: string; adminCodeFile?: string },
  users: readonly ProvisionedUser[],
  /** Staff identities already enrolled elsewhere (a Fabric network's registrar and records service). */
  provisioned: Partial<Record<string, Credentials>> = {},
): Promise<string[]> {
  const { accounts, mspId } = enrolment.deps;
  const created: string[] = [];
  if (!accounts.exists(REGISTRAR_USERNAME)) {
    const user = staff(mspId, REGISTRAR_USERNAME, 'registrar', secrets.registrarPassword);
    const existing = provisioned[REGISTRAR_USERNAME];
    if (existing) await enrolment.importUser(existing, 'self', user);
    else await enrolment.enrol({ ca: await caAdmin(), ledger: 'self' }, user);
    created.push(REGISTRAR_USERNAME);
  }
  const registrar = await registrarCredentials(enrolment, secrets.registrarPassword);
  const service = staff(mspId, SERVICE_USERNAME, 'provider', secrets.serviceSecret);
  if (!accounts.exists(SERVICE_USERNAME)) {
    const existing = provisioned[SERVICE_USERNAME];
    if (existing) await enrolment.importUser(existing, registrar, service);
    else await enrolment.enrol({ ca: registrar, ledger: registrar }, service);
    created.push(SERVICE_USERNAME);
  }
  for (const user of users) {
    if (accounts.exists(user.username)) continue;
    const existing = provisioned[user.username];
    if (existing) {
      await enrolment.importUser(existing, registrar, user);
      created.push(user.username);
      continue;
    }
    const ca = REGISTRAR_MAY_ENROL.includes(user.role) ? registrar : await caAdmin();
    const { username, role, externalIdKind, externalId } = user;
    const { code } = await activations.issue({ ca, ledger: registrar }, { username, role, externalIdKind, externalId });
    await activations.redeem(code, user.password);
    created.push(user.username);
  }
  if (secrets.adminCodeFile) await firstAdmin(activations, accounts, { ca: await caAdmin(), ledger: registrar }, mspId, secrets.adminCodeFile);
  return created;
}

export const FIRST_ADMIN_USERNAME = 'hospital-admin';

/**
 * The hospital's first admin, at first start: vouched for by the CA admin and the registrar like any
 * staff member, and its one-time activation code written to a 0600 file of the data directory for
 * the person who installs the hospital; they redeem it (POST /device/activations/redeem) with a
 * password of their own. Once an admin account exists the file is removed: the code is spent.
 */
async function firstAdmin(
  activations: ActivationService,
  accounts: AccountStore,
  by: { ca: Credentials; ledger: Credentials },
  mspId: string,
  file: string,
): Promise<void> {
  if (accounts.withRoles(['admin']).length > 0) {
    rmSync(file, { force: true });
    return;
  }
  if (activations.issuedTo(FIRST_ADMIN_USERNAME)) return;
  const issued = await activations.issue(by, {
    username: FIRST_ADMIN_USERNAME,
    role: 'admin',
    externalIdKind: 'staff-id',
    externalId: staffExternalId(mspId, FIRST_ADMIN_USERNAME),
  });
  writeFileSync(file, `${JSON.stringify({ username: issued.username, code: issued.code, expiresAt: issued.expiresAt })}\n`, { mode: 0o600, flag: 'wx' });
}

/** The records-service signer, its key unsealed with the hospital's service secret. */
export async function serviceSigner(enrolment: EnrolmentService, serviceSecret: string): Promise<Signer> {
  const { accounts, sealer, mspId } = enrolment.deps;
  const account = accounts.get(SERVICE_USERNAME);
  if (!account) throw new Error(`${mspId} has no ${SERVICE_USERNAME} identity; bootstrap it first`);
  return { mspId, certificate: account.certificate, privateKey: await sealer.open(account.sealedKey, serviceSecret) };
}
