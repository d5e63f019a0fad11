/**
 * The gateway's side of revocation on Fabric (issue 9, item 1): revoking through the Fabric CA
 * adapter answers the CA's new CRL (gencrl in the revoke request, no hf.GenCRL needed), signed by
 * the hospital's CA and naming the revoked certificate — the CRL the hospital admin's channel update
 * (network/channel-admin pushCrl) carries into the MSP definition, from which the peers and every
 * gatekeeper's TrustStore refuse the certificate. The registrar's own certificate keeps working.
 */
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import t from 'tap';
import { normalSerial } from '../src/pki/certificate.js';
import { revokedSerials } from '../src/pki/crl.js';
import { hospital, loadNetwork, newPerson, openIdentity, openLedger, staffCredentials } from './network.js';

t.test('revoke at the Fabric CA answers the CRL that names the certificate', async (t) => {
  const network = loadNetwork();
  const h1 = hospital(network, 'Hospital1');
  const ledger = await openLedger(network, h1);
  t.teardown(() => ledger.close());
  const ca = openIdentity(h1);
  const person = await newPerson(h1, ledger, 'viewer');
  const revocation = await ca.revoke(staffCredentials(h1, 'registrar'), person.enrollmentId, 'keycompromise');
  t.match(revocation.crl, /-----BEGIN X509 CRL-----/, 'a PEM CRL');
  const anchors = (await ca.trustAnchors()).map((pem) => new X509Certificate(pem));
  const serials = await revokedSerials('Hospital1MSP', [revocation.crl!], anchors);
  t.ok(serials.has(normalSerial(new X509Certificate(person.certificate).serialNumber)), "signed by the hospital's CA and naming the revoked certificate");
  t.ok(new x509.X509Crl(revocation.crl!).entries.length >= 1);
  const again = await ca.revoke(staffCredentials(h1, 'registrar'), person.enrollmentId).catch((err: unknown) => err);
  t.ok(again instanceof Error || !(again as { crl?: string }).crl, 'revoking it again revokes nothing new');
});
