import { createECDH, createHash } from 'node:crypto';
import { p256_oprf } from '@noble/curves/nist.js';
import t from 'tap';
import { blindLookup, IndexKey, POINT_B64, type EcdhX } from '../src/protocol.js';

/**
 * The external-id index key (docs/privacy.md §2) is RFC 9497's OPRF(P-256, SHA-256): its own
 * evaluation, a blinded lookup and @noble/curves' reference implementation give the same output,
 * with the pure-JS and the native (OpenSSL) multiplication alike.
 */
const openssl: EcdhX = (privateKey) => {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(privateKey);
  return (point) => ecdh.computeSecret(point);
};
const text = new TextEncoder();
const SEED = 'a-home-hospitals-seed';

t.test('the home entry is RFC 9497 OPRF output, whatever multiplies', async (t) => {
  const { oprf } = p256_oprf;
  const secretKey = oprf.deriveKeyPair(createHash('sha256').update(SEED).digest(), text.encode('medrec external-id index')).secretKey;
  for (const id of ['SYN-100-000001', 'SYN-999-123456', '850101-1234567']) {
    const input = text.encode(`national-id:${id}`);
    const { blind, blinded } = oprf.blind(input);
    const reference = Buffer.from(oprf.finalize(input, blind, oprf.blindEvaluate(secretKey, blinded))).toString('hex');
    t.equal(new IndexKey(SEED).ownHash('national-id', id), reference, `${id}: pure JS`);
    t.equal(new IndexKey(SEED, openssl).ownHash('national-id', id), reference, `${id}: OpenSSL`);
    const lookup = blindLookup('national-id', id);
    t.equal(lookup.finish(new IndexKey(SEED, openssl).evaluate(lookup.blinded)), reference, `${id}: a blinded lookup unblinds to it`);
  }
});

t.test('another key, another kind or another id: another entry', async (t) => {
  const key = new IndexKey(SEED, openssl);
  const entry = key.ownHash('national-id', 'SYN-100-000001');
  t.match(entry, /^[0-9a-f]{64}$/);
  t.not(new IndexKey('another-home', openssl).ownHash('national-id', 'SYN-100-000001'), entry);
  t.not(key.ownHash('staff-id', 'SYN-100-000001'), entry);
  t.not(key.ownHash('national-id', 'SYN-100-000002'), entry);
});

t.test('a blinded element says nothing of the id: fresh per lookup', async (t) => {
  const a = blindLookup('national-id', 'SYN-100-000001');
  const b = blindLookup('national-id', 'SYN-100-000001');
  t.match(a.blinded, POINT_B64);
  t.not(a.blinded, b.blinded, 'two lookups of the same id send different points');
});

t.test('the home refuses what is no point of the group', async (t) => {
  const key = new IndexKey(SEED, openssl);
  t.throws(() => key.evaluate('not-a-point'), RangeError);
  t.throws(() => key.evaluate('A'.repeat(44)), RangeError, 'right length, not on the curve');
  t.throws(() => key.evaluate(Buffer.alloc(33).toString('base64url')), RangeError, 'the identity encoding');
});
