/**
 * Revocation reaches the peers (issue 9, item 1, network side). An identity is enrolled, revoked at
 * its hospital's Fabric CA, and `network/push-crl.sh <Hospital>` puts the CA's CRL into the
 * hospital's MSP definition in the channel configuration, signed by that hospital's admin alone:
 * from the next transaction on, every hospital's peer refuses the revoked certificate, while the
 * hospital's other identities go on working. The same through the Node module
 * network/channel-admin (`@medrec/channel-admin`), which needs no Fabric binaries.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { AccessDeniedError } from '../src/ports/ledger.js';
import { hospital, json, loadNetwork, networkCommand, newPerson, openIdentity, openLedger, staffCredentials } from './network.js';

interface CrlPushed {
  hospital: string;
  mspId: string;
  revokedSerials: string[];
  crlSha256: string;
  thisUpdate: string;
  blockNumber: number;
  unchanged: boolean;
}

/** Hospital1 and Hospital2 with a ledger connection to each one's peer, closed at the test's end. */
async function twoHospitals(t: Test) {
  const network = loadNetwork();
  const h1 = hospital(network, 'Hospital1');
  const h2 = hospital(network, 'Hospital2');
  const ledger1 = await openLedger(network, h1);
  const ledger2 = await openLedger(network, h2);
  t.teardown(() => Promise.all([ledger1.close(), ledger2.close()]));
  return { network, h1, h2, ledger1, ledger2 };
}

const serial = (hex: string) => hex.toLowerCase().replace(/^0+/, '');

t.test('a certificate revoked at the CA is refused by the peers once its CRL is pushed to the channel', async (t) => {
  const { h1, ledger1, ledger2 } = await twoHospitals(t);

  const viewer = await newPerson(h1, ledger1, 'viewer');
  const colleague = await newPerson(h1, ledger1, 'viewer');
  t.match(json(await ledger1.evaluate(viewer, 'Registrar', 'whoami', [])), { role: 'viewer' }, 'the peer accepts the viewer');

  await openIdentity(h1).revoke(staffCredentials(h1, 'admin'), viewer.enrollmentId, 'keycompromise');
  t.match(
    json(await ledger1.evaluate(viewer, 'Registrar', 'whoami', [])),
    { role: 'viewer' },
    'revoked at the CA only: the peers do not know yet (the gap push-crl closes)',
  );

  const pushed = await networkCommand<CrlPushed>('push-crl.sh', ['Hospital1']);
  t.match(pushed, { hospital: 'Hospital1', mspId: 'Hospital1MSP', unchanged: false, crlSha256: /^[0-9a-f]{64}$/ });
  t.ok(pushed.blockNumber > 0, `configuration block ${pushed.blockNumber}`);
  t.ok(pushed.revokedSerials.map(serial).includes(serial(new X509Certificate(viewer.certificate).serialNumber)), "the CRL lists the viewer's certificate");
  t.notOk(pushed.revokedSerials.map(serial).includes(serial(new X509Certificate(colleague.certificate).serialNumber)));

  await t.rejects(ledger1.evaluate(viewer, 'Registrar', 'whoami', []), AccessDeniedError, "Hospital1's peer refuses a query signed with it");
  await t.rejects(ledger2.evaluate(viewer, 'Registrar', 'whoami', []), AccessDeniedError, "so does Hospital2's peer: the CRL is the channel's");
  await t.rejects(
    ledger1.submit(viewer, 'Summary', 'mine', []),
    AccessDeniedError,
    'and a transaction signed with it',
  );
  t.match(json(await ledger1.evaluate(colleague, 'Registrar', 'whoami', [])), { role: 'viewer' }, "the hospital's other identities still work");

  const again = await networkCommand<CrlPushed>('push-crl.sh', ['Hospital1']);
  t.match(again, { unchanged: true, crlSha256: pushed.crlSha256 }, 'the same CRL again changes nothing');
});

t.test('the same from Node without Fabric binaries: @medrec/channel-admin, as a gateway would call it', async (t) => {
  const { generateCrl, pushCrl, ChannelAdminError } = await import('@medrec/channel-admin');
  const { network, h1, h2, ledger1, ledger2 } = await twoHospitals(t);
  const endpoint = (e: { endpoint: string; tlsCaCert: string }) => ({ endpoint: e.endpoint, tlsRootCert: readFileSync(e.tlsCaCert, 'utf8'), hostAlias: 'localhost' });
  const admin = staffCredentials(h2, 'admin');

  const viewer = await newPerson(h2, ledger2, 'viewer');
  await openIdentity(h2).revoke(admin, viewer.enrollmentId, 'keycompromise');
  const crlPem = await generateCrl({ url: h2.ca.url, caName: h2.ca.caName, tlsRootCert: readFileSync(h2.ca.tlsCaCert, 'utf8') }, admin);
  t.match(crlPem, /BEGIN X509 CRL/);
  await t.rejects(
    generateCrl({ url: h2.ca.url, caName: h2.ca.caName, tlsRootCert: readFileSync(h2.ca.tlsCaCert, 'utf8') }, staffCredentials(h2, 'auditor')),
    ChannelAdminError,
    'only an identity with hf.GenCRL gets the CRL',
  );

  const options = {
    channel: network.channel,
    admin,
    crlPem,
    peer: endpoint(h2.peer),
    orderer: endpoint(h2.orderer),
    waitFor: network.hospitals.filter((h) => h.name !== h2.name).map((h) => endpoint(h.peer)),
  };
  await t.rejects(
    pushCrl({ ...options, mspId: 'Hospital2MSP', admin: staffCredentials(h1, 'admin') }),
    { name: 'ChannelAdminError', code: 'FORBIDDEN' },
    "another hospital's admin cannot change Hospital2's MSP: the orderer refuses",
  );
  await t.rejects(
    pushCrl({ ...options, admin: staffCredentials(h1, 'admin') }),
    { name: 'ChannelAdminError', code: 'INVALID_ARGUMENT' },
    "nor put Hospital2's CRL into its own",
  );
  t.match(json(await ledger2.evaluate(viewer, 'Registrar', 'whoami', [])), { role: 'viewer' }, 'so the peers still accept the certificate');

  const pushed = await pushCrl(options);
  t.match(pushed, { mspId: 'Hospital2MSP', unchanged: false });
  t.ok(pushed.revokedSerials.includes(serial(new X509Certificate(viewer.certificate).serialNumber)));
  await t.rejects(ledger2.evaluate(viewer, 'Registrar', 'whoami', []), AccessDeniedError, "Hospital2's peer refuses it");
  await t.rejects(ledger1.evaluate(viewer, 'Registrar', 'whoami', []), AccessDeniedError, "so does Hospital1's");
  const again = await pushCrl({ ...options, crlPem: await generateCrl({ url: h2.ca.url, caName: h2.ca.caName, tlsRootCert: readFileSync(h2.ca.tlsCaCert, 'utf8') }, admin) });
  t.match(again, { unchanged: true, configSequence: pushed.configSequence });
});
