import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Problem } from '../../src/services/problem.js';
import { loadConfig } from '../../src/system/config.js';
import { openIdentity } from '../../src/system/identity.js';

// The configuration path `network/gateway.sh` takes: network.json cut down to the gateway's own
// hospital, with the CA admin's identity only when the network was started with --demo-users.
const dir = mkdtempSync(join(tmpdir(), 'medrec-ca-admin-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const pem = join(dir, 'ca.pem');
writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n');
const user = (name: string) => {
  writeFileSync(join(dir, `${name}.pem`), `certificate of ${name}`);
  writeFileSync(join(dir, `${name}.key`), `key of ${name}`);
  return { certificate: join(dir, `${name}.pem`), privateKey: join(dir, `${name}.key`) };
};

function hospitalFrom(users: string[]) {
  const file = join(dir, `network-${users.length}.json`);
  const hospital = {
    name: 'Hospital1',
    key: 'hospital1',
    mspId: 'Hospital1MSP',
    gatewayPort: 27105,
    peer: { endpoint: '127.0.0.1:27100', tlsCaCert: pem },
    ca: { url: 'https://127.0.0.1:27103', caName: 'ca-hospital1', tlsCaCert: pem },
    users: Object.fromEntries(users.map((u) => [u, user(u)])),
  };
  writeFileSync(file, JSON.stringify({ channel: 'medrec', chaincode: 'medrec', hospitals: [hospital] }));
  return loadConfig({ MEDREC_FABRIC_NETWORK: file, MEDREC_DATA_DIR: dir, MEDREC_SEED_DEMO: 'false' }).hospitals[0]!;
}

t.test('plain fabric:up (no ca-admin): the identity opens, staff administration answers 503 CA_ADMIN_UNAVAILABLE', async (t) => {
  const ca = await openIdentity(hospitalFrom(['registrar', 'records-service']));
  t.equal(ca.hasCaAdmin, false, 'nothing may ask for the CA admin at start');
  t.same(Object.keys(ca.provisioned).sort(), ['records-service', 'registrar']);
  const err = await ca.caAdmin(undefined as never, undefined as never).catch((e: unknown) => e);
  t.ok(err instanceof Problem, 'a problem, not a configuration error that stops the gateway');
  t.match(err, { status: 503, code: 'CA_ADMIN_UNAVAILABLE' });
});

t.test('fabric:up --demo-users (with ca-admin): its credentials are the CA admin', async (t) => {
  const ca = await openIdentity(hospitalFrom(['registrar', 'records-service', 'ca-admin']));
  t.equal(ca.hasCaAdmin, true);
  t.match(await ca.caAdmin(undefined as never, undefined as never), { mspId: 'Hospital1MSP', enrollmentId: 'ca-admin', certificate: 'certificate of ca-admin', privateKey: 'key of ca-admin' });
});
