/** The gateway's view of a hospital's certificate authority: the embedded CA or a Fabric CA. */

/** An enrolled identity: certificate and private key, PEM. */
export interface Credentials {
  mspId: string;
  enrollmentId: string;
  certificate: string;
  privateKey: string;
}

export interface RegistrationRequest {
  enrollmentId: string;
  /** Becomes the certificate attribute `role` (see docs/DESIGN.md). */
  role: string;
  /** One-time enrollment secret; generated when absent. */
  secret?: string;
  /** More Fabric-CA-style attributes to put in the certificate. */
  attrs?: Record<string, string>;
}

export interface IdentityPort {
  readonly mspId: string;
  /** Registers an identity; the caller must hold a registrar (or CA admin) certificate of this CA. */
  register(registrar: Credentials, request: RegistrationRequest): Promise<{ secret: string }>;
  /** Exchanges an enrollment secret for a fresh key pair and certificate carrying the attributes. */
  enroll(enrollmentId: string, secret: string): Promise<Credentials>;
  /** Revokes all certificates of an identity; they are refused from then on. */
  revoke(registrar: Credentials, enrollmentId: string, reason?: string): Promise<void>;
  /** PEM certificates a peer or gatekeeper trusts for this org (root, then intermediates). */
  trustAnchors(): Promise<string[]>;
}

export class IdentityError extends Error {
  constructor(
    readonly code: 'FORBIDDEN' | 'CONFLICT' | 'NOT_FOUND' | 'INVALID_ARGUMENT' | 'UNAVAILABLE',
    message: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}
