/**
 * Another member hospital's gateway, as a custodial patient's home reaches it for her delegates
 * (docs/privacy.md §3): it inspects and redeems that hospital's delegate codes with a key the home
 * holds, and speaks for a delegate there (device login, device-signed proposals).
 */
import type { LedgerCalls } from './ledger.js';

/** What a code is for, as the providing gateway answers (nothing is used up). */
export interface CodeInfo {
  mspId: string;
  kind: 'home' | 'delegate';
  role: string;
  enrollmentId: string;
}

/** A delegate's enrolment at its providing hospital, as that gateway certified it (no secret). */
export interface DelegateEnrolment {
  mspId: string;
  enrollmentId: string;
  participantId: string;
  identityId: string;
  certificate: string;
  ledger: { channel: string; chaincode: string };
}

/** The other gateway refused (its own problem, passed on with its status and code): nothing was done there. */
export class PeerRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PeerRefusal';
  }
}

/** The other gateway could not be reached, or did not answer (timeout, 5xx): whatever was sent may or may not have happened. */
export class PeerUnreachable extends Error {
  constructor(
    readonly mspId: string,
    message: string,
  ) {
    super(message);
    this.name = 'PeerUnreachable';
  }
}

export interface PeerGateway {
  inspect(code: string): Promise<CodeInfo>;
  /** Redeems the code with a CSR of `privateKeyPem` whose CN is the code's enrollment id. */
  redeem(code: string, enrollmentId: string, privateKeyPem: string): Promise<DelegateEnrolment>;
  /** The certificate that gateway issued for this key (proof of possession), for a redemption whose answer was lost. */
  recover(privateKeyPem: string): Promise<DelegateEnrolment>;
  /** Typed chaincode calls signed by the delegate at that gateway. */
  ledger(delegate: DelegateEnrolment, privateKeyPem: string): LedgerCalls;
}

/** Each member's gateway, by the origin of its endpoint in the ledger's gatekeeper directory. */
export type PeerGateways = (mspId: string, origin: string) => PeerGateway;
