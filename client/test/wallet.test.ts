import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { X509Certificate, verify } from 'node:crypto';
import { DEFAULT_COST, MemoryStore, Wallet, WalletVault, type WalletStore } from '../src/index.js';
import { FileStore } from '../src/node/index.js';
import { bytesToHex } from '../src/bytes.js';
import { LOW_COST, OTHER_PHRASE, PASSPHRASE, PHRASE, enrolled, rejection, testCa } from './support/fixtures.js';

const ca = await testCa('Hospital1MSP');
const dir = await mkdtemp(join(tmpdir(), 'medrec-wallet-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

t.test('the default KDF cost is OWASP scrypt (N = 2^17, r = 8, p = 1)', async (t) => {
  t.same(DEFAULT_COST, { logN: 17, r: 8, p: 1 });
});

t.test('a file wallet is 0600, replaced atomically, and reopens with the passphrase only', async (t) => {
  const path = join(dir, 'sub', 'wallet.json');
  const store = new FileStore(path);
  const wallet = await Wallet.fromPhrase(PHRASE);
  await enrolled(wallet, ca, 'h1', 'alice');
  const vault = await WalletVault.create(store, wallet, PASSPHRASE, { cost: LOW_COST });
  t.equal((await stat(path)).mode & 0o777, 0o600, 'the wallet file is 0600');
  t.equal((await stat(join(dir, 'sub'))).mode & 0o777, 0o700, 'its new folder is 0700');
  const text = await readFile(path, 'utf8');
  t.notMatch(text, /alice|BEGIN CERTIFICATE|Hospital1MSP/, 'nothing but the header is readable');
  t.match(JSON.parse(text), { format: 'medrec-wallet', version: 1, kdf: { name: 'scrypt', logN: 10, r: 8, p: 1 }, cipher: { name: 'A256GCM' } });

  vault.wallet.addIdentity('delegate-0', { kind: 'delegate', mspId: 'Hospital1MSP', label: '0' });
  await vault.save();
  t.same(await readdir(join(dir, 'sub')), ['wallet.json'], 'no temporary file is left behind');
  t.not(JSON.parse(await readFile(path, 'utf8')).cipher.iv, JSON.parse(text).cipher.iv, 'every save has a fresh IV');

  const reopened = await WalletVault.unlock(store, PASSPHRASE);
  t.same(
    reopened.wallet.identities().map((i) => [i.name, i.path, bytesToHex(i.key.publicKey), i.enrollment?.enrollmentId]),
    vault.wallet.identities().map((i) => [i.name, i.path, bytesToHex(i.key.publicKey), i.enrollment?.enrollmentId]),
    'the same identities, keys and certificates come back',
  );
});

async function refusedUnlock(t: Tap, store: WalletStore, passphrase: string, code: string, why: string) {
  const before = await store.read();
  t.equal((await rejection(WalletVault.unlock(store, passphrase))).code, code, why);
  t.equal(await store.read(), before, `${why}: the store is untouched`);
}
type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

t.test('a wrong passphrase, an altered file or an absurd cost: clear refusal, nothing changed', async (t) => {
  const store = new MemoryStore();
  await WalletVault.create(store, await Wallet.fromPhrase(PHRASE), PASSPHRASE, { cost: LOW_COST });
  const good = (await store.read())!;
  await refusedUnlock(t, store, 'not the passphrase', 'WRONG_PASSPHRASE', 'wrong passphrase');

  const file = JSON.parse(good);
  const altered = (edit: (f: typeof file) => void) => {
    const copy = structuredClone(file);
    edit(copy);
    return JSON.stringify(copy);
  };
  const cases: [string, string, string][] = [
    ['a flipped ciphertext byte', altered((f) => (f.ciphertext = (f.ciphertext[0] === 'A' ? 'B' : 'A') + f.ciphertext.slice(1))), 'WRONG_PASSPHRASE'],
    ['another IV', altered((f) => (f.cipher.iv = 'AAAAAAAAAAAAAAAA')), 'WRONG_PASSPHRASE'],
    ['a lowered cost in the header', altered((f) => (f.kdf.r = 4)), 'WRONG_PASSPHRASE'],
    ['a cost that would exhaust the device', altered((f) => (f.kdf.logN = 30)), 'CORRUPT_WALLET'],
    ['an unknown version', altered((f) => (f.version = 2)), 'CORRUPT_WALLET'],
    ['an unknown cipher', altered((f) => (f.cipher.name = 'A128CBC')), 'CORRUPT_WALLET'],
    ['a short salt', altered((f) => (f.kdf.salt = 'AAAA')), 'CORRUPT_WALLET'],
    ['not JSON', 'garbage', 'CORRUPT_WALLET'],
  ];
  for (const [why, text, code] of cases) {
    const bad = new MemoryStore();
    await bad.write(text);
    await refusedUnlock(t, bad, PASSPHRASE, code, why);
  }
  t.equal((await rejection(WalletVault.unlock(new MemoryStore(), PASSPHRASE))).code, 'NO_WALLET', 'empty store: NO_WALLET');
});

t.test('create refuses to overwrite a stored wallet unless told, and refuses short passphrases', async (t) => {
  const store = new MemoryStore();
  await WalletVault.create(store, await Wallet.fromPhrase(PHRASE), PASSPHRASE, { cost: LOW_COST });
  const before = await store.read();
  t.equal((await rejection(WalletVault.create(store, await Wallet.fromPhrase(OTHER_PHRASE), PASSPHRASE, { cost: LOW_COST }))).code, 'WALLET_EXISTS');
  t.equal(await store.read(), before, 'the stored wallet is kept');
  t.equal((await rejection(WalletVault.create(new MemoryStore(), await Wallet.fromPhrase(PHRASE), 'short', { cost: LOW_COST }))).code, 'INVALID_ARGUMENT');
  await WalletVault.create(store, await Wallet.fromPhrase(OTHER_PHRASE), PASSPHRASE, { cost: LOW_COST, overwrite: true });
  t.not(await store.read(), before, 'overwrite: true replaces it');
});

t.test('the passphrase can be changed; the old one then fails', async (t) => {
  const store = new MemoryStore();
  const vault = await WalletVault.create(store, await Wallet.fromPhrase(PHRASE), PASSPHRASE, { cost: LOW_COST });
  await vault.changePassphrase('another long passphrase', LOW_COST);
  t.equal((await rejection(WalletVault.unlock(store, PASSPHRASE))).code, 'WRONG_PASSPHRASE');
  t.ok(await WalletVault.unlock(store, 'another long passphrase'));
});

t.test('recovery: the phrase on a new device gives the same key, and its signatures verify against the first certificate', async (t) => {
  const first = await Wallet.fromPhrase(PHRASE);
  const original = await enrolled(first, ca, 'h1', 'alice');
  // A new device: a new store, only the phrase typed in again.
  const second = await Wallet.fromPhrase(`${PHRASE}\n`);
  const recovered = second.addIdentity('h1', { kind: 'identity', mspId: 'Hospital1MSP' });
  t.equal(bytesToHex(recovered.key.publicKey), bytesToHex(original.key.publicKey), 'same public key');
  t.equal(recovered.path, original.path, 'same derivation path');
  const certKey = new X509Certificate(original.enrolled().certificate).publicKey;
  const jwk = certKey.export({ format: 'jwk' });
  t.same({ x: jwk.x, y: jwk.y }, { x: recovered.key.publicJwk.x, y: recovered.key.publicJwk.y }, 'the certificate certifies the recovered key');
  const message = new TextEncoder().encode('proposal bytes');
  const der = recovered.key.signDigest(new Uint8Array(await crypto.subtle.digest('SHA-256', message)));
  t.ok(verify('sha256', message, { key: certKey, dsaEncoding: 'der' }, der), "a signature made on the second device verifies with the first device's certificate");
  t.notOk(verify('sha256', new TextEncoder().encode('other bytes'), { key: certKey, dsaEncoding: 'der' }, der), 'and for nothing else');

  const other = (await Wallet.fromPhrase(OTHER_PHRASE)).addIdentity('h1', { kind: 'identity', mspId: 'Hospital1MSP' });
  t.not(bytesToHex(other.key.publicKey), bytesToHex(original.key.publicKey), 'another phrase, another key');
});

t.test("a certificate for someone else's key is not recorded", async (t) => {
  const mine = await Wallet.fromPhrase(PHRASE);
  mine.addIdentity('h1', { kind: 'identity', mspId: 'Hospital1MSP' });
  const theirs = await enrolled(await Wallet.fromPhrase(OTHER_PHRASE), ca, 'h1', 'bob');
  const refused = await rejection(mine.setEnrollment('h1', theirs.enrolled()));
  t.equal(refused.code, 'WRONG_SIGNER');
  t.equal(mine.identity('h1').enrollment, undefined, 'nothing recorded');
  t.equal((await rejection(mine.setEnrollment('h1', { ...theirs.enrolled(), certificate: 'not a pem' }))).code, 'INVALID_ARGUMENT');
  t.equal((await rejection(() => mine.identity('nobody'))).code, 'UNKNOWN_IDENTITY');
  t.equal((await rejection(() => mine.identity('h1').enrolled())).code, 'NOT_ENROLLED');
  t.equal((await rejection(() => mine.addIdentity('h1', { kind: 'identity', mspId: 'Hospital2MSP' }))).code, 'INVALID_ARGUMENT', 'names are unique');
  t.equal((await rejection(() => mine.addIdentity('h2', { kind: 'identity', mspId: 'Hospital2MSP' }, 'not a url'))).code, 'INVALID_ARGUMENT', 'a gateway must be a URL');
});

t.test('a file store that holds no wallet reads as empty; a foreign file is refused', async (t) => {
  const store = new FileStore(join(dir, 'none.json'));
  t.equal(await store.read(), undefined);
  await writeFile(join(dir, 'foreign.json'), '{"hello":1}');
  t.equal((await rejection(WalletVault.unlock(new FileStore(join(dir, 'foreign.json')), PASSPHRASE))).code, 'CORRUPT_WALLET');
});
