/**
 * The home hospital's side of the external-id index (docs/privacy.md §2): its secret key and the
 * RFC 9497 OPRF(P-256, SHA-256) evaluations with it — its own patients' index entries and other
 * hospitals' blinded lookups. Exactly the RFC's values (the tests check them against
 * @noble/curves' own OPRF), but each scalar multiplication is done by OpenSSL (Node's ECDH), ~100×
 * faster than the pure-JS one: a panel of 100,000 patients needs 100,000 of them.
 */
import { createECDH } from 'node:crypto';
import { p256, p256_hasher, p256_oprf } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64url, bytesToHex, concatBytes, equalBytes } from '../bytes.js';
import { POINT_B64 } from '../registrar/external-id.js';

const { Point } = p256;
type P256Point = InstanceType<typeof Point>;
const { Fn } = Point;
const text = new TextEncoder();
const DST = text.encode('HashToGroup-OPRFV1-\x00-P256-SHA256');

/** x(k·P) by OpenSSL. */
function ecdhX(k: bigint, point: P256Point): Uint8Array {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Fn.toBytes(k));
  return ecdh.computeSecret(point.toBytes(false));
}

/** k·P in full: OpenSSL gives x; the sign of y is the one for which (k·P) + P has x((k+1)·P). */
function multiply(k: bigint, point: P256Point): P256Point {
  const candidate = Point.fromBytes(concatBytes(Uint8Array.of(0x02), ecdhX(k, point)));
  const next = ecdhX(Fn.add(k, 1n), point);
  return equalBytes(Fn.toBytes(candidate.add(point).toAffine().x), next) ? candidate : candidate.negate();
}

const len2 = (bytes: Uint8Array) => Uint8Array.of(bytes.length >> 8, bytes.length & 0xff);

export class IndexKey {
  private readonly k: bigint;

  /** Derived from the home's stored seed (RFC 9497 DeriveKeyPair): the seed file is the key. */
  constructor(seed: string) {
    this.k = Fn.fromBytes(p256_oprf.oprf.deriveKeyPair(sha256(text.encode(seed)), text.encode('medrec external-id index')).secretKey);
  }

  /** The home's own index entry for a person it registers: F(k, kind:id), 64 lowercase hex (RFC 9497 Evaluate). */
  ownHash(kind: string, externalId: string): string {
    const input = text.encode(`${kind}:${externalId}`);
    const unblinded = multiply(this.k, p256_hasher.hashToCurve(input, { DST }) as P256Point).toBytes(true);
    return bytesToHex(sha256(concatBytes(len2(input), input, len2(unblinded), unblinded, text.encode('Finalize'))));
  }

  /** Another hospital's blinded lookup (RFC 9497 BlindEvaluate); throws a RangeError when `blinded` is no valid point. */
  evaluate(blinded: string): string {
    if (!POINT_B64.test(blinded)) throw new RangeError('the blinded element must be a compressed P-256 point, base64url');
    let point: P256Point;
    try {
      point = Point.fromBytes(base64url.decode(blinded));
    } catch {
      throw new RangeError('the blinded element is not a point of P-256');
    }
    if (point.equals(Point.ZERO)) throw new RangeError('the blinded element is the identity');
    return base64url.encode(multiply(this.k, point).toBytes(true));
  }
}
