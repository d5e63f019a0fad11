import t from 'tap';
import { TrustStore } from '../../src/pki/trust-store.js';
import { testCa } from '../support/test-ca.js';

const ca = await testCa('Hospital1MSP');
const people = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((name) => ca.issue(name, 'patient')));

t.test('the parsed-certificate cache drops its least recently used entry, never everything at once', async (t) => {
  const store = await TrustStore.fromMembers([{ mspId: 'Hospital1MSP', caCertificates: [ca.certificate] }], 3);
  const check = (i: number) => store.check('Hospital1MSP', people[i]!.certificate, new Date());
  for (const i of [0, 1, 2]) t.equal(check(i).ok, true, `p${i + 1} is a valid creator`);
  t.equal(store.cachedCertificates, 3, 'a full cache');
  t.equal(check(0).ok, true, 'p1 used again');
  t.equal(check(3).ok, true, 'a fourth certificate, beyond the size');
  t.equal(store.cachedCertificates, 3, 'one entry made room: the cache is still full, not emptied');
  for (const i of [0, 1, 2, 3]) t.equal(check(i).ok, true, `p${i + 1} still checks the same after evictions`);
  t.equal(store.cachedCertificates, 3);

  await store.setRevocationLists('Hospital1MSP', [await ca.crl([people[0]!])]);
  t.match(check(0), { ok: false, code: 'CERTIFICATE_REVOKED' }, 'a revocation applies to a cached certificate at once');
  await store.update([]);
  t.equal(store.cachedCertificates, 0, 'a new channel configuration empties it');
  t.match(check(1), { ok: false, code: 'CERTIFICATE_UNTRUSTED' });
});
