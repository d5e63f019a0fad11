/**
 * The linkage test of issue 14 on a real Fabric network (docs/privacy.md, "The linkage test"): the
 * same attacker as on the embedded ledger (test/support/curious-hospital.ts) plays Hospital 2. It
 * reads every block of the channel from its own peer (qscc GetBlockByNumber, as its admin), rebuilds
 * the world state and its history from the blocks' write sets, holds its gateway's external-id index
 * key and what its gateway knows of its own patients, and asks the same three questions. The people
 * are made through the product's REST routes of the two gateways fabric:up started.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { IndexKey } from '@medrec/client/protocol';
import t from 'tap';
import { DEMO_REGISTRAR_PASSWORD } from '../demo/index.js';
import { login, ok } from '../demo/json-client.js';
import { demoPatients } from '../demo/seed/population.js';
import { opensslEcdhX } from '../src/services/registrar/native-ecdh.js';
import { copyFabricBlocks, CuriousHospital } from '../test/support/curious-hospital.js';
import { hospital, loadNetwork, staffCredentials, uniqueName, type HospitalInfo, type NetworkInfo } from './network.js';
import { activatedPatient } from './patients.js';

const KIND = 'national-id';

/** Every block of the channel, from `h`'s own peer, read as its admin (what any member's peer serves its org). */
async function readBlocks(network: NetworkInfo, h: HospitalInfo): Promise<Uint8Array[]> {
  const admin = staffCredentials(h, 'admin');
  const client = new grpc.Client(h.peer.endpoint, grpc.credentials.createSsl(readFileSync(h.peer.tlsCaCert)), {
    ...(h.peer.hostAlias ? { 'grpc.ssl_target_name_override': h.peer.hostAlias } : {}),
  });
  const gateway = connect({
    client,
    identity: { mspId: admin.mspId, credentials: Buffer.from(admin.certificate) },
    signer: signers.newPrivateKeySigner(createPrivateKey(admin.privateKey)),
    hash: hash.sha256,
  });
  try {
    const qscc = gateway.getNetwork(network.channel).getContract('qscc');
    const height = common.BlockchainInfo.deserializeBinary(await qscc.evaluateTransaction('GetChainInfo', network.channel)).getHeight();
    const blocks: Uint8Array[] = [];
    for (let n = 0; n < height; n++) blocks.push(await qscc.evaluateTransaction('GetBlockByNumber', network.channel, String(n)));
    return blocks;
  } finally {
    gateway.close();
    client.close();
  }
}

t.test('a curious member hospital with the whole Fabric channel', async (t) => {
  const network = loadNetwork();
  const [h1, h2] = [hospital(network, 'Hospital1'), hospital(network, 'Hospital2')];
  const [g1, g2] = [h1.gatewayUrl, h2.gatewayUrl];
  const [registrar1, registrar2] = await Promise.all([login(g1, 'registrar', DEMO_REGISTRAR_PASSWORD), login(g2, 'registrar', DEMO_REGISTRAR_PASSWORD)]);
  const [ada, grey] = await Promise.all([login(g1, 'dr-ada', 'dr-ada-demo-pass'), login(g2, 'dr-grey', 'dr-grey-demo-pass')]);

  // Alice: at home at Hospital 1, with a chart at both. Carol: Hospital 1 only. Bob: at home at Hospital 2.
  const charts1 = demoPatients('hospital1');
  const shared = charts1.filter((p) => p.alsoAt);
  const alice = await activatedPatient(g1, registrar1, shared, uniqueName('alice'));
  const carol = await activatedPatient(g1, registrar1, charts1.filter((p) => !p.alsoAt), uniqueName('carol'));
  const bob = await activatedPatient(g2, registrar2, demoPatients('hospital2').filter((p) => !p.alsoAt), uniqueName('bob'));
  const relate = async (gateway: string, token: string, patientId: string, mrn: string) =>
    (await ok(gateway, 'POST', '/relationships', token, { patientId, mrn })).relationshipId as string;
  await relate(g1, ada, alice.participantId, alice.mrn);
  await relate(g1, ada, carol.participantId, carol.mrn);
  // Hospital 2 finds Alice from the national id on its own chart: a blinded lookup at her home's gatekeeper.
  const aliceAtH2 = (await ok(g2, 'POST', '/registrar/resolve', grey, { externalIdKind: KIND, externalId: alice.externalId })).participantId as string;
  t.equal(aliceAtH2, alice.participantId, 'Hospital 2 resolved her home participant');
  const aliceH2Chart = shared.find((p) => p.externalId === alice.externalId)!.alsoAt!.mrn;
  const aliceRelAtH2 = await relate(g2, grey, aliceAtH2, aliceH2Chart);
  const bobRel = await relate(g2, grey, bob.participantId, bob.mrn);

  const copy = copyFabricBlocks(await readBlocks(network, h2), network.chaincode);
  const attacker = new CuriousHospital(copy, {
    mspIds: [h1.mspId, h2.mspId],
    indexKey: new IndexKey(readFileSync(join(network.dataDir, 'gateway', h2.key, 'external-id.key'), 'utf8').trim(), opensslEcdhX),
    externalIdKind: KIND,
    ownPatients: new Map([['alice (treated here)', aliceAtH2], ['bob (account here)', bob.participantId]]),
    ownRelationships: new Set([aliceRelAtH2, bobRel]),
  });
  t.ok(copy.transactions.length > 0 && copy.state.size > 0, 'the attacker holds every block and the state they build');

  t.test('(a) usernames: not in any certificate, transaction, state value or identity id', async (t) => {
    const usernames = [alice, carol, bob].map((p) => p.username);
    const guessed = attacker.guessUsernames([...usernames, 'dave.miller', 'patient1', 'alice', 'carol']);
    t.same(guessed.inCertificates, [], 'no certificate names a patient');
    t.same(guessed.inTransactions, [], 'no transaction, state value or history value holds a username');
    t.same(guessed.byIdentityId, [], 'no identity id is sha256(mspId/username) of a guessed username');
  });

  t.test('(a) plain identifiers: the national ids are nowhere in the clear', async (t) => {
    const everything = Buffer.concat([...copy.transactions, ...copy.state.values(), ...copy.history]).toString('latin1');
    for (const p of [alice, carol, bob]) t.notOk(everything.includes(p.externalId), `${p.externalId} is not on the channel in the clear`);
  });

  t.test('(a) national ids: the external-id index cannot be brute-forced offline by another member', async (t) => {
    const format = Array.from({ length: 900 }, (_, area) => `SYN-${area + 100}-000001`);
    const real = [...charts1, ...demoPatients('hospital2')].map((p) => p.externalId);
    const found = attacker.bruteForceNationalIds([...format, ...real]);
    t.notOk(found.has(carol.externalId), "Carol's national id (a patient of Hospital 1 only) is not recovered");
    t.notOk(found.has(alice.externalId), "nor Alice's: her entry is under her home's key");
    t.equal(found.get(bob.externalId), bob.participantId, 'only its own patients, registered under its own key, are found');
    t.ok([...found.values()].every((pid) => pid !== alice.participantId && pid !== carol.participantId), "no entry of Hospital 1's");
  });

  t.test('(b) STILL VISIBLE (docs/privacy.md): a patient has one ledger id, so her relationships at both hospitals are linked', async (t) => {
    const linked = attacker.linkAcrossHospitals();
    t.same([...(linked.get(alice.participantId) ?? [])].sort(), [h1.mspId, h2.mspId], "Alice's relationships at Hospital 1 and Hospital 2 name the same participant");
    t.notOk(linked.has(carol.participantId), 'a patient of one hospital is not linked to another');
  });

  t.test('(c) STILL VISIBLE (docs/privacy.md): Hospital 2 tells that a patient it treats has relationships elsewhere', async (t) => {
    const elsewhere = attacker.elsewhere(h2.mspId);
    t.same(elsewhere.get('alice (treated here)'), [h1.mspId], 'Alice is seen to be a patient of Hospital 1 too');
    t.notOk(elsewhere.has('bob (account here)'), 'Bob, treated here only, is not seen elsewhere');
  });
});
