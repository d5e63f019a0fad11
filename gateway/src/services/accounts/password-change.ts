import type { AccountStore } from './accounts.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { KeySealer } from './sealer.js';
import type { LoginThrottle } from './throttle.js';
import { Problem, conflict, unauthorized } from '../problem.js';

/**
 * A person changes their own password: the current one is required (and guessing it is throttled
 * like a login, so a stolen session cannot try passwords at scrypt speed), the private key is
 * unsealed with it and sealed again under the new one, and of concurrent changes exactly one wins.
 */
export class PasswordChange {
  constructor(
    private readonly accounts: AccountStore,
    private readonly sealer: KeySealer,
    private readonly throttle: LoginThrottle,
  ) {}

  async change(username: string, current: string, next: string, address: string): Promise<void> {
    const retryAfter = this.throttle.attempt(username, address);
    if (retryAfter !== undefined) {
      throw new Problem(429, 'TOO_MANY_ATTEMPTS', 'too many wrong passwords; try again later', { retryAfterSeconds: retryAfter });
    }
    const account = this.accounts.get(username);
    if (!account || !(await verifyPassword(current, account.passwordHash))) {
      throw unauthorized('PASSWORD_WRONG', 'the current password is not right');
    }
    this.throttle.succeeded(username, address);
    if (current === next) throw new Problem(400, 'PASSWORD_UNCHANGED', 'the new password is the current one');
    const privateKey = await this.sealer.open(account.sealedKey, current);
    const changed = this.accounts.changePassword(username, account.passwordHash, await hashPassword(next), await this.sealer.seal(privateKey, next));
    if (!changed) throw conflict('CONFLICT', 'the password was changed meanwhile; nothing was changed');
  }
}
