/**
 * The linkage test of issue 14 (docs/privacy.md, "The linkage test"): a curious member hospital
 * (Hospital 2) takes the whole embedded ledger (blocks, world state, history), its own external-id
 * index key and what its own gateway knows of its own patients, and tries to (a) recover usernames and plain
 * identifiers, (b) link a patient's relationships across hospitals, (c) tell whether a patient it
 * treats has relationships elsewhere. The people are enrolled by the product's own activation path
 * and the relationships created by providers enrolled the same way.
 *
 * What the attacker must not learn is asserted as such; what docs/privacy.md admits it still learns
 * ("Still visible") is asserted too, so that the day a fix lands the assertion fails and the
 * document must be corrected with it.
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import t from 'tap';
import { isDelegateRequired, type Role } from '@medrec/chaincode/domain';
import { Relationship } from '../../src/contract/medrec.js';
import { endorsedBy } from '../../src/contract/request.js';
import type { Credentials } from '../../src/ports/identity.js';
import { ChaincodeError } from '../../src/ports/ledger.js';
import { sessionKeys } from '../../src/services/gatekeeper/requester.js';
import { copyLedger, CuriousHospital } from '../support/curious-hospital.js';
import { openWorld, type Hospital } from '../support/world.js';

const KIND = 'national-id';
const PASSWORD = 'linkage-test-password';

interface Enrolled {
  username: string;
  participantId: string;
  enrollmentId: string;
  signer: Credentials;
}

t.test('a curious member hospital with the whole ledger', async (t) => {
  const world = await openWorld({ patients: 6, anchoring: false });
  let closed = false;
  t.teardown(async () => {
    if (!closed) await world.close();
  });
  const { h1, h2, client } = world;

  /** The product's path: a registrar (here the CA admin) vouches, the person redeems the code with a password. */
  async function activate(h: Hospital, username: string, role: Role, externalId: string): Promise<Enrolled> {
    return redeemed(h, await h.runtime.activations.issue({ ca: h.admin, ledger: h.registrar }, { username, role, externalIdKind: KIND, externalId }));
  }
  /** docs/privacy.md §3: the providing hospital's registrar registers a delegate for its chart (here redeemed with a password). */
  async function delegate(h: Hospital, mrn: string): Promise<Enrolled> {
    return redeemed(h, await h.runtime.activations.issueDelegate({ ca: h.admin, ledger: h.registrar }, (pid) => void h.links.set(pid, mrn, 'registrar')));
  }
  async function redeemed(h: Hospital, issued: { code: string; username: string }): Promise<Enrolled> {
    const username = issued.username;
    await h.runtime.activations.redeem(issued.code, PASSWORD);
    const account = h.runtime.accounts.get(username)!;
    const privateKey = await h.runtime.sealer.open(account.sealedKey, PASSWORD);
    return {
      username,
      participantId: account.participantId,
      enrollmentId: account.enrollmentId,
      signer: { mspId: h.mspId, enrollmentId: account.enrollmentId, certificate: account.certificate, privateKey },
    };
  }
  async function relate(h: Hospital, provider: Enrolled, patientPid: string, mrn: string): Promise<string> {
    const created = await client.submit(provider.signer, endorsedBy(Relationship.create(patientPid, h.url), h.mspId));
    h.links.set(patientPid, mrn, provider.enrollmentId);
    return created.value.relationshipId;
  }

  const [p1a, p1b] = h1.patients as [typeof h1.patients[0], typeof h1.patients[0]];
  const [p2a] = h2.patients as [typeof h2.patients[0]];
  const drHouse = await activate(h1, 'dr.house', 'provider', 'STAFF-H1-0001');
  const drGrey = await activate(h2, 'dr.grey', 'provider', 'STAFF-H2-0001');
  // Alice: at home at Hospital 1, treated at both. Carol: Hospital 1 only. Bob: at home at Hospital 2.
  const alice = await activate(h1, 'alice.smith', 'patient', p1a.externalId);
  const carol = await activate(h1, 'carol.jones', 'patient', p1b.externalId);
  const bob = await activate(h2, 'bob.brown', 'patient', p2a.externalId);
  // Each hospital treats her under a delegate its registrar registers for its chart (docs/privacy.md §3).
  const aliceD1 = await delegate(h1, p1a.mrn);
  const aliceRelAtH1 = await relate(h1, drHouse, aliceD1.participantId, p1a.mrn);
  // She accepts it herself, signing as that relationship's delegate: its certificate is in a block now.
  await client.submit(aliceD1.signer, endorsedBy(Relationship.accept(aliceRelAtH1), h1.mspId));
  await relate(h1, drHouse, carol.participantId, p1b.mrn);
  const aliceD2 = await delegate(h2, p1a.mrn.replace(/^H1/, 'H2'));
  const aliceAtH2 = aliceD2.participantId;
  // Knowing her national id from its own chart, Hospital 2 may look her up at her home (blinded, signed, audited).
  const aliceHome = (await h2.runtime.externalIds.resolve(sessionKeys(drGrey.signer), KIND, p1a.externalId)).result.participantId;
  const aliceRelAtH2 = await relate(h2, drGrey, aliceAtH2, p1a.mrn.replace(/^H1/, 'H2'));
  await client.submit(aliceD2.signer, endorsedBy(Relationship.accept(aliceRelAtH2), h2.mspId));
  const bobRel = await relate(h2, drGrey, bob.participantId, p2a.mrn);
  // Erin, the control: at home at Hospital 1 and treated there under her home identity, at Hospital 2
  // under its delegate; she grants one viewer (Vera) on both: what docs/privacy.md says stays visible.
  const p1c = h1.patients[2]!;
  const erin = await activate(h1, 'erin.white', 'patient', p1c.externalId);
  const vera = await activate(h1, 'vera.green', 'viewer', 'STAFF-H1-0002');
  const erinRelAtH1 = await relate(h1, drHouse, erin.participantId, p1c.mrn);
  // Her home id at Hospital 2: the ledger itself refuses it (docs/privacy.md §3).
  const erinByHomeId = await relate(h2, drGrey, erin.participantId, h2.patients[1]!.mrn).catch((err: unknown) => err);
  const erinD2 = await delegate(h2, h2.patients[1]!.mrn);
  const erinRelAtH2 = await relate(h2, drGrey, erinD2.participantId, h2.patients[1]!.mrn);
  const grant = { items: [{ category: 'Observation' as const, fields: ['code'] }], validUntil: new Date(Date.now() + 86_400_000).toISOString(), purpose: 'FAMRQT' as const };
  for (const [h, who, rel] of [[h1, erin, erinRelAtH1], [h2, erinD2, erinRelAtH2]] as const) {
    await client.submit(who.signer, endorsedBy(Relationship.accept(rel), h.mspId));
    await client.submit(who.signer, endorsedBy(Relationship.grant(rel, vera.participantId, grant), h.mspId));
  }

  const ledgerFile = join(world.dir, 'ledger', 'ledger.sqlite');
  // The ledger holds its file exclusively while open: the attacker reads its copy after the network stops.
  await world.close({ keepData: true });
  closed = true;
  t.teardown(() => rmSync(world.dir, { recursive: true, force: true }));
  const copy = copyLedger(ledgerFile);
  const attacker = new CuriousHospital(copy, {
    mspIds: [h1.mspId, h2.mspId],
    indexKey: h2.runtime.indexKeys.current,
    externalIdKind: KIND,
    // what Hospital 2's gateway knows: its own account (Bob) and the patients it treats (Alice, Bob)
    ownPatients: new Map([['alice (treated here)', aliceAtH2], ['bob (account here)', bob.participantId], ['erin (treated here)', erinD2.participantId]]),
    ownRelationships: new Set([aliceRelAtH2, bobRel, erinRelAtH2]),
  });
  t.ok(copy.transactions.length > 0 && copy.state.size > 0, 'the attacker holds blocks and world state');

  t.test('(a) usernames: not in any certificate, transaction, state value or identity id', async (t) => {
    const usernames = [alice, carol, bob, drHouse, drGrey].map((p) => p.username);
    // The strongest guesser: the dictionary holds every real username (and decoys).
    const guessed = attacker.guessUsernames([...usernames, 'dave.miller', 'patient1', 'alice', 'carol']);
    t.same(guessed.inCertificates, [], 'no certificate names a username');
    t.same(guessed.inTransactions, [], 'no transaction, state value or history row holds a username');
    t.same(guessed.byIdentityId, [], 'no identity id is sha256(mspId/username) of a guessed username');
    const names = attacker.certificateNames();
    t.ok(names.has(aliceD1.enrollmentId) && names.has(drGrey.enrollmentId), 'the signers the blocks name are the opaque enrollment ids');
    for (const p of [alice, carol, bob, drHouse, drGrey]) t.match(p.enrollmentId, /^e[0-9a-f]{32}$/, `${p.username}'s enrollment id is 128 random bits`);
  });

  t.test('(a) plain identifiers: the national ids are nowhere in the clear', async (t) => {
    const everything = Buffer.concat([...copy.transactions, ...copy.state.values(), ...copy.history]).toString('latin1');
    for (const p of [p1a, p1b, p2a]) t.notOk(everything.includes(p.externalId), `${p.externalId} is not on the ledger in the clear`);
  });

  t.test('(a) national ids: the external-id index cannot be brute-forced offline by another member', async (t) => {
    // The strongest guesser: the demo format's first ids of every area, and every real patient's id.
    const format = Array.from({ length: 900 }, (_, area) => `SYN-${area + 100}-000001`);
    const found = attacker.bruteForceNationalIds([...format, ...[...h1.patients, ...h2.patients].map((p) => p.externalId)]);
    t.notOk(found.has(p1b.externalId), "Carol's national id (a patient of Hospital 1 only) is not recovered");
    t.notOk(found.has(p1a.externalId), "nor Alice's: her index entry is under her home's key, not Hospital 2's");
    t.equal(found.get(p2a.externalId), bob.participantId, 'only its own patients, registered under its own key, are found (it holds their ids anyway)');
    t.same([...found.keys()], [p2a.externalId], 'nothing else');
  });

  t.test('(b) linking across hospitals fails: each relationship names its own delegate', async (t) => {
    const linked = attacker.linkAcrossHospitals();
    t.same([...linked.keys()], [vera.participantId], 'no patient id has relationships at two hospitals: only the viewer Erin granted on both');
    t.same(attacker.tiedElsewhere(aliceRelAtH2), [], "nothing ties Alice's relationship at Hospital 2 to one elsewhere");
    // The control (docs/privacy.md, "Still visible" 2): the same attacker links Erin's two relationships through Vera.
    t.same(attacker.tiedElsewhere(erinRelAtH2), [{ id: erinRelAtH1, mspId: h1.mspId }], "Erin's relationships, granted to one viewer, are linked through her");
    t.ok(erinByHomeId instanceof ChaincodeError && erinByHomeId.code === 'FORBIDDEN' && isDelegateRequired(erinByHomeId.message), "the ledger refused Erin's home id at Hospital 2");
    t.same(attacker.participant(erin.participantId).relationships, [h1.mspId], 'and it wrote nothing: her home id names her home relationship only');
    t.not(aliceD1.participantId, aliceD2.participantId, "Alice's delegates are two participants");
    const byPatient = new Map(attacker.relationships().map((r) => [r.id, r.patient]));
    t.equal(byPatient.get(aliceRelAtH1), aliceD1.participantId);
    t.equal(byPatient.get(aliceRelAtH2), aliceD2.participantId);
    t.notOk([...byPatient.values()].includes(alice.participantId), 'her home participant names no relationship');
  });

  t.test('(c) relationships elsewhere of a patient Hospital 2 treats: not found, by the ledger or by her national id', async (t) => {
    t.same([...attacker.elsewhere(h2.mspId).keys()], [], 'by the ledger, no patient it treats is seen to be treated elsewhere');
    t.same(attacker.tiedElsewhere(erinRelAtH2).map((r) => r.mspId), [h1.mspId], 'the control: Erin is, through the viewer she granted on both (what stays visible)');
    t.same(attacker.viaNationalId(p1a.externalId), { registeredAt: null, relationships: [] }, 'offline, her national id finds nothing: her index entry is under her home\'s key');
    // Online, the audited lookup at her home names her home identity (docs/privacy.md: what stays
    // visible), and the ledger holds no relationship of it.
    t.equal(aliceHome, alice.participantId);
    t.same(attacker.participant(aliceHome), { registeredAt: h1.mspId, relationships: [] }, 'her home identity at Hospital 1, with no relationship');
  });
});
