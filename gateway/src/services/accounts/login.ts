import { identityId, type Role } from '@medrec/chaincode/domain';
import type { TrustStore } from '../../pki/trust-store.js';
import type { Creator, Signer } from '../../ports/ledger.js';
import { SERVICE_USERNAME } from '../enrolment/bootstrap.js';
import { forbidden, unauthorized, type Problem } from '../problem.js';
import type { AccountStore } from './accounts.js';
import { verifyPassword } from './passwords.js';
import type { KeySealer } from './sealer.js';
import type { LoginThrottle } from './throttle.js';

/** Who a session belongs to (docs/DESIGN.md "Gateway internals"). */
export interface SessionUser {
  sub: string;
  mspId: string;
  enrollmentId: string;
  role: Role;
  participantId: string;
  identityId: string;
}

export type LoginResult = { user: SessionUser; signer: Signer } | { retryAfterSeconds: number };

// Compared against when the username is unknown, so both failures take the same time.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/**
 * Why the channel no longer accepts this signer's certificate (revoked at its CA, expired, its CA
 * gone from the channel), as the problem to answer; undefined while it is valid. Sessions, logins
 * and event streams ask it, so a revocation stops all of them from the next request on.
 */
export function certificateProblem(trust: TrustStore, signer: Creator, at = new Date()): Problem | undefined {
  const check = trust.check(signer.mspId, signer.certificate, at);
  return check.ok ? undefined : forbidden(check.code, `the channel no longer accepts your certificate: ${check.reason}`);
}

/** A hospital admin disabled the account: answered (after the password) at login and on every request of its sessions. */
export const accountDisabled = () => forbidden('ACCOUNT_DISABLED', 'a hospital admin has disabled this account');

/** Password login at the user's home hospital: throttled, constant-time for unknown users, key unsealed. */
export class LoginService {
  constructor(
    private readonly mspId: string,
    private readonly accounts: AccountStore,
    private readonly sealer: KeySealer,
    private readonly throttle: LoginThrottle,
    /** Why the channel refuses a signer's certificate now (certificateProblem over the live trust). */
    private readonly refusal: (signer: Creator) => Problem | undefined,
  ) {}

  /** Throws LOGIN_FAILED (401); answers retryAfterSeconds while the username or address is locked. */
  async login(username: string, password: string, address: string): Promise<LoginResult> {
    // Before any scrypt work, so a locked username or a guessing address costs no CPU.
    const retryAfter = this.throttle.attempt(username, address);
    if (retryAfter !== undefined) return { retryAfterSeconds: retryAfter };
    // The records service signs only for the gatekeeper; it never holds a session.
    const account = username === SERVICE_USERNAME ? undefined : this.accounts.get(username);
    const passwordOk = await verifyPassword(password, account?.passwordHash ?? DUMMY_HASH);
    if (!account || !passwordOk) throw unauthorized('LOGIN_FAILED', 'unknown user or wrong password');
    this.throttle.succeeded(username, address);
    if (account.disabledAt) throw accountDisabled();
    // Checked after the password, so a guesser learns nothing about the certificate's state.
    const refused = this.refusal({ mspId: this.mspId, certificate: account.certificate });
    if (refused) throw refused;
    const privateKey = await this.sealer.open(account.sealedKey, password);
    const user: SessionUser = {
      sub: account.username,
      mspId: this.mspId,
      enrollmentId: account.enrollmentId,
      role: account.role as Role,
      participantId: account.participantId,
      identityId: account.identityId || identityId(this.mspId, account.enrollmentId),
    };
    return { user, signer: { mspId: this.mspId, certificate: account.certificate, privateKey } };
  }
}
