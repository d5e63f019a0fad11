/**
 * End to end on the real Fabric network, through the Fabric adapters and the real chaincode:
 * registration with Fabric CA attributes, the white paper's flow across two hospitals, state-based
 * endorsement, the auditor's history and Fabric's own CLI reading the same state.
 */
import t from 'tap';
import { TransactionInvalidError } from '../src/ports/ledger.js';
import {
  caughtUp,
  ensureOnLedger,
  hospital,
  iid,
  json,
  loadNetwork,
  newPerson,
  openIdentity,
  openLedger,
  peerQuery,
  staffCredentials,
  uniqueName,
} from './network.js';

const network = loadNetwork();
const h1 = hospital(network, 'Hospital1');
const h2 = hospital(network, 'Hospital2');
const HASH_1 = 'a'.repeat(64);
const HASH_2 = 'b'.repeat(64);

interface Relationship {
  relationshipId: string;
  status: string;
  providerMspId: string;
  pointers: { category: string; hash: string; version: number }[];
  grants: { viewerId: string; status: string }[];
}
interface Decision {
  allowed: boolean;
  code: string;
  fields: string[];
}

t.test('Fabric CA issues identities with the role and hospital attributes, and refuses what it must', async (t) => {
  const ca = openIdentity(h1);
  const registrar = staffCredentials(h1, 'registrar');
  const enrollmentId = uniqueName('patient');
  const { secret } = await ca.register(registrar, { enrollmentId, role: 'patient' });
  const patient = await ca.enroll(enrollmentId, secret);
  t.equal(patient.mspId, 'Hospital1MSP');
  t.match(patient.certificate, /BEGIN CERTIFICATE/);
  t.match(patient.privateKey, /BEGIN PRIVATE KEY/);
  const { fabricAttributes } = await import('../src/pki/certificate.js');
  t.match(fabricAttributes(patient.certificate), { role: 'patient', hospital: 'Hospital1', 'hf.EnrollmentID': enrollmentId });

  await t.rejects(ca.register(registrar, { enrollmentId, role: 'patient' }), { code: 'CONFLICT' }, 'already registered');
  await t.rejects(ca.enroll(enrollmentId, secret), { code: 'FORBIDDEN' }, 'the secret is one-time');
  await t.rejects(ca.enroll(uniqueName('nobody'), 'wrongsecret'), { code: 'FORBIDDEN' });
  await t.rejects(ca.register(registrar, { enrollmentId: uniqueName('a'), role: 'auditor' }), { code: 'FORBIDDEN' }, 'a registrar may not create auditors');
  await t.rejects(ca.register(registrar, { enrollmentId: uniqueName('a'), role: 'wizard' }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(ca.register(registrar, { enrollmentId: 'bad id!', role: 'patient' }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(
    ca.register(registrar, { enrollmentId: uniqueName('a'), role: 'patient', attrs: { role: 'admin' } }),
    { code: 'INVALID_ARGUMENT' },
    'role comes only from the registration',
  );
  await t.rejects(ca.register(patient, { enrollmentId: uniqueName('a'), role: 'patient' }), { code: 'FORBIDDEN' }, 'a patient is no registrar');
  await t.rejects(
    ca.register(staffCredentials(h2, 'registrar'), { enrollmentId: uniqueName('a'), role: 'patient' }),
    { code: 'FORBIDDEN' },
    "another hospital's registrar",
  );

  const anchors = await ca.trustAnchors();
  t.equal(anchors.length, 1);
  const { X509Certificate } = await import('node:crypto');
  t.ok(new X509Certificate(patient.certificate).checkIssued(new X509Certificate(anchors[0]!)), 'the anchor issued the certificate');

  const revoked = uniqueName('viewer');
  const again = await ca.register(registrar, { enrollmentId: revoked, role: 'viewer', secret: 'a-long-secret' });
  t.equal(again.secret, 'a-long-secret');
  await ca.revoke(staffCredentials(h1, 'admin'), revoked, 'keycompromise');
  await t.rejects(ca.enroll(revoked, 'a-long-secret'), { code: 'FORBIDDEN' }, 'a revoked identity cannot enroll');
});

t.test('the flow across two hospitals on Fabric', async (t) => {
  const ledger1 = await openLedger(network, h1);
  const ledger2 = await openLedger(network, h2);
  t.teardown(() => Promise.all([ledger1.close(), ledger2.close()]));
  const provider = staffCredentials(h1, 'records-service');
  await ensureOnLedger(ledger1, staffCredentials(h1, 'registrar'), provider, 'provider');
  const auditor = staffCredentials(h1, 'auditor');
  await ensureOnLedger(ledger1, staffCredentials(h1, 'registrar'), auditor, 'auditor');
  const patient = await newPerson(h1, ledger1, 'patient');
  const viewer = await newPerson(h2, ledger2, 'viewer'); // a second hospital's identity
  t.not(patient.participantId, viewer.participantId);

  const whoami = json<{ mspId: string; role: string }>(await ledger2.evaluate(viewer, 'Registrar', 'whoami', []));
  t.match(whoami, { mspId: 'Hospital2MSP', role: 'viewer' });

  const startHeight = await ledger1.height();
  const created = await ledger1.submit(provider, 'Relationship', 'create', [patient.participantId, 'https://hospital1.example/gatekeeper'], {
    endorsingOrganizations: ['Hospital1MSP'],
  });
  t.ok(created.blockNumber >= startHeight - 1n, 'committed in a new block');
  t.same(Object.keys(json<object>(created.result)), ['relationshipId'], 'the result, stored in the block, is the id only');
  const rel = json<Relationship>(await ledger1.evaluate(provider, 'Relationship', 'get', [json<{ relationshipId: string }>(created.result).relationshipId]));
  t.equal(rel.status, 'new');
  t.equal(rel.providerMspId, 'Hospital1MSP');
  const id = rel.relationshipId;

  await ledger1.submit(provider, 'Relationship', 'putPointer', [id, 'Observation', HASH_1], { endorsingOrganizations: ['Hospital1MSP'] });
  const accepted = await ledger1.submit(patient, 'Relationship', 'accept', [id], { endorsingOrganizations: ['Hospital1MSP'] });
  t.equal(json<Relationship>(accepted.result).status, 'accepted');

  const grant = { items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }], validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(), purpose: 'TREAT' };
  const granted = await ledger1.submit(patient, 'Relationship', 'grant', [id, viewer.participantId, JSON.stringify(grant)], {
    endorsingOrganizations: ['Hospital1MSP'],
  });
  await caughtUp(ledger2, granted.blockNumber);

  const allowed = json<Decision>(await ledger2.evaluate(viewer, 'Relationship', 'checkAccess', [id, iid(viewer), 'Observation', '["code"]']));
  t.match(allowed, { allowed: true, code: 'ALLOWED_VIEWER', fields: ['code'] });
  const wrongField = json<Decision>(await ledger2.evaluate(viewer, 'Relationship', 'checkAccess', [id, iid(viewer), 'Observation', '["note"]']));
  t.match(wrongField, { allowed: false, code: 'FIELD_NOT_GRANTED' });
  const wrongCategory = json<Decision>(await ledger1.evaluate(provider, 'Relationship', 'checkAccess', [id, iid(viewer), 'Condition', '["code"]']));
  t.match(wrongCategory, { allowed: false }, "the gatekeeper (provider of the relationship's hospital) asks for the viewer");

  const stranger = await newPerson(h2, ledger2, 'viewer');
  await t.rejects(
    ledger2.evaluate(stranger, 'Relationship', 'checkAccess', [id, iid(viewer), 'Observation', '["code"]']),
    { name: 'ChaincodeError', code: 'FORBIDDEN' },
    'nobody else may ask on the viewer’s behalf',
  );
  const strangerDecision = json<Decision>(await ledger2.evaluate(stranger, 'Relationship', 'checkAccess', [id, iid(stranger), 'Observation', '["code"]']));
  t.match(strangerDecision, { allowed: false, code: 'NOT_A_PARTY' });
  await t.rejects(
    ledger2.submit(viewer, 'Relationship', 'putPointer', [id, 'Observation', HASH_2], { endorsingOrganizations: ['Hospital1MSP'] }),
    { code: 'FORBIDDEN' },
    'only the provider adds pointers',
  );
  await t.rejects(ledger1.submit(patient, 'Relationship', 'grant', [id, viewer.participantId, '{not json']), { code: 'INVALID_ARGUMENT' });

  const revokedTx = await ledger1.submit(patient, 'Relationship', 'revoke', [id, viewer.participantId], { endorsingOrganizations: ['Hospital1MSP'] });
  await caughtUp(ledger2, revokedTx.blockNumber);
  const revoked = json<Decision>(await ledger2.evaluate(viewer, 'Relationship', 'checkAccess', [id, iid(viewer), 'Observation', '["code"]']));
  t.match(revoked, { allowed: false, code: 'GRANT_REVOKED' });

  const summary = json<{ relationshipId: string; status: string }[]>(await ledger2.evaluate(viewer, 'Summary', 'mine', []));
  t.match(summary.find((e) => e.relationshipId === id), { status: 'revoked' }, "the viewer's summary");

  // The auditor reads the full history of the record.
  const history = json<{ relationship: unknown[]; pointers: unknown[]; grants: { history: unknown[] }[] }>(
    await ledger1.evaluate(auditor, 'Relationship', 'history', [id]),
  );
  t.equal(history.relationship.length, 2, 'created, accepted');
  t.equal(history.pointers.length, 1);
  t.equal(history.grants[0]!.history.length, 2, 'granted, revoked');
  await t.rejects(ledger1.evaluate(patient, 'Relationship', 'history', [id]), { code: 'FORBIDDEN' }, 'history is for auditors');

  // Fabric's own CLI reads the same state the adapter reports.
  const viaAdapter = json<Relationship>(await ledger1.evaluate(auditor, 'Relationship', 'get', [id]));
  const viaCli = JSON.parse(await peerQuery(h1, 'auditor', ['Relationship:get', id])) as Relationship;
  t.same(viaCli, viaAdapter, '`peer chaincode query` agrees with the adapter');
  t.match(viaCli, { status: 'accepted', pointers: [{ category: 'Observation', hash: HASH_1, version: 1 }], grants: [{ status: 'revoked' }] });
  const viaCli2 = JSON.parse(await peerQuery(h2, 'auditor', ['Relationship:get', id]).catch(() => 'null'));
  t.equal(viaCli2, null, "Hospital2's auditor is not registered on the ledger, so its query is refused");

  const tx = await ledger1.getTransaction(accepted.txId);
  t.match(tx, { txId: accepted.txId, blockNumber: accepted.blockNumber, validationCode: 'VALID', creatorMspId: 'Hospital1MSP' });
  t.ok(tx!.timestamp instanceof Date && tx!.timestamp.getTime() > Date.UTC(2020, 0, 1));
  t.equal(await ledger1.getTransaction('f'.repeat(64)), undefined, 'an unknown transaction');
});

t.test('a certificate no hospital CA issued is refused by the peer itself', async (t) => {
  const ledger1 = await openLedger(network, h1);
  t.teardown(() => ledger1.close());
  const { webcrypto } = await import('node:crypto');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=intruder, OU=client',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const intruder = {
    mspId: 'Hospital1MSP',
    certificate: cert.toString('pem'),
    privateKey: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`,
  };
  await t.rejects(ledger1.evaluate(intruder, 'Registrar', 'whoami', []), { name: 'AccessDeniedError' });
  await t.rejects(ledger1.submit(intruder, 'Registrar', 'register', ['e'.repeat(64), 'intruder', 'patient']), { name: 'AccessDeniedError' });
});

t.test('state-based endorsement: only the provider’s own hospital can endorse a change to its relationship', async (t) => {
  const ledger1 = await openLedger(network, h1);
  const ledger2 = await openLedger(network, h2);
  t.teardown(() => Promise.all([ledger1.close(), ledger2.close()]));
  const provider = staffCredentials(h1, 'records-service');
  await ensureOnLedger(ledger1, staffCredentials(h1, 'registrar'), provider, 'provider');
  const patient = await newPerson(h1, ledger1, 'patient');
  // The chaincode-level policy lets any hospital endorse a new relationship...
  const created = await ledger2.submit(provider, 'Relationship', 'create', [patient.participantId, 'https://hospital1.example/gatekeeper'], {
    endorsingOrganizations: ['Hospital2MSP'],
  });
  const id = json<Relationship>(created.result).relationshipId;
  await caughtUp(ledger1, created.blockNumber);
  // ...but once written, its keys carry Hospital1's key-level policy: Hospital2's peer alone cannot
  // endorse the patient's acceptance, nor an update of a pointer.
  const refusedAccept = await ledger2
    .submit(patient, 'Relationship', 'accept', [id], { endorsingOrganizations: ['Hospital2MSP'] })
    .then(() => undefined, (error: unknown) => error);
  t.type(refusedAccept, TransactionInvalidError);
  t.equal((refusedAccept as TransactionInvalidError).validationCode, 'ENDORSEMENT_POLICY_FAILURE');
  await ledger1.submit(provider, 'Relationship', 'putPointer', [id, 'Observation', HASH_1], { endorsingOrganizations: ['Hospital1MSP'] });
  const refusedUpdate = await ledger2
    .submit(provider, 'Relationship', 'putPointer', [id, 'Observation', HASH_2], { endorsingOrganizations: ['Hospital2MSP'] })
    .then(() => undefined, (error: unknown) => error);
  t.type(refusedUpdate, TransactionInvalidError);
  t.equal((refusedUpdate as TransactionInvalidError).validationCode, 'ENDORSEMENT_POLICY_FAILURE');

  const view = json<Relationship>(await ledger1.evaluate(patient, 'Relationship', 'get', [id]));
  t.equal(view.status, 'new', 'the refused acceptance wrote nothing');
  t.match(view.pointers, [{ hash: HASH_1, version: 1 }], 'the refused update wrote nothing');
  const ok = await ledger1.submit(patient, 'Relationship', 'accept', [id], { endorsingOrganizations: ['Hospital1MSP'] });
  t.equal((await ledger1.getTransaction(ok.txId))?.validationCode, 'VALID', "the provider's own hospital endorses it");
  t.equal(
    (await ledger1.getTransaction((refusedAccept as TransactionInvalidError).txId))?.validationCode,
    'ENDORSEMENT_POLICY_FAILURE',
    'the ledger records the invalid transaction',
  );
});
