/**
 * The home hospital's side of the external-id index (docs/privacy.md §2): its secret key and the
 * RFC 9497 OPRF(P-256, SHA-256) evaluations with it — its own patients' index entries and other
 * hospitals' blinded lookups. Exactly the RFC's values (the tests check them against
 * @noble/curves' own OPRF), but each scalar multiplication can be handed to a native ECDH (the
 * gateway passes OpenSSL's, ~10× faster than the pure-JS one: a panel of 100,000 patients needs
 * 100,000 of them). Browser-safe itself: the native part is injected.
 */
import { p256, p256_hasher, p256_oprf } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64url, bytesToHex, concatBytes, equalBytes } from '../bytes.js';
import { POINT_B64 } from '../registrar/external-id.js';

const { Point } = p256;
type P256Point = InstanceType<typeof Point>;
const { Fn } = Point;
const text = new TextEncoder();
const DST = text.encode('HashToGroup-OPRFV1-\x00-P256-SHA256');

/**
 * ECDH on P-256 with one fixed private key: given it, a function from a point (uncompressed, 65
 * bytes) to the x coordinate (32 bytes) of privateKey · point. Made once per key (a native one keeps
 * its key object).
 */
export type EcdhX = (privateKey: Uint8Array) => (point: Uint8Array) => Uint8Array;

const nobleEcdhX: EcdhX = (privateKey) => (point) => Fn.toBytes(Point.fromBytes(point).multiply(Fn.fromBytes(privateKey)).toAffine().x);

/** k·P in full from x-only ECDH with k and with k+1: the sign of y is the one for which (k·P) + P has x((k+1)·P). */
function multiply(byK: (point: Uint8Array) => Uint8Array, byNext: (point: Uint8Array) => Uint8Array, point: P256Point): P256Point {
  const uncompressed = point.toBytes(false);
  const candidate = Point.fromBytes(concatBytes(Uint8Array.of(0x02), byK(uncompressed)));
  return equalBytes(Fn.toBytes(candidate.add(point).toAffine().x), byNext(uncompressed)) ? candidate : candidate.negate();
}

const len2 = (bytes: Uint8Array) => Uint8Array.of(bytes.length >> 8, bytes.length & 0xff);

export class IndexKey {
  private readonly byK: (point: Uint8Array) => Uint8Array;
  private readonly byNext: (point: Uint8Array) => Uint8Array;

  /** Derived from the home's stored seed (RFC 9497 DeriveKeyPair): the seed file is the key. */
  constructor(seed: string, ecdhX: EcdhX = nobleEcdhX) {
    const k = Fn.fromBytes(p256_oprf.oprf.deriveKeyPair(sha256(text.encode(seed)), text.encode('medrec external-id index')).secretKey);
    this.byK = ecdhX(Fn.toBytes(k));
    this.byNext = ecdhX(Fn.toBytes(Fn.add(k, 1n)));
  }

  /** The home's own index entry for a person it registers: F(k, kind:id), 64 lowercase hex (RFC 9497 Evaluate). */
  ownHash(kind: string, externalId: string): string {
    const input = text.encode(`${kind}:${externalId}`);
    const unblinded = multiply(this.byK, this.byNext, p256_hasher.hashToCurve(input, { DST }) as P256Point).toBytes(true);
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
    return base64url.encode(multiply(this.byK, this.byNext, point).toBytes(true));
  }
}
