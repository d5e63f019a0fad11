/**
 * Every refusal of the wallet carries a stable code, as the gateway's problems do, so that an app can
 * say what went wrong in a plain sentence and a test can tell one refusal from another.
 */
export type WalletErrorCode =
  /** the recovery phrase is not a valid 12-word BIP-39 English mnemonic */
  | 'INVALID_PHRASE'
  /** the device passphrase does not open the stored wallet (or the file was altered) */
  | 'WRONG_PASSPHRASE'
  /** no wallet is stored on this device */
  | 'NO_WALLET'
  /** a wallet is already stored and would be overwritten */
  | 'WALLET_EXISTS'
  /** the stored wallet cannot be read: unknown format, version or out-of-bounds parameters */
  | 'CORRUPT_WALLET'
  /** the wallet holds no identity of that name, or it has no certificate yet */
  | 'UNKNOWN_IDENTITY'
  | 'NOT_ENROLLED'
  /** bytes handed to the device to sign are not the message they claim to be */
  | 'MALFORMED_MESSAGE'
  /** the digest handed over is not the SHA-256 of the bytes handed over */
  | 'DIGEST_MISMATCH'
  /** the bytes decode, but ask for something the user did not ask for */
  | 'INTENT_MISMATCH'
  /** the bytes name another signer than this device's identity */
  | 'WRONG_SIGNER'
  /** an envelope or commit request that is not for the proposal this device signed */
  | 'TRANSACTION_MISMATCH'
  /** a sealed answer that cannot be opened with this device's key, or is not for this request */
  | 'SEALED_ANSWER_INVALID'
  /** a home activation code given where a hospital's delegate code was asked for (nothing was redeemed) */
  | 'NOT_A_DELEGATE_CODE'
  /** input to a wallet function that is out of its domain (e.g. a bad derivation scope) */
  | 'INVALID_ARGUMENT';

export class WalletError extends Error {
  constructor(
    readonly code: WalletErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WalletError';
  }
}
