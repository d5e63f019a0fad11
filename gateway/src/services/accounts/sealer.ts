import { DEFAULT_COST, seal, unseal, type ScryptCost } from '../../pki/vault.js';

/**
 * Seals a user's private key under their password (the papers' password-protected vault): the
 * gateway can only use a key while its owner is logged in.
 */
export interface KeySealer {
  seal(privateKeyPem: string, password: string): Promise<string>;
  /** Rejects when the password is wrong or the sealed text was altered. */
  open(sealed: string, password: string): Promise<string>;
}

export function vaultSealer(cost: ScryptCost = DEFAULT_COST): KeySealer {
  return {
    seal: (privateKeyPem, password) => seal(privateKeyPem, password, cost),
    open: async (sealed, password) => (await unseal(sealed, password)).toString('utf8'),
  };
}
