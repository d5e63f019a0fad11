/**
 * Chaincode operations: every hospital's peer talks to that hospital's own chaincode server, over
 * mutual TLS; `npm run fabric:upgrade-chaincode` moves the chaincode to a new version and sequence,
 * approved by each hospital with its own package, and the ledger's state is intact across it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import {
  ROOT,
  ctl,
  ensureOnLedger,
  hospital,
  json,
  loadNetwork,
  networkCommand,
  newPerson,
  openLedger,
  peerQuery,
  staffCredentials,
  type HospitalInfo,
  type NetworkInfo,
} from './network.js';

const run = promisify(execFile);

interface Connection {
  address: string;
  tls_required: boolean;
  client_auth_required: boolean;
  root_cert: string;
  client_key?: string;
}

function sequence(network: NetworkInfo, name = 'medrec'): number {
  return Number(readFileSync(join(network.dataDir, 'chaincode', name, 'sequence'), 'utf8').trim() || 1);
}

/** The connection.json inside the hospital's package of the current definition. */
function connection(network: NetworkInfo, h: HospitalInfo): Connection {
  return JSON.parse(readFileSync(join(network.dataDir, 'chaincode', 'medrec', h.key, `s${sequence(network)}`, 'pkg', 'connection.json'), 'utf8')) as Connection;
}

/** A TLS client to a chaincode server: 'accepted' if the connection is still up after the handshake and a moment more. */
function tryTls(address: string, options: ConnectionOptions): Promise<'accepted' | 'refused'> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port), servername: 'localhost', ALPNProtocols: ['h2'], ...options });
    const done = (result: 'accepted' | 'refused') => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done('refused'), 10_000);
    socket.on('error', () => done('refused'));
    socket.on('close', () => done('refused'));
    socket.on('secureConnect', () => {
      setTimeout(() => done(socket.destroyed ? 'refused' : 'accepted'), 1000);
    });
  });
}

/**
 * Whether the hospital's own peer runs the chaincode: Fabric's CLI asks that peer alone (the peer
 * Gateway service would fail over to another hospital's peer) for the contract metadata, which any
 * identity may read.
 */
async function reaches(h: HospitalInfo): Promise<boolean> {
  return peerQuery(h, 'auditor', ['org.hyperledger.fabric:GetMetadata']).then(
    (out) => JSON.parse(out).contracts !== undefined,
    () => false,
  );
}

async function committed(h: HospitalInfo): Promise<{ sequence: number; version: string; approvals: Record<string, boolean> }> {
  const { stdout } = await run(
    join(ROOT, 'network', 'peer-cli.sh'),
    [h.name, 'admin', 'lifecycle', 'chaincode', 'querycommitted', '--channelID', 'medrec', '--name', 'medrec', '-O', 'json'],
    { timeout: 60_000 },
  );
  return JSON.parse(stdout) as { sequence: number; version: string; approvals: Record<string, boolean> };
}

t.test("each hospital's peer talks to its own chaincode server, over mutual TLS", async (t) => {
  const network = loadNetwork();
  const [h1, h2] = [hospital(network, 'Hospital1'), hospital(network, 'Hospital2')];
  const c1 = connection(network, h1);
  const c2 = connection(network, h2);
  t.not(c1.address, c2.address, 'one server per hospital');
  t.match(c1, { tls_required: true, client_auth_required: true, root_cert: /BEGIN CERTIFICATE/ });
  t.notOk('client_key' in c1, 'no key travels inside the package');
  t.equal(c1.root_cert.trim(), readFileSync(h1.ca.tlsCaCert, 'utf8').trim(), "the server's certificate is checked against the hospital's own CA");

  const peerTls = (h: HospitalInfo) => join(network.dataDir, 'orgs', h.key, 'nodes', 'peer0', 'tls');
  const ca = readFileSync(h1.ca.tlsCaCert);
  const asPeer = (h: HospitalInfo) => ({ ca, cert: readFileSync(join(peerTls(h), 'server.crt')), key: readFileSync(join(peerTls(h), 'server.key')) });
  t.equal(await tryTls(c1.address, asPeer(h1)), 'accepted', "Hospital1's peer certificate is accepted");
  t.equal(await tryTls(c1.address, { ca }), 'refused', 'a client without a certificate is refused');
  t.equal(await tryTls(c1.address, asPeer(h2)), 'refused', "another hospital's certificate is refused");

  // Hospital2's chaincode server down: Hospital1's peer still runs the chaincode on its own server.
  t.ok(await reaches(h2), "Hospital2's peer runs the chaincode");
  await ctl('kill', 'chaincode', 'Hospital2');
  let restarted = false;
  t.teardown(async () => {
    if (!restarted) await ctl('start', 'chaincode', 'Hospital2');
  });
  t.notOk(await reaches(h2), "with its server killed, Hospital2's peer cannot");
  t.ok(await reaches(h1), "Hospital1's peer still runs it on Hospital1's own server");
  await ctl('start', 'chaincode', 'Hospital2');
  restarted = true;
  let back = false;
  for (let i = 0; i < 60 && !back; i++) {
    back = await reaches(h2);
    if (!back) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  t.ok(back, "Hospital2's peer reaches its restarted server");
});

t.test('upgrade: a new version and sequence, approved by every hospital, with the state intact', async (t) => {
  const network = loadNetwork();
  const h1 = hospital(network, 'Hospital1');
  const ledger = await openLedger(network, h1);
  t.teardown(() => ledger.close());
  const provider = staffCredentials(h1, 'records-service');
  await ensureOnLedger(ledger, staffCredentials(h1, 'registrar'), provider, 'provider');
  const patient = await newPerson(h1, ledger, 'patient');
  const created = await ledger.submit(provider, 'Relationship', 'create', [patient.participantId, 'https://hospital1.example/gatekeeper'], {
    endorsingOrganizations: ['Hospital1MSP'],
  });
  const id = json<{ relationshipId: string }>(created.result).relationshipId;
  await ledger.submit(provider, 'Relationship', 'putPointer', [id, 'Observation', 'e'.repeat(64)], { endorsingOrganizations: ['Hospital1MSP'] });
  const before = json<object>(await ledger.evaluate(patient, 'Relationship', 'get', [id]));

  const old = await committed(h1);
  const oldSequence = sequence(network);
  t.equal(old.sequence, oldSequence);
  const upgraded = await networkCommand<{ chaincode: string; version: string; sequence: number; packages: Record<string, string> }>(
    'upgrade-chaincode.sh',
    ['medrec'],
  );
  t.match(upgraded, { chaincode: 'medrec', sequence: oldSequence + 1 });
  t.not(upgraded.version, old.version, 'a new version');
  t.same(Object.keys(upgraded.packages).sort(), network.hospitals.map((h) => h.mspId).sort(), 'a package per hospital');
  t.equal(new Set(Object.values(upgraded.packages)).size, network.hospitals.length, "each hospital's package names its own server");

  const now = await committed(h1);
  t.match(now, { sequence: oldSequence + 1, version: upgraded.version });
  t.same(Object.keys(now.approvals).sort(), network.hospitals.map((h) => h.mspId).sort());
  t.ok(Object.values(now.approvals).every(Boolean), 'approved by every hospital');
  for (const h of network.hospitals) {
    t.notOk(existsSync(join(network.dataDir, 'pids', `cc-medrec-${h.key}-s${oldSequence}.pid`)), `${h.name}'s old server stopped`);
    t.ok(existsSync(join(network.dataDir, 'pids', `cc-medrec-${h.key}-s${oldSequence + 1}.pid`)), `${h.name}'s new server running`);
  }

  t.same(json<object>(await ledger.evaluate(patient, 'Relationship', 'get', [id])), before, 'the state written before reads the same after');
  const accepted = await ledger.submit(patient, 'Relationship', 'accept', [id], { endorsingOrganizations: ['Hospital1MSP'] });
  t.equal(json<{ status: string }>(accepted.result).status, 'accepted', 'and changes through the new version');
  const auditor = staffCredentials(h1, 'auditor');
  await ensureOnLedger(ledger, staffCredentials(h1, 'registrar'), auditor, 'auditor');
  const history = json<{ relationship: unknown[]; pointers: unknown[] }>(await ledger.evaluate(auditor, 'Relationship', 'history', [id]));
  t.equal(history.relationship.length, 2, 'history spans the upgrade: created before, accepted after');
  t.equal(history.pointers.length, 1);
});
