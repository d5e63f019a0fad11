import { identityId, type Role } from '@medrec/chaincode/domain';
import type { Signer } from '../../ports/ledger.js';
import { SERVICE_USERNAME } from '../enrolment/bootstrap.js';
import { unauthorized } from '../problem.js';
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

/** Password login at the user's home hospital: throttled, constant-time for unknown users, key unsealed. */
export class LoginService {
  constructor(
    private readonly mspId: string,
    private readonly accounts: AccountStore,
    private readonly sealer: KeySealer,
    private readonly throttle: LoginThrottle,
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
