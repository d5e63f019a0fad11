/**
 * The linkage test of issue 14 on a real Fabric network (docs/privacy.md, "The linkage test"): the
 * same attacker as on the embedded ledger (test/support/curious-hospital.ts) plays Hospital 2. It
 * reads every block of the channel from its own peer (qscc GetBlockByNumber, as its admin), rebuilds
 * the world state and its history from the blocks' write sets, holds its gateway's external-id index
 * key and what its gateway knows of its own patients, and asks the same three questions. The people
 * are made through the product's REST routes of the two gateways fabric:up started; a patient treated
 * at both hospitals has each relationship under a delegate its hospital's registrar registers for its
 * chart (docs/privacy.md §3), redeemed and signed for on her device (@medrec/client).
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { IndexKey } from '@medrec/client/protocol';
import t from 'tap';
import { GatewayClient, Wallet, enrolDelegate, intentFor, login as deviceLogin, signerFor, submitTransaction } from '@medrec/client';
import { DEMO_REGISTRAR_PASSWORD } from '../demo/index.js';
import { call, login, ok } from '../demo/json-client.js';
import { demoPatients } from '../demo/seed/population.js';
import { opensslEcdhX } from '../src/services/registrar/native-ecdh.js';
import { copyFabricBlocks, CuriousHospital } from '../test/support/curious-hospital.js';
import { hospital, loadNetwork, staffCredentials, uniqueName, type HospitalInfo, type NetworkInfo } from './network.js';
import { activatedPatient, delegateRelationship } from './patients.js';

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
  const relate = async (gateway: string, token: string, patientId: string, mrn: string) =>
    (await ok(gateway, 'POST', '/relationships', token, { patientId, mrn })).relationshipId as string;
  /** Her identity for one relationship: the hospital's registrar registers it for its chart, her device redeems the code with a key of its own. */
  const wallet = await Wallet.fromPhrase(Wallet.newPhrase());
  const delegateOf = async (gateway: string, registrarToken: string, mrn: string) => {
    const issued = await ok(gateway, 'POST', '/registrar/delegates', registrarToken, { mrn });
    const device = new GatewayClient(gateway);
    return { issued, device, identity: await enrolDelegate(wallet, device, issued.code as string) };
  };
  /** She accepts signing as that delegate on her device: its certificate is in a block. */
  const accept = async (d: Awaited<ReturnType<typeof delegateOf>>, relationshipId: string) => {
    await deviceLogin(d.identity, d.device);
    const accepted = await submitTransaction(d.device, signerFor(d.identity), intentFor(d.identity, 'Relationship', 'accept', [relationshipId]));
    if (accepted.status !== 'VALID') throw new Error(`accept → ${accepted.status}`);
  };

  // Alice: at home at Hospital 1, with a chart at both, treated at each under a delegate. Carol:
  // Hospital 1 only (her home identity). Bob: at home at Hospital 2, treated there under his home identity.
  // Erin, the control: at home at Hospital 1 and treated there under her home identity, treated at
  // Hospital 2 under its delegate (an account there, the custodial path), and she grants one viewer
  // on both relationships: what docs/privacy.md says stays visible (the grants name the viewer).
  const charts1 = demoPatients('hospital1');
  const shared = charts1.filter((p) => p.alsoAt);
  const alice = await activatedPatient(g1, registrar1, shared, uniqueName('alice'));
  const carol = await activatedPatient(g1, registrar1, charts1.filter((p) => !p.alsoAt), uniqueName('carol'));
  const bob = await activatedPatient(g2, registrar2, demoPatients('hospital2').filter((p) => !p.alsoAt), uniqueName('bob'));
  const aliceD1 = await delegateOf(g1, registrar1, alice.mrn);
  const aliceRelAtH1 = await relate(g1, ada, aliceD1.issued.participantId as string, alice.mrn);
  await accept(aliceD1, aliceRelAtH1);
  await relate(g1, ada, carol.participantId, carol.mrn);
  // Knowing her national id from its own chart, Hospital 2 may look her up at her home (blinded, signed, audited).
  const aliceHome = (await ok(g2, 'POST', '/registrar/resolve', grey, { externalIdKind: KIND, externalId: alice.externalId })).participantId as string;
  const aliceH2Chart = shared.find((p) => p.externalId === alice.externalId)!.alsoAt!.mrn;
  const aliceD2 = await delegateOf(g2, registrar2, aliceH2Chart);
  const aliceAtH2 = aliceD2.issued.participantId as string;
  const aliceRelAtH2 = await relate(g2, grey, aliceAtH2, aliceH2Chart);
  await accept(aliceD2, aliceRelAtH2);
  const bobRel = await relate(g2, grey, bob.participantId, bob.mrn);
  const erin = await activatedPatient(g1, registrar1, shared.filter((p) => p.externalId !== alice.externalId), uniqueName('erin'));
  const erinRelAtH1 = await relate(g1, ada, erin.participantId, erin.mrn);
  const erinH2Chart = shared.find((p) => p.externalId === erin.externalId)!.alsoAt!.mrn;
  // The old way, her home id at Hospital 2, is refused: nothing is written (asserted on the attacker's copy below).
  const erinByHomeId = await call(g2, 'POST', '/relationships', grey, { patientId: erin.participantId, mrn: erinH2Chart });
  const erinAt2 = await delegateRelationship(g2, registrar2, grey, [erinH2Chart]);
  const erinRelAtH2 = erinAt2.relationshipId;
  const erinHome = await login(g1, erin.username, erin.password);
  const victor = await login(g1, 'victor', 'victor-demo-pass');
  const victorId = (await ok(g1, 'GET', '/me', victor)).participantId as string;
  const grant = { viewerId: victorId, items: [{ category: 'Observation', fields: ['code'] }], validUntil: new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'), purpose: 'FAMRQT' };
  for (const [gateway, token, rel] of [[g1, erinHome, erinRelAtH1], [g2, erinAt2.token, erinRelAtH2]] as const) {
    await ok(gateway, 'POST', `/relationships/${rel}/accept`, token);
    await ok(gateway, 'POST', `/relationships/${rel}/grants`, token, grant);
  }

  // Hospital 2's peer holds every block up to its own last write, so every write above.
  const copy = copyFabricBlocks(await readBlocks(network, h2), network.chaincode);
  const attacker = new CuriousHospital(copy, {
    mspIds: [h1.mspId, h2.mspId],
    indexKey: new IndexKey(readFileSync(join(network.dataDir, 'gateway', h2.key, 'external-id.key'), 'utf8').trim(), opensslEcdhX),
    externalIdKind: KIND,
    // what Hospital 2's gateway knows: its own account (Bob) and the patients it treats (Alice, Bob, Erin)
    ownPatients: new Map([['alice (treated here)', aliceAtH2], ['bob (account here)', bob.participantId], ['erin (treated here)', erinAt2.participantId]]),
    ownRelationships: new Set([aliceRelAtH2, bobRel, erinRelAtH2]),
  });
  t.ok(copy.transactions.length > 0 && copy.state.size > 0, 'the attacker holds every block and the state they build');

  t.test('(a) usernames: not in any certificate, transaction, state value or identity id', async (t) => {
    const usernames = [alice, carol, bob, erin].map((p) => p.username);
    const guessed = attacker.guessUsernames([...usernames, 'dave.miller', 'patient1', 'alice', 'carol']);
    t.same(guessed.inCertificates, [], 'no certificate names a patient');
    t.same(guessed.inTransactions, [], 'no transaction, state value or history value holds a username');
    t.same(guessed.byIdentityId, [], 'no identity id is sha256(mspId/username) of a guessed username');
    const names = attacker.certificateNames();
    t.ok(names.has(aliceD1.issued.enrollmentId as string) && names.has(aliceD2.issued.enrollmentId as string), "the delegates' certificates in the blocks name opaque enrollment ids");
    for (const d of [aliceD1, aliceD2]) t.match(d.issued.enrollmentId, /^e[0-9a-f]{32}$/);
  });

  t.test('(a) plain identifiers: the national ids are nowhere in the clear', async (t) => {
    const everything = Buffer.concat([...copy.transactions, ...copy.state.values(), ...copy.history]).toString('latin1');
    for (const p of [alice, carol, bob, erin]) t.notOk(everything.includes(p.externalId), `${p.externalId} is not on the channel in the clear`);
  });

  t.test('(a) national ids: the external-id index cannot be brute-forced offline by another member', async (t) => {
    const format = Array.from({ length: 900 }, (_, area) => `SYN-${area + 100}-000001`);
    const real = [...charts1, ...demoPatients('hospital2')].map((p) => p.externalId);
    const found = attacker.bruteForceNationalIds([...format, ...real]);
    t.notOk(found.has(carol.externalId), "Carol's national id (a patient of Hospital 1 only) is not recovered");
    t.notOk(found.has(alice.externalId), "nor Alice's: her entry is under her home's key");
    t.notOk(found.has(erin.externalId), "nor Erin's, though Hospital 2 treats her");
    t.equal(found.get(bob.externalId), bob.participantId, 'only its own patients, registered under its own key, are found');
    t.ok([...found.values()].every((pid) => ![alice, carol, erin].some((p) => p.participantId === pid)), "no entry of Hospital 1's");
  });

  t.test("(b) linking across hospitals fails under delegates: each of Alice's relationships names its own delegate", async (t) => {
    const linked = attacker.linkAcrossHospitals();
    for (const p of [alice.participantId, aliceD1.issued.participantId as string, aliceAtH2, carol.participantId, bob.participantId, erin.participantId, erinAt2.participantId]) {
      t.notOk(linked.has(p), `${p.slice(0, 12)}… has relationships at one hospital at most`);
    }
    t.same(attacker.tiedElsewhere(aliceRelAtH2), [], "nothing ties Alice's relationship at Hospital 2 to one elsewhere");
    // The control (docs/privacy.md, "Still visible" 2): the same attacker links Erin's two relationships
    // through the viewer she granted on both.
    t.same(attacker.tiedElsewhere(erinRelAtH2), [{ id: erinRelAtH1, mspId: h1.mspId }], "Erin's relationships, granted to one viewer, are linked through him");
    // Her home id at Hospital 2 was refused, and left nothing on the channel.
    t.same([erinByHomeId.status, erinByHomeId.json.code], [403, 'DELEGATE_REQUIRED'], 'her home id is refused at Hospital 2');
    t.same(attacker.participant(erin.participantId).relationships, [h1.mspId], 'her home id names her home relationship only');
    t.not(aliceD1.issued.participantId, aliceAtH2, "Alice's delegates are two participants");
    const byPatient = new Map(attacker.relationships().map((r) => [r.id, r.patient]));
    t.equal(byPatient.get(aliceRelAtH1), aliceD1.issued.participantId);
    t.equal(byPatient.get(aliceRelAtH2), aliceAtH2);
    t.notOk([...byPatient.values()].includes(alice.participantId), 'her home participant names no relationship');
  });

  t.test('(c) relationships elsewhere of a patient Hospital 2 treats: not found, by the ledger or by her national id', async (t) => {
    t.same([...attacker.elsewhere(h2.mspId)], [], 'by the ledger, none of the patients it treats is seen to be treated elsewhere');
    t.same(attacker.tiedElsewhere(erinRelAtH2).map((r) => r.mspId), [h1.mspId], "the control: Erin is, through the viewer she granted on both (what stays visible)");
    t.same(attacker.viaNationalId(alice.externalId), { registeredAt: null, relationships: [] }, "offline, her national id finds nothing: her index entry is under her home's key");
    // Online, the audited lookup at her home names her home identity (docs/privacy.md: what stays
    // visible), and the ledger holds no relationship of it.
    t.equal(aliceHome, alice.participantId);
    t.same(attacker.participant(aliceHome), { registeredAt: h1.mspId, relationships: [] }, 'her home identity at Hospital 1, with no relationship');
  });
});
