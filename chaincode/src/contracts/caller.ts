import type { Context } from 'fabric-contract-api';
import { forbidden } from '../domain/errors';
import { commonNameFromClientId, identityId } from '../domain/ids';
import { keys } from '../domain/keys';
import { ROLES, type IdentityRecord, type Role } from '../domain/types';
import type { State } from './state';

export interface CertCaller {
  mspId: string;
  role: Role;
  identityId: string;
}

export interface Caller extends CertCaller {
  record: IdentityRecord;
  participantId: string;
}

/** Who signed the proposal, from the certificate only: roles never come from arguments. */
export function certCaller(ctx: Context): CertCaller {
  const id = ctx.clientIdentity;
  const role = id.getAttributeValue('role');
  if (!role || !(ROLES as readonly string[]).includes(role)) throw forbidden('the certificate carries no known role');
  const enrollmentId = id.getAttributeValue('hf.EnrollmentID') ?? commonNameFromClientId(id.getID());
  if (!enrollmentId) throw forbidden('the certificate names no enrollment id');
  const mspId = id.getMSPID();
  return { mspId, role: role as Role, identityId: identityId(mspId, enrollmentId) };
}

/** The caller must be registered, active, and registered with the role its certificate carries. */
export async function registeredCaller(ctx: Context, state: State, allowed?: readonly Role[]): Promise<Caller> {
  const cert = certCaller(ctx);
  if (allowed && !allowed.includes(cert.role)) throw forbidden(`role ${cert.role} may not call this transaction`);
  const record = await state.get<IdentityRecord>(keys.identity(cert.identityId));
  if (!record) throw forbidden('the caller is not registered');
  if (record.status !== 'active') throw forbidden('the caller identity has been superseded');
  if (record.role !== cert.role) throw forbidden('the certificate role differs from the registered role');
  return { ...cert, record, participantId: record.participantId };
}
