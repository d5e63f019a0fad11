/**
 * IdentityPort on a hospital's Fabric CA (fabric-ca-client). The CA enforces its own registrar
 * powers (hf.Registrar.Roles / hf.Registrar.Attributes); this adapter adds the project's rules that a
 * CA cannot express: which roles exist, and that a `registrar` hands out only end-user roles.
 */
import { request as httpsRequest } from 'node:https';
import FabricCAServices from 'fabric-ca-client';
import { User } from 'fabric-common';
import { type Credentials, type IdentityPort, type IssuedCertificate, type RegistrationRequest, type Revocation, IdentityError } from '../../../ports/identity.js';
import { checkCsr } from '../../../pki/csr.js';
import { fabricAttributes, splitPem } from '../../../pki/certificate.js';
import { checkRegistration, requireRegistrarMay } from '../registration.js';
import { caErrorCode } from './errors.js';


export interface FabricCaIdentityOptions {
  /** https://host:port of the hospital's Fabric CA. */
  url: string;
  caName: string;
  /** PEM the CA's TLS certificate chains to. */
  tlsRootCert: string;
  mspId: string;
  /** Display name of the organisation: the certificates' `hospital` attribute. */
  hospital: string;
}

export class FabricCaIdentity implements IdentityPort {
  readonly mspId: string;
  private readonly ca: FabricCAServices;

  constructor(private readonly options: FabricCaIdentityOptions) {
    this.mspId = options.mspId;
    this.ca = new FabricCAServices(options.url, { trustedRoots: [options.tlsRootCert], verify: true }, options.caName);
  }

  private user(credentials: Credentials): User {
    if (credentials.mspId !== this.mspId) {
      throw new IdentityError('FORBIDDEN', `the certificate is not issued by the CA of ${this.mspId}`);
    }
    try {
      return User.createUser(credentials.enrollmentId, '', credentials.mspId, credentials.certificate, credentials.privateKey);
    } catch {
      throw new IdentityError('FORBIDDEN', 'the registrar certificate or key cannot be read');
    }
  }

  async register(registrar: Credentials, request: RegistrationRequest): Promise<{ secret: string }> {
    checkRegistration(request);
    const user = this.user(registrar);
    requireRegistrarMay(fabricAttributes(registrar.certificate).role, request.role);
    const attrs = [
      { name: 'role', value: request.role, ecert: true },
      { name: 'hospital', value: this.options.hospital, ecert: true },
      ...Object.entries(request.attrs ?? {}).map(([name, value]) => ({ name, value, ecert: true })),
    ];
    try {
      const secret = await this.ca.register(
        {
          enrollmentID: request.enrollmentId,
          ...(request.secret ? { enrollmentSecret: request.secret } : {}),
          role: 'client',
          affiliation: '',
          maxEnrollments: 1,
          attrs,
        },
        user,
      );
      return { secret };
    } catch (error) {
      throw this.failure(error, request.enrollmentId);
    }
  }

  async enroll(enrollmentId: string, secret: string): Promise<Credentials> {
    try {
      const enrollment = await this.ca.enroll({ enrollmentID: enrollmentId, enrollmentSecret: secret });
      return {
        mspId: this.mspId,
        enrollmentId,
        certificate: enrollment.certificate,
        privateKey: enrollment.key.toBytes(),
      };
    } catch (error) {
      throw this.enrolmentFailure(error, enrollmentId);
    }
  }

  /** Same answer for an unknown id, a wrong or used secret: enrollment ids are not to be probed. */
  private enrolmentFailure(error: unknown, enrollmentId: string): IdentityError {
    const failure = this.failure(error, enrollmentId);
    return failure.code === 'UNAVAILABLE' ? failure : new IdentityError('FORBIDDEN', 'unknown enrollment id or wrong secret');
  }

  /** Fabric CA certifies the request's key as is; the request is checked here first, so a bad one spends no secret. */
  async enrollCsr(enrollmentId: string, secret: string, csr: string): Promise<IssuedCertificate> {
    const checked = await checkCsr(csr, enrollmentId);
    try {
      const enrollment = await this.ca.enroll({ enrollmentID: enrollmentId, enrollmentSecret: secret, csr: checked.pem });
      return { mspId: this.mspId, enrollmentId, certificate: enrollment.certificate };
    } catch (error) {
      throw this.enrolmentFailure(error, enrollmentId);
    }
  }

  /**
   * Revokes at the Fabric CA and asks it for its new CRL in the same request (`gencrl`), which needs
   * no hf.GenCRL attribute: the CRL the hospital admin then puts into the channel configuration.
   */
  async revoke(registrar: Credentials, enrollmentId: string, reason?: string): Promise<Revocation> {
    const user = this.user(registrar);
    let response: { result?: { CRL?: string } } | undefined;
    try {
      // fabric-ca-client forwards `gencrl` (FabricCAServices.revoke) though its typings leave it out.
      const request = { enrollmentID: enrollmentId, gencrl: true, ...(reason ? { reason } : {}) } as Parameters<FabricCAServices['revoke']>[0];
      response = (await this.ca.revoke(request, user)) as typeof response;
    } catch (error) {
      throw this.failure(error, enrollmentId);
    }
    const crl = response?.result?.CRL;
    return crl ? { crl: Buffer.from(crl, 'base64').toString('utf8') } : {};
  }

  /** The CA's certificate chain, from its unauthenticated /cainfo endpoint. */
  async trustAnchors(): Promise<string[]> {
    const url = new URL(`/api/v1/cainfo?ca=${encodeURIComponent(this.options.caName)}`, this.options.url);
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(url, { ca: this.options.tlsRootCert, timeout: 10_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`cainfo answered ${res.statusCode}`))));
      });
      req.on('timeout', () => req.destroy(new Error('cainfo timed out')));
      req.on('error', reject);
      req.end();
    }).catch((error: unknown) => {
      throw new IdentityError('UNAVAILABLE', `the CA is unavailable: ${(error as Error).message}`);
    });
    const chain = Buffer.from((JSON.parse(body) as { result: { CAChain: string } }).result.CAChain, 'base64').toString();
    return splitPem(chain);
  }

  private failure(error: unknown, enrollmentId: string): IdentityError {
    const message = error instanceof Error ? error.message : String(error);
    const code = caErrorCode(message);
    const text = code === 'UNAVAILABLE' ? 'the CA is unavailable' : `the CA refused ${enrollmentId}: ${message.slice(0, 300)}`;
    return new IdentityError(code, text);
  }
}
