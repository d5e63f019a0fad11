/** The gateway's view of a hospital's certificate authority: the embedded CA or a Fabric CA. */

/** A certificate the CA issued for an identity, PEM. */
export interface IssuedCertificate {
  mspId: string;
  enrollmentId: string;
  certificate: string;
}

/** An enrolled identity: certificate and private key, PEM. */
export interface Credentials extends IssuedCertificate {
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
  /**
   * Exchanges an enrollment secret for a certificate of the key in a PEM PKCS#10 request made
   * elsewhere (a person's device): the private key never reaches the gateway. A request that is
   * unparsable, not self-signed, not P-256 or not for `enrollmentId` is INVALID_ARGUMENT.
   */
  enrollCsr(enrollmentId: string, secret: string, csr: string): Promise<IssuedCertificate>;
  /**
   * Revokes all certificates of an identity at the CA and answers the CA's new CRL (PEM). The peers
   * and gatekeepers refuse the certificates once that CRL is in the organisation's MSP definition
   * of the channel configuration: the embedded CA puts it there itself (a configuration block of the
   * embedded ledger); on Fabric the hospital admin's channel update does (network/channel-admin's
   * pushCrl, or network/push-crl.sh).
   */
  revoke(registrar: Credentials, enrollmentId: string, reason?: string): Promise<Revocation>;
  /** PEM certificates a peer or gatekeeper trusts for this org (root, then intermediates). */
  trustAnchors(): Promise<string[]>;
}

export interface Revocation {
  /** The CA's CRL after the revocation, PEM; absent when the CA revoked nothing new (already revoked). */
  crl?: string;
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
