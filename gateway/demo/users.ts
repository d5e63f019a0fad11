import type { ProvisionedUser as DemoUser } from '../src/services/enrolment/bootstrap.js';
import { DEFAULT_PATIENTS, demoPatients } from './seed/population.js';

/**
 * The people `npm start` creates on a demo hospital's first start. Passwords are demo passwords,
 * printed at start; patients are synthetic people of the seeded EHR (their external id is the
 * seeder's invented national id, of which the ledger only ever sees the keyed hash).
 */
export function demoUsersFor(demoSeed: string, population = DEFAULT_PATIENTS): DemoUser[] {
  const n = demoSeed.replace(/\D/g, '') || '0';
  const patients = demoPatients(demoSeed, { patients: population });
  // Hospital 1's demo patient is also treated at hospital 2, so a cross-hospital relationship makes sense.
  const shared = patients.find((p) => p.alsoAt) ?? patients[0]!;
  const local = patients.find((p) => !p.alsoAt) ?? patients[0]!;
  const staff = (username: string, role: DemoUser['role']): DemoUser => ({
    username,
    password: `${username}-demo-pass`,
    role,
    externalIdKind: 'staff-id',
    externalId: `H${n}.${username}`,
  });
  const patient = (username: string, p: typeof shared): DemoUser => ({
    username,
    password: `${username}-demo-pass`,
    role: 'patient',
    externalIdKind: 'national-id',
    externalId: p.externalId,
    mrn: p.mrn,
    ...(p.alsoAt ? { alsoAt: p.alsoAt } : {}),
  });
  if (n === '1') {
    return [patient('alice', shared), patient('bob', local), staff('dr-ada', 'provider'), staff('victor', 'viewer'), staff('audra', 'auditor'), staff('rhea', 'researcher'), staff('stu', 'researcher')];
  }
  // Hospital 3 (the one fabric:add-hospital adds) has people of its own; its first patients are also Hospital 2's.
  if (n === '3') return [patient('erin', shared), staff('dr-hale', 'provider'), staff('walt', 'viewer'), staff('olga', 'auditor')];
  return [patient('carol', local), staff('dr-grey', 'provider'), staff('wendy', 'viewer'), staff('otto', 'auditor'), staff('sam', 'researcher')];
}
