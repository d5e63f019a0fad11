import { REGISTRAR_MAY_ENROL, ROLES } from '@medrec/chaincode/domain';
import { IdentityError, type RegistrationRequest } from '../../ports/identity.js';

const ENROLLMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Attributes only the CA sets: a registration naming one could forge a role or an enrollment id. */
const RESERVED_ATTR = /^(hf\.|role$|hospital$)/;

/** The project's rules for a registration that a CA cannot express itself; both CA adapters apply them. */
export function checkRegistration(request: RegistrationRequest): void {
  if (!ENROLLMENT_ID.test(request.enrollmentId)) {
    throw new IdentityError('INVALID_ARGUMENT', 'an enrollment id is 1-64 letters, digits, ".", "_", "@" or "-"');
  }
  if (!(ROLES as readonly string[]).includes(request.role)) {
    throw new IdentityError('INVALID_ARGUMENT', `role must be one of ${ROLES.join(', ')}`);
  }
  const reserved = Object.keys(request.attrs ?? {}).filter((name) => RESERVED_ATTR.test(name));
  if (reserved.length > 0) throw new IdentityError('INVALID_ARGUMENT', `reserved attributes: ${reserved.join(', ')}`);
  if (request.secret !== undefined && request.secret.length < 8) {
    throw new IdentityError('INVALID_ARGUMENT', 'an enrollment secret has at least 8 characters');
  }
}

/** A registrar hands out end-user roles only; registrars, auditors and admins come from a CA admin. */
export function requireRegistrarMay(registrarRole: string | undefined, role: string): void {
  if (registrarRole === 'registrar' && !(REGISTRAR_MAY_ENROL as readonly string[]).includes(role)) {
    throw new IdentityError('FORBIDDEN', `a registrar may not register the role ${role}`);
  }
}
