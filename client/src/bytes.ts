/** Byte helpers that work the same in browsers and Node (no Buffer). */
import { base64url as joseBase64url } from 'jose';
export { bytesToHex, concatBytes, equalBytes, hexToBytes } from '@noble/curves/utils.js';

/** base64url without padding (JOSE's); decode copies into a fresh ArrayBuffer, as WebCrypto wants. */
export const base64url = {
  encode: (bytes: Uint8Array): string => joseBase64url.encode(bytes),
  decode: (text: string): Uint8Array<ArrayBuffer> => Uint8Array.from(joseBase64url.decode(text)),
};

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

export function utf8ToBytes(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

export function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Standard base64 (with padding), as X.509's x5c and PEM use. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The first PEM block's DER bytes. */
export function pemToDer(pem: string): Uint8Array {
  const match = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!match) throw new TypeError('not a PEM block');
  return fromBase64(match[2]!.replace(/\s+/g, ''));
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}
