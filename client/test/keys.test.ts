import t from 'tap';
import { p256 } from '@noble/curves/nist.js';
import {
  HARDENED,
  Wallet,
  derivePath,
  formatPath,
  isValidPhrase,
  newPhrase,
  parsePath,
  publicKeyOf,
  scopePath,
  scopeUri,
  seedFromPhrase,
  slip13Path,
  type KeyScope,
} from '../src/index.js';
import { bytesToHex, hexToBytes } from '../src/bytes.js';
import { OTHER_PHRASE, PHRASE, rejection } from './support/fixtures.js';
import { NIST256P1_VECTORS } from './support/slip10-vectors.js';

t.test('SLIP-0010 nist256p1: every published vector, including the derivation and seed retries', async (t) => {
  let checked = 0;
  for (const vector of NIST256P1_VECTORS) {
    for (const chain of vector.chains) {
      const node = derivePath(hexToBytes(vector.seed), parsePath(chain.path));
      const label = `${vector.title}, ${chain.path}`;
      t.equal(bytesToHex(node.privateKey), chain.privateKey, `${label}: private key`);
      t.equal(bytesToHex(node.chainCode), chain.chainCode, `${label}: chain code`);
      t.equal(bytesToHex(publicKeyOf(node)), chain.publicKey, `${label}: public key`);
      t.equal(node.parentFingerprint.toString(16).padStart(8, '0'), chain.fingerprint, `${label}: parent fingerprint`);
      checked++;
    }
  }
  t.equal(checked, 16, 'all 16 published nist256p1 chains were checked');
});

t.test('paths parse and print both ways; bad paths are refused', async (t) => {
  t.same(parsePath("m/13'/1/2H/3h"), [13 + HARDENED, 1, 2 + HARDENED, 3 + HARDENED]);
  t.equal(formatPath(parsePath("m/0/2147483647'/1")), "m/0/2147483647'/1");
  for (const bad of ['', 'n/1', 'm/-1', 'm/2147483648', "m/1''", 'm/x']) {
    t.equal((await rejection(() => parsePath(bad))).code, 'INVALID_ARGUMENT', `refused: ${JSON.stringify(bad)}`);
  }
});

t.test("SLIP-0013's worked example gives its published path", async (t) => {
  t.same(slip13Path('https://satoshi@bitcoin.org/login', 0), [2147483661, 2637750992, 2845082444, 3761103859, 4005495825]);
});

t.test('MedRec scopes: one URI each, every level hardened, all distinct', async (t) => {
  const scopes = [
    { kind: 'identity', mspId: 'Hospital1MSP' },
    { kind: 'identity', mspId: 'Hospital1MSP', index: 1 },
    { kind: 'identity', mspId: 'Hospital2MSP' },
    { kind: 'delegate', mspId: 'Hospital1MSP', label: '0' },
    { kind: 'delegate', mspId: 'Hospital1MSP', label: '1' },
    { kind: 'delegate', mspId: 'Hospital2MSP', label: '0' },
  ] as const satisfies readonly KeyScope[];
  t.equal(scopeUri(scopes[0]), 'medrec://identity/Hospital1MSP');
  t.equal(scopeUri(scopes[3]), 'medrec://delegate/Hospital1MSP/0');
  const wallet = await Wallet.fromPhrase(PHRASE);
  const keys = new Set<string>();
  for (const scope of scopes as readonly KeyScope[]) {
    const path = scopePath(scope);
    t.equal(path.length, 5);
    t.ok(path.every((i) => i >= HARDENED), `${scopeUri(scope)} #${scope.index ?? 0}: hardened all the way`);
    keys.add(bytesToHex(wallet.keyFor(scope).publicKey));
  }
  t.equal(keys.size, scopes.length, 'six scopes, six different keys');
  for (const bad of [
    { kind: 'identity', mspId: '' },
    { kind: 'identity', mspId: 'a/b' },
    { kind: 'delegate', mspId: 'H1', label: 'x/y' },
    { kind: 'delegate', mspId: 'H1', label: '' },
    { kind: 'identity', mspId: 'H1', index: -1 },
    { kind: 'identity', mspId: 'H1', index: 2 ** 32 },
    { kind: 'admin', mspId: 'H1' },
  ]) {
    t.equal((await rejection(() => scopePath(bad as never))).code, 'INVALID_ARGUMENT', `refused: ${JSON.stringify(bad)}`);
  }
});

t.test('BIP-39: the published 12-word vectors (trezor/python-mnemonic vectors.json, passphrase TREZOR) give their seeds', async (t) => {
  const vectors = [
    [PHRASE, '2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607'],
    [OTHER_PHRASE, 'd71de856f81a8acc65e6fc851a38d4d7ec216fd0796d0a6827a3ad6ed5511a30fa280f12eb2e47ed2ac03b5c462a0358d18d69fe4f985ec81778c1b370b652a8'],
  ];
  for (const [phrase, seed] of vectors) t.equal(bytesToHex(await seedFromPhrase(phrase!, 'TREZOR')), seed);
  t.equal(
    bytesToHex(await seedFromPhrase(`  ${PHRASE.toUpperCase().replace(/ /g, '   ')} `, 'TREZOR')),
    vectors[0]![1],
    'case and spacing do not change the seed',
  );
});

t.test('BIP-39: new phrases are 12 valid words, and different; bad phrases are refused', async (t) => {
  const a = newPhrase();
  const b = newPhrase();
  t.equal(a.split(' ').length, 12);
  t.ok(isValidPhrase(a) && isValidPhrase(b));
  t.not(a, b);
  const refusals = {
    'wrong checksum': PHRASE.replace(/yellow$/, 'zoo'),
    'eleven words': PHRASE.split(' ').slice(1).join(' '),
    '24 valid words': 'abandon '.repeat(23) + 'art',
    'a word not on the list': PHRASE.replace('legal', 'legals'),
    empty: '',
  };
  for (const [why, phrase] of Object.entries(refusals)) {
    t.equal((await rejection(Wallet.fromPhrase(phrase))).code, 'INVALID_PHRASE', `refused: ${why}`);
  }
});

t.test('a device key signs DER low-S over a digest, and only a 32-byte digest', async (t) => {
  const wallet = await Wallet.fromPhrase(PHRASE);
  const key = wallet.keyFor({ kind: 'identity', mspId: 'Hospital1MSP' });
  const halfOrder = p256.Point.Fn.ORDER >> 1n;
  for (let i = 0; i < 32; i++) {
    const digest = new Uint8Array(32).fill(i);
    const der = key.signDigest(digest);
    const signature = p256.Signature.fromBytes(der, 'der');
    t.ok(signature.s <= halfOrder, `signature ${i} is low-S`);
    t.ok(key.verifyDigest(der, digest));
    t.notOk(key.verifyDigest(der, new Uint8Array(32).fill(i + 1)), 'and verifies for nothing else');
  }
  t.equal((await rejection(() => key.signDigest(new Uint8Array(31)))).code, 'INVALID_ARGUMENT');
});

t.test('a BIP-39 passphrase makes another wallet', async (t) => {
  const scope = { kind: 'identity', mspId: 'Hospital1MSP' } as const;
  const plain = (await Wallet.fromPhrase(PHRASE)).keyFor(scope).publicKey;
  const salted = (await Wallet.fromPhrase(PHRASE, { bip39Passphrase: 'x' })).keyFor(scope).publicKey;
  t.not(bytesToHex(plain), bytesToHex(salted));
});
