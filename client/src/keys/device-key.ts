/**
 * One derived P-256 key pair held on the device. Fabric signatures are made here with noble (SHA-256
 * digest in, DER low-S out, as Fabric's MSP demands); WebCrypto twins of the same scalar, imported as
 * non-extractable keys, serve jose (ES256 JWS, ECDH-ES JWE) and @peculiar/x509 (the CSR).
 */
import { p256 } from '@noble/curves/nist.js';
import { base64url } from '../bytes.js';
import { WalletError } from '../errors.js';

export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

export class DeviceKey {
  private signing?: Promise<CryptoKey>;
  private agreement?: Promise<CryptoKey>;
  private verifying?: Promise<CryptoKey>;

  private constructor(
    private readonly secret: Uint8Array,
    /** SEC1 uncompressed public key (65 bytes) */
    readonly publicKey: Uint8Array,
  ) {}

  static fromPrivateKey(secret: Uint8Array): DeviceKey {
    if (!p256.utils.isValidSecretKey(secret)) throw new WalletError('INVALID_ARGUMENT', 'not a P-256 private key');
    return new DeviceKey(secret.slice(), p256.getPublicKey(secret, false));
  }

  get publicJwk(): PublicJwk {
    return { kty: 'EC', crv: 'P-256', x: base64url.encode(this.publicKey.subarray(1, 33)), y: base64url.encode(this.publicKey.subarray(33)) };
  }

  /** ECDSA over a SHA-256 digest the caller computed itself from the bytes it checked: DER, low-S. */
  signDigest(digest: Uint8Array): Uint8Array {
    if (digest.length !== 32) throw new WalletError('INVALID_ARGUMENT', 'a SHA-256 digest has 32 bytes');
    return p256.sign(digest, this.secret, { prehash: false, lowS: true, format: 'der' });
  }

  /** Is `signature` (DER) this key's signature over `digest`, low-S? */
  verifyDigest(signature: Uint8Array, digest: Uint8Array): boolean {
    try {
      return p256.verify(signature, digest, this.publicKey, { prehash: false, lowS: true, format: 'der' });
    } catch {
      return false;
    }
  }

  /** ECDSA P-256 / SHA-256 private key for WebCrypto users (jose ES256, x509 CSR). */
  signingKey(): Promise<CryptoKey> {
    this.signing ??= this.importPrivate({ name: 'ECDSA', namedCurve: 'P-256' }, ['sign']);
    return this.signing;
  }

  verifyingKey(): Promise<CryptoKey> {
    this.verifying ??= crypto.subtle.importKey('jwk', { ...this.publicJwk, ext: true }, { name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'verify',
    ]);
    return this.verifying;
  }

  /** ECDH P-256 private key: opens JWEs sealed to this key (ECDH-ES). */
  agreementKey(): Promise<CryptoKey> {
    this.agreement ??= this.importPrivate({ name: 'ECDH', namedCurve: 'P-256' }, ['deriveBits']);
    return this.agreement;
  }

  private importPrivate(algorithm: EcKeyImportParams, usages: KeyUsage[]): Promise<CryptoKey> {
    const jwk: JsonWebKey = { ...this.publicJwk, d: base64url.encode(this.secret), ext: false };
    return crypto.subtle.importKey('jwk', jwk, algorithm, false, usages);
  }
}
