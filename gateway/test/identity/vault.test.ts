/** The password-protected key vault. */
import t from 'tap';
import { reseal, seal, unseal, VaultError } from '../../src/pki/vault.js';

const cost = { N: 2 ** 10, r: 8, p: 1 };
const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';

t.test('seal and unseal with the right password', async (t) => {
  const sealed = await seal(key, 'pa55word', cost);
  t.notMatch(sealed, /PRIVATE KEY/);
  t.equal((await unseal(sealed, 'pa55word')).toString(), key);
  t.not(await seal(key, 'pa55word', cost), sealed, 'fresh salt and nonce every time');
  t.match(JSON.parse(await seal(key, 'pa55word')), { kdf: 'scrypt', N: 2 ** 15 }, 'default cost');
});

t.test('a wrong password is refused', async (t) => {
  const sealed = await seal(key, 'pa55word', cost);
  await t.rejects(unseal(sealed, 'pa55worD'), VaultError);
  await t.rejects(seal(key, '', cost), VaultError);
});

t.test('any alteration of the sealed text is detected', async (t) => {
  const sealed = JSON.parse(await seal(key, 'pa55word', cost)) as Record<string, unknown>;
  const flip = (b64: string) => {
    const bytes = Buffer.from(b64, 'base64');
    bytes[0]! ^= 1;
    return bytes.toString('base64');
  };
  for (const field of ['ct', 'tag', 'iv', 'salt']) {
    await t.rejects(unseal(JSON.stringify({ ...sealed, [field]: flip(sealed[field] as string) }), 'pa55word'), VaultError, field);
  }
  await t.rejects(unseal(JSON.stringify({ ...sealed, N: 2 ** 11 }), 'pa55word'), VaultError, 'cost parameters are authenticated');
  await t.rejects(unseal(JSON.stringify({ ...sealed, N: 2 ** 30 }), 'pa55word'), VaultError, 'absurd costs refused');
  await t.rejects(unseal('not json', 'pa55word'), VaultError);
});

t.test('reseal changes the password', async (t) => {
  const sealed = await reseal(await seal(key, 'old-password', cost), 'old-password', 'new-password', cost);
  t.equal((await unseal(sealed, 'new-password')).toString(), key);
  await t.rejects(unseal(sealed, 'old-password'), VaultError);
});
