/** The embedded CA: Fabric-CA-style certificates, registrar-only registration, one-time secrets, revocation. */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import t from 'tap';
import { EmbeddedCa, FABRIC_ATTR_OID } from '../../src/adapters/identity/embedded/index.js';
import { IdentityError } from '../../src/ports/identity.js';
import { VaultError } from '../../src/pki/vault.js';
import { FAST_SEAL, openOrg, tempDir } from '../ledger/support.js';

const refusal = (code: IdentityError['code']) => ({ name: 'IdentityError', code });

t.test('enrolled certificates carry Fabric CA attributes under the CA’s root', async (t) => {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  t.teardown(() => h1.ca.close());
  const { secret } = await h1.ca.register(h1.admin, { enrollmentId: 'dr.who', role: 'provider', attrs: { ward: 'B' } });
  const creds = await h1.ca.enroll('dr.who', secret);
  t.match(creds, { mspId: 'Hospital1MSP', enrollmentId: 'dr.who' });
  t.match(creds.privateKey, /^-----BEGIN PRIVATE KEY-----/);
  const cert = new x509.X509Certificate(creds.certificate);
  t.equal(cert.subject, 'OU=client, CN=dr.who');
  const ext = cert.getExtension(FABRIC_ATTR_OID)!;
  t.same(JSON.parse(Buffer.from(ext.value).toString()), {
    attrs: { ward: 'B', role: 'provider', hospital: 'Hospital 1', 'hf.EnrollmentID': 'dr.who', 'hf.Type': 'client', 'hf.Affiliation': '' },
  });
  const node = new X509Certificate(creds.certificate);
  const root = new X509Certificate((await h1.ca.trustAnchors())[0]!);
  t.ok(node.checkIssued(root) && node.verify(root.publicKey), 'issued by the root');
  t.equal(node.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1', 'ECDSA P-256');
  t.notOk(node.ca);
  t.ok(root.ca);
});

t.test('who may register, and what', async (t) => {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  const h2 = await openOrg(dir, 'Hospital2MSP', 'Hospital 2');
  t.teardown(() => {
    h1.ca.close();
    h2.ca.close();
  });
  const registrar = await h1.enroll('reg', 'registrar');
  const patient = await h1.enroll('pat', 'patient');
  await t.resolves(h1.ca.register(registrar, { enrollmentId: 'p2', role: 'patient' }));
  await t.rejects(h1.ca.register(patient, { enrollmentId: 'x1', role: 'patient' }), refusal('FORBIDDEN'), 'a patient may not');
  await t.rejects(h1.ca.register(h2.admin, { enrollmentId: 'x2', role: 'patient' }), refusal('FORBIDDEN'), 'another CA’s admin may not');
  await t.rejects(
    h1.ca.register({ ...h2.admin, mspId: 'Hospital1MSP' }, { enrollmentId: 'x3', role: 'patient' }),
    refusal('FORBIDDEN'),
    'nor by claiming this org',
  );
  await t.rejects(
    h1.ca.register({ ...registrar, privateKey: patient.privateKey }, { enrollmentId: 'x4', role: 'patient' }),
    refusal('FORBIDDEN'),
    'a registrar certificate without its key may not',
  );
  await t.rejects(h1.ca.register(registrar, { enrollmentId: 'x5', role: 'admin' }), refusal('FORBIDDEN'), 'registrars do not make admins');
  await t.rejects(h1.ca.register(registrar, { enrollmentId: 'x6', role: 'auditor' }), refusal('FORBIDDEN'));
  await t.resolves(h1.ca.register(h1.admin, { enrollmentId: 'aud', role: 'auditor' }), 'an admin may');
  await t.rejects(h1.ca.register(registrar, { enrollmentId: 'p2', role: 'patient' }), refusal('CONFLICT'));
  await t.rejects(h1.ca.register(registrar, { enrollmentId: 'x7', role: 'king' }), refusal('INVALID_ARGUMENT'));
  await t.rejects(h1.ca.register(registrar, { enrollmentId: 'has space', role: 'patient' }), refusal('INVALID_ARGUMENT'));
  await t.rejects(
    h1.ca.register(registrar, { enrollmentId: 'x8', role: 'patient', attrs: { role: 'admin' } }),
    refusal('INVALID_ARGUMENT'),
    'attributes cannot override the role',
  );
  await t.rejects(
    h1.ca.register(registrar, { enrollmentId: 'x9', role: 'patient', attrs: { 'hf.Registrar.Roles': '*' } }),
    refusal('INVALID_ARGUMENT'),
  );
  await t.rejects(h1.ca.register(registrar, { enrollmentId: 'x10', role: 'patient', secret: 'short' }), refusal('INVALID_ARGUMENT'));
});

t.test('enrollment secrets are one-time and not probeable', async (t) => {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  t.teardown(() => h1.ca.close());
  const { secret } = await h1.ca.register(h1.admin, { enrollmentId: 'p1', role: 'patient', secret: 'correct horse' });
  t.equal(secret, 'correct horse');
  await t.rejects(h1.ca.enroll('p1', 'wrong horse'), refusal('FORBIDDEN'));
  await t.rejects(h1.ca.enroll('nobody', 'correct horse'), { ...refusal('FORBIDDEN'), message: 'unknown enrollment id or wrong secret' });
  await t.resolves(h1.ca.enroll('p1', 'correct horse'));
  await t.rejects(h1.ca.enroll('p1', 'correct horse'), refusal('CONFLICT'), 'a secret enrolls once');
});

t.test('revocation: refused re-enrollment, revoked registrars lose their power, CRL lists the serials', async (t) => {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  t.teardown(() => h1.ca.close());
  const registrar = await h1.enroll('reg', 'registrar');
  const other = await h1.enroll('reg2', 'registrar');
  const patient = await h1.enroll('pat', 'patient');
  const published: string[] = [];
  h1.ca.onRevoke((crl) => published.push(crl));
  await t.rejects(h1.ca.revoke(registrar, 'reg2'), refusal('FORBIDDEN'), 'a registrar may not revoke a registrar');
  await t.rejects(h1.ca.revoke(registrar, 'ghost'), refusal('NOT_FOUND'));
  await h1.ca.revoke(registrar, 'pat');
  const answered = await h1.ca.revoke(h1.admin, 'reg2');
  t.equal(published.length, 2);
  t.equal(answered.crl, published[1], 'revoke answers the CRL a channel update must carry');
  const crl = new x509.X509Crl(published[1]!);
  const serials = crl.entries.map((e) => e.serialNumber.toUpperCase().replace(/^0+/, ''));
  t.ok(serials.includes(new X509Certificate(patient.certificate).serialNumber.replace(/^0+/, '')));
  t.ok(serials.includes(new X509Certificate(other.certificate).serialNumber.replace(/^0+/, '')));
  await t.rejects(h1.ca.register(other, { enrollmentId: 'y', role: 'patient' }), refusal('FORBIDDEN'));
  await h1.ca.register(registrar, { enrollmentId: 'fresh', role: 'patient', secret: 'fresh-secret' });
  await h1.ca.revoke(registrar, 'fresh');
  await t.rejects(h1.ca.enroll('fresh', 'fresh-secret'), refusal('FORBIDDEN'), 'a revoked identity cannot enroll');
});

t.test('the CA survives a restart; its root key is sealed at rest', async (t) => {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  const anchors = await h1.ca.trustAnchors();
  await h1.ca.register(h1.admin, { enrollmentId: 'later', role: 'patient', secret: 'later-secret' });
  h1.ca.close();
  const file = readFileSync(join(dir, 'Hospital1MSP', 'ca.sqlite')).toString('latin1');
  t.notMatch(file, /PRIVATE KEY/, 'no clear private key in the CA store');
  const options = {
    dataDir: join(dir, 'Hospital1MSP'),
    mspId: 'Hospital1MSP',
    hospital: 'Hospital 1',
    bootstrapAdmin: { enrollmentId: 'admin', secret: 'adminpw-secret' },
    sealCost: FAST_SEAL,
  };
  await t.rejects(EmbeddedCa.open({ ...options, passphrase: 'wrong' }), VaultError);
  const ca = await EmbeddedCa.open({ ...options, passphrase: 'Hospital1MSP passphrase' });
  t.teardown(() => ca.close());
  t.same(await ca.trustAnchors(), anchors);
  const creds = await ca.enroll('later', 'later-secret');
  t.ok(new X509Certificate(creds.certificate).verify(new X509Certificate(anchors[0]!).publicKey), 'signed by the same root');
  await t.resolves(ca.register(h1.admin, { enrollmentId: 'again', role: 'patient' }), 'the admin cert still works');
});

t.test('enrolment by CSR: the CA certifies the requested key, checks the request first, and spends the secret once', async (t) => {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  t.teardown(() => h1.ca.close());
  const { secret } = await h1.ca.register(h1.admin, { enrollmentId: 'pat.dev', role: 'patient' });
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csrFor = async (name: string, k: typeof keys = keys, hash = 'SHA-256') =>
    (await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${name}`, keys: k, signingAlgorithm: { name: 'ECDSA', hash } })).toString('pem');
  const p384 = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
  await t.rejects(h1.ca.enrollCsr('pat.dev', secret, await csrFor('someone')), refusal('INVALID_ARGUMENT'), 'CN must be the enrollment id');
  await t.rejects(h1.ca.enrollCsr('pat.dev', secret, await csrFor('pat.dev', p384, 'SHA-384')), refusal('INVALID_ARGUMENT'), 'P-256 only');
  await t.rejects(h1.ca.enrollCsr('pat.dev', secret, 'garbage'), refusal('INVALID_ARGUMENT'), 'unparsable');
  await t.rejects(h1.ca.enrollCsr('pat.dev', 'wrong-secret', await csrFor('pat.dev')), refusal('FORBIDDEN'), 'a wrong secret');
  const issued = await h1.ca.enrollCsr('pat.dev', secret, await csrFor('pat.dev'));
  t.notOk('privateKey' in issued, 'no key is made or answered');
  const cert = new x509.X509Certificate(issued.certificate);
  t.same(Buffer.from(cert.publicKey.rawData), Buffer.from(await crypto.subtle.exportKey('spki', keys.publicKey)), 'the requested key is certified');
  t.equal(cert.subject, 'OU=client, CN=pat.dev', "the CA writes its own subject");
  t.match(JSON.parse(Buffer.from(cert.getExtension(FABRIC_ATTR_OID)!.value).toString()).attrs, { role: 'patient', 'hf.EnrollmentID': 'pat.dev' });
  await t.rejects(h1.ca.enrollCsr('pat.dev', secret, await csrFor('pat.dev')), refusal('CONFLICT'), 'the secret is spent');
  const revocation = await h1.ca.revoke(h1.admin, 'pat.dev');
  t.ok(revocation.crl, 'a certificate issued for a CSR is revoked like any other');
});
