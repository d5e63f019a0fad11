/** The recovery phrase: BIP-39, 12 English words (128 bits of entropy), through @scure/bip39. */
import { generateMnemonic, mnemonicToSeed, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { WalletError } from '../errors.js';

const WORDS = 12;

/** A fresh 12-word phrase from the platform's CSPRNG. */
export function newPhrase(): string {
  return generateMnemonic(wordlist, 128);
}

/** Lower case, single spaces: the form BIP-39 hashes (it also NFKD-normalises). */
export function normalisePhrase(phrase: string): string {
  return phrase.trim().toLowerCase().split(/\s+/).join(' ');
}

export function isValidPhrase(phrase: string): boolean {
  const normal = normalisePhrase(phrase);
  return normal.split(' ').length === WORDS && validateMnemonic(normal, wordlist);
}

/**
 * The 64-byte BIP-39 seed (PBKDF2-HMAC-SHA512, 2048 rounds). The optional BIP-39 passphrase (the
 * "25th word") yields another, unrelated wallet; it is not the device passphrase.
 */
export async function seedFromPhrase(phrase: string, bip39Passphrase = ''): Promise<Uint8Array> {
  if (!isValidPhrase(phrase)) {
    throw new WalletError('INVALID_PHRASE', `the recovery phrase must be ${WORDS} words of the BIP-39 English list with a valid checksum`);
  }
  return mnemonicToSeed(normalisePhrase(phrase), bip39Passphrase);
}
