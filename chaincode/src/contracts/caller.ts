import type { Context } from 'fabric-contract-api';
import { certCaller as fromCertificate, registeredCaller as registered, type Caller, type CertCaller } from '../domain/decision';
import { commonNameFromClientId } from '../domain/ids';
import type { Role } from '../domain/types';
import type { State } from './state';

export type { Caller, CertCaller } from '../domain/decision';

/** Who signed the proposal, from the certificate only: roles never come from arguments. */
export function certCaller(ctx: Context): CertCaller {
  const id = ctx.clientIdentity;
  return fromCertificate({
    mspId: id.getMSPID(),
    role: id.getAttributeValue('role'),
    enrollmentId: id.getAttributeValue('hf.EnrollmentID') ?? commonNameFromClientId(id.getID()),
  });
}

/** The caller must be registered, active, and registered with the role its certificate carries. */
export async function registeredCaller(ctx: Context, state: State, allowed?: readonly Role[]): Promise<Caller> {
  return registered(state, certCaller(ctx), allowed);
}
