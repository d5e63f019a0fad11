import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DEMO_HOSPITALS } from '../../demo/index.js';
import { ConfigError, loadConfig } from '../../src/system/config.js';
import { persistentSecret } from '../../src/system/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'medrec-config-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('defaults: two embedded hospitals with seeded SQLite EHRs', async (t) => {
  const c = loadConfig({});
  t.equal(c.ledger.adapter, 'embedded');
  t.same(c.hospitals.map((h) => [h.mspId, h.port, h.identity.adapter, h.ehr.adapter, h.ehr.demoSeed]), [
    ['Hospital1MSP', 3001, 'embedded', 'sqlite', 'hospital1'],
    ['Hospital2MSP', 3002, 'embedded', 'sqlite', 'hospital2'],
  ]);
  t.match(c.hospitals[0]!.ehr.mappingFile, /gateway\/config\/hospitals\/hospital1\/mapping\.json$/);
  t.equal(c.sessionTtlSeconds, 900);
  t.equal(c.certificateCacheSize, 50_000, 'the gatekeeper keeps 50,000 verified certificates unless told otherwise');
});

t.test('a JSON file, then the environment, override the defaults', async (t) => {
  const file = join(dir, 'medrec.json');
  writeFileSync(file, JSON.stringify({ sessionTtlSeconds: 60, logLevel: 'warn', hospitals: [{ port: 4000 }, { port: 4001 }] }));
  const c = loadConfig({ MEDREC_CONFIG: file, MEDREC_LOG_LEVEL: 'debug', MEDREC_JWT_SECRET_HOSPITAL2MSP: 's'.repeat(32) });
  t.equal(c.sessionTtlSeconds, 60);
  t.equal(c.logLevel, 'debug', 'env beats the file');
  t.same(c.hospitals.map((h) => h.publicUrl), ['https://127.0.0.1:4000', 'https://127.0.0.1:4001'], 'HTTPS by default');
  t.equal(c.tls, true);
  t.equal(c.hospitals[1]!.jwtSecret, 's'.repeat(32));
  const sized = join(dir, 'sized.json');
  writeFileSync(sized, JSON.stringify({ certificateCacheSize: 20_000 }));
  t.equal(loadConfig({ MEDREC_CONFIG: sized }).certificateCacheSize, 20_000);
  t.equal(loadConfig({ MEDREC_CONFIG: sized, MEDREC_CERTIFICATE_CACHE: '200000' }).certificateCacheSize, 200_000, 'env beats the file');
  const plain = loadConfig({ MEDREC_CONFIG: file, MEDREC_TLS: 'false' });
  t.equal(plain.tls, false);
  t.same(plain.hospitals.map((h) => h.publicUrl), ['http://127.0.0.1:4000', 'http://127.0.0.1:4001'], 'MEDREC_TLS=false: plain HTTP');
});

t.test("a network.json hospital's gateway serves the TLS certificate its Fabric CA issued", async (t) => {
  const file = join(dir, 'network.json');
  const peer = { endpoint: '127.0.0.1:7051', tlsCaCert: '/n/tlsca.pem' };
  writeFileSync(file, JSON.stringify({
    channel: 'medrec',
    chaincode: 'medrec',
    hospitals: [{
      name: 'Hospital1', key: 'hospital1', mspId: 'Hospital1MSP', gatewayPort: 3001, gatewayUrl: 'https://gateway.hospital1.medrec.test:3001', peer,
      ca: { url: 'https://127.0.0.1:7054', caName: 'ca-hospital1', tlsCaCert: '/n/ca.pem' },
      gatewayTls: { certificate: '/n/gateway/server.crt', privateKey: '/n/gateway/server.key' },
      users: {},
    }],
  }));
  const c = loadConfig({ MEDREC_FABRIC_NETWORK: file, MEDREC_DATA_DIR: dir });
  t.equal(c.hospitals[0]!.publicUrl, 'https://gateway.hospital1.medrec.test:3001');
  t.same(c.hospitals[0]!.tls, { certFile: '/n/gateway/server.crt', keyFile: '/n/gateway/server.key' });
  const plain = loadConfig({ MEDREC_FABRIC_NETWORK: file, MEDREC_DATA_DIR: dir, MEDREC_TLS: 'false' });
  t.equal(plain.hospitals[0]!.publicUrl, 'http://gateway.hospital1.medrec.test:3001');
  t.equal(plain.hospitals[0]!.tls, undefined);
});

t.test('bad configuration is refused at start', async (t) => {
  t.throws(() => loadConfig({ MEDREC_LEDGER: 'ethereum' }), ConfigError);
  t.throws(() => loadConfig({ MEDREC_JWT_SECRET_HOSPITAL1MSP: 'short' }), ConfigError);
  t.throws(() => loadConfig({ MEDREC_PORT: '-1' }), ConfigError);
  t.throws(() => loadConfig({ MEDREC_CERTIFICATE_CACHE: '0' }), ConfigError, 'a certificate cache of nothing');
  t.throws(() => loadConfig({}, { hospitals: [{ mspId: 'A' }, { mspId: 'A' }] }), ConfigError, 'duplicate mspIds');
  t.throws(() => loadConfig({}, { hospitals: [{ identity: { adapter: 'fabric-ca' } as never }] }), ConfigError, 'fabric-ca without options');
});

t.test("a Fabric network's network.json becomes the ledger and identity configuration", async (t) => {
  const file = join(dir, 'network.json');
  writeFileSync(
    file,
    JSON.stringify({
      channel: 'medrec',
      chaincode: 'medrec',
      hospitals: [
        {
          name: 'Hospital1',
          key: 'hospital1',
          mspId: 'Hospital1MSP',
          gatewayPort: 27105,
          peer: { endpoint: '127.0.0.1:27100', tlsCaCert: '/p/tls.pem', hostAlias: 'localhost' },
          ca: { url: 'https://127.0.0.1:27103', caName: 'ca-hospital1', tlsCaCert: '/p/ca.pem' },
          users: { registrar: { certificate: '/u/r.pem', privateKey: '/u/r.key' } },
        },
      ],
    }),
  );
  const c = loadConfig({ MEDREC_FABRIC_NETWORK: file, MEDREC_DATA_DIR: dir });
  t.same(c.ledger, { adapter: 'fabric', options: { channel: 'medrec', chaincode: 'medrec' } });
  const h = c.hospitals[0]!;
  t.equal(c.hospitals.length, 1);
  t.match(h, {
    mspId: 'Hospital1MSP',
    port: 27105,
    dataDir: join(dir, 'hospital1'),
    fabric: { peerEndpoint: '127.0.0.1:27100', tlsRootCertFile: '/p/tls.pem', hostAlias: 'localhost' },
    identity: {
      adapter: 'fabric-ca',
      options: { url: 'https://127.0.0.1:27103', caName: 'ca-hospital1', staff: { registrar: { certificateFile: '/u/r.pem', privateKeyFile: '/u/r.key' } } },
    },
  });
});

t.test('network.json hospitals after the first two: the demo hospital3 is seeded, another hospital is not', async (t) => {
  const file = join(dir, 'network3.json');
  const member = (n: number) => ({
    name: `Hospital${n}`,
    key: `hospital${n}`,
    mspId: `Hospital${n}MSP`,
    gatewayPort: 27005 + 100 * n,
    peer: { endpoint: `127.0.0.1:${27000 + 100 * n}`, tlsCaCert: '/p/tls.pem' },
    ca: { url: `https://127.0.0.1:${27003 + 100 * n}`, caName: `ca-hospital${n}`, tlsCaCert: '/p/ca.pem' },
    users: {},
  });
  writeFileSync(file, JSON.stringify({ channel: 'medrec', chaincode: 'medrec', hospitals: [1, 2, 3, 9].map(member) }));
  // Which hospitals have demo data is the demo's knowledge, handed in by the entry point.
  const c = loadConfig({ MEDREC_FABRIC_NETWORK: file, MEDREC_DATA_DIR: dir }, {}, { demoSeeds: DEMO_HOSPITALS });
  t.same(c.hospitals.map((h) => h.ehr.demoSeed), ['hospital1', 'hospital2', 'hospital3', undefined]);
  t.match(c.hospitals[2]!.ehr.mappingFile, /gateway\/config\/hospitals\/hospital3\/mapping\.json$/);
  t.match(c.hospitals[3]!.ehr.mappingFile, /gateway\/config\/hospitals\/hospital9\/mapping\.json$/);
  t.same(c.hospitals.map((h) => h.port), [27105, 27205, 27305, 27905]);
});

t.test('generated secrets are kept and reused, private to the owner', async (t) => {
  const file = join(dir, 'sub', 'jwt.secret');
  const first = persistentSecret(file);
  t.ok(first.length >= 40);
  t.equal(persistentSecret(file), first, 'the same secret on the next start');
  t.equal(persistentSecret(file, 'configured'), 'configured', 'configuration wins');
  const { statSync } = await import('node:fs');
  t.equal(statSync(file).mode & 0o777, 0o600);
});

t.test('a configuration file is checked against its schema: the file and every bad path are named', async (t) => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ sessionTtlSeconds: 'soon', logLevel: 'loud', hospitals: [{ port: 70000, colour: 'blue' }], extra: true }));
  const err = t.throws(() => loadConfig({ MEDREC_CONFIG: file }), ConfigError) as Error;
  t.match(err.message, file, 'names the file');
  for (const path of ['/sessionTtlSeconds', '/logLevel', '/hospitals/0/port', '/hospitals/0/colour', '/extra']) t.match(err.message, path);
  writeFileSync(file, '{ not json');
  t.throws(() => loadConfig({ MEDREC_CONFIG: file }), { name: 'ConfigError', message: /cannot read the configuration file/ });
});

t.test('the merged configuration is checked as a whole', async (t) => {
  t.throws(() => loadConfig({ MEDREC_LOG_LEVEL: 'chatty' }), { name: 'ConfigError', message: /\/logLevel/ });
  t.throws(() => loadConfig({}, { hospitals: [{ publicUrl: 'ftp://x' }] }), { name: 'ConfigError', message: /publicUrl/ });
});
