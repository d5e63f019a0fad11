import { ChaincodeError, TransactionInvalidError } from '../../ports/ledger.js';

/** Fabric's validation codes for a transaction another one beat at commit: it wrote nothing. */
const COMMIT_CONFLICTS = new Set(['MVCC_READ_CONFLICT', 'PHANTOM_READ_CONFLICT']);

/** A concurrent transaction changed what this one read: it wrote nothing and may be run again on the new state. */
export function isCommitConflict(err: unknown): err is TransactionInvalidError {
  return err instanceof TransactionInvalidError && COMMIT_CONFLICTS.has(err.validationCode);
}

export interface Settle<T> {
  /** The outcome if the ledger already holds what was asked (an identical grant, an accepted relationship). */
  current: () => Promise<T | undefined>;
  submit: () => Promise<T>;
  /** Look before the first submit too (else only after a conflict): for requests that set a state. */
  checkFirst?: boolean;
  attempts?: number;
}

/**
 * Runs an idempotent change so that ordinary races settle instead of failing: if the ledger already
 * holds the requested state the current state is the answer (no new transaction); a commit conflict
 * is run again on the new state, a bounded number of times; the chaincode's own CONFLICT ("already
 * accepted") is answered with the current state when that is what was asked, else passed on (409).
 */
export async function settle<T>({ current, submit, checkFirst = true, attempts = 4 }: Settle<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (checkFirst || attempt > 1) {
      const done = await current();
      if (done !== undefined) return done;
    }
    try {
      return await submit();
    } catch (err) {
      if (err instanceof ChaincodeError && err.code === 'CONFLICT') {
        const done = await current();
        if (done !== undefined) return done;
        throw err;
      }
      if (!isCommitConflict(err) || attempt >= attempts) throw err;
    }
  }
}
