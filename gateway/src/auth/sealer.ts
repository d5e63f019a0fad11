/**
 * Seals a user's private key under their password (the papers' password-protected vault): the
 * gateway can only use a key while its owner is logged in.
 */
export interface KeySealer {
  seal(privateKeyPem: string, password: string): Promise<string>;
  /** Rejects when the password is wrong or the sealed text was altered. */
  open(sealed: string, password: string): Promise<string>;
}
