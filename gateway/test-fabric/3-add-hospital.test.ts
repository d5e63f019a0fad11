/**
 * A hospital joins the running network (npm run fabric:add-hospital) and takes part in a flow: its
 * own CA issues its people, its peer endorses its relationships, and the other hospitals cannot; its
 * orderer becomes a consenter. On fabric:up's two hospitals (etcdraft) it is Hospital3, the demo's
 * third hospital, whose REST gateway add-hospital starts; on --bft's four (Hospital3 among them) it is
 * Hospital5, a member without an EHR mapping (no REST gateway). Hospital3's gateway then serves its
 * EHR to a patient of the first hospital.
 */
import t from 'tap';
import { demoPatients } from '../demo/seed/population.js';
import { call, login, ok } from '../demo/json-client.js';
import { DEMO_REGISTRAR_PASSWORD } from '../demo/index.js';
import { TransactionInvalidError } from '../src/ports/ledger.js';
import { activatedPatient, delegateRelationship } from './patients.js';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ROOT,
  type HospitalInfo,
  addHospital,
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

const run = promisify(execFile);

/** The consenters' endpoints in the channel configuration, as the hospital's orderer serves it. */
async function channelConsenters(h: HospitalInfo): Promise<string[]> {
  const { stdout } = await run(join(ROOT, 'network', 'channel-config.sh'), [h.name], { timeout: 60_000, maxBuffer: 16 << 20 });
  const orderer = JSON.parse(stdout).channel_group.groups.Orderer.values;
  const consenters: { host: string; port: number }[] =
    orderer.ConsensusType.value.type === 'BFT' ? orderer.Orderers.value.consenter_mapping : orderer.ConsensusType.value.metadata.consenters;
  return consenters.map((c) => `${c.host}:${c.port}`);
}

const initial = loadNetwork();
// The first of these that is not a member yet (a second run on the same network adds the next one).
const NAME = ['Hospital3', 'Hospital5', 'Hospital6', 'Hospital7'].find((n) => !initial.hospitals.some((h) => h.name === n))!;

t.test('a hospital joins, its orderer a consenter, and runs a flow with the first', async (t) => {
  // The gatekeeper's trust follows the channel configuration: a config block is seen as it commits.
  const watcher = await openLedger(initial, hospital(initial, 'Hospital1'));
  t.teardown(() => watcher.close());
  t.same(
    (await watcher.channelMembers()).map((m) => m.mspId).sort(),
    initial.hospitals.map((h) => h.mspId).sort(),
    'the channel configuration, via qscc',
  );
  const seen: string[][] = [];
  watcher.onChannelConfig((members) => void seen.push(members.map((m) => m.mspId)));
  await addHospital(NAME);
  for (let i = 0; i < 300 && !seen.some((ids) => ids.includes(`${NAME}MSP`)); i++) await new Promise((r) => setTimeout(r, 100));
  t.ok(seen.some((ids) => ids.includes(`${NAME}MSP`)), `the configuration block adding ${NAME} was followed live`);
  const added = (await watcher.channelMembers()).find((m) => m.mspId === `${NAME}MSP`);
  const anchors = await openIdentity(hospital(loadNetwork(), NAME)).trustAnchors();
  t.equal(added?.caCertificates[0]?.trim(), anchors[0]?.trim(), `${NAME}'s MSP names its CA's certificate`);
  await t.rejects(addHospital(NAME), { message: /already a member/ }, 'a member cannot join twice');
  const network = loadNetwork();
  const h1 = hospital(network, 'Hospital1');
  const h3 = hospital(network, NAME);
  t.equal(h3.mspId, `${NAME}MSP`);
  t.equal(network.hospitals.length, initial.hospitals.length + 1);
  t.equal(network.consensus, initial.consensus, 'the consensus type stays the one the channel was created with');
  t.ok(network.orderers.some((o) => o.mspId === h3.mspId), 'its orderer is listed');
  const consenters = await channelConsenters(h1);
  t.ok(consenters.includes(h3.orderer.endpoint), `${NAME}'s orderer is a consenter of the channel`);
  t.equal(consenters.length, initial.orderers.length + 1);

  const ledger1 = await openLedger(network, h1);
  const ledger3 = await openLedger(network, h3);
  t.teardown(() => Promise.all([ledger1.close(), ledger3.close()]));
  const provider3 = staffCredentials(h3, 'records-service');
  await ensureOnLedger(ledger3, staffCredentials(h3, 'registrar'), provider3, 'provider');
  const auditor3 = staffCredentials(h3, 'auditor');
  await ensureOnLedger(ledger3, staffCredentials(h3, 'registrar'), auditor3, 'auditor');
  const patient = await newPerson(h3, ledger3, 'patient');
  const viewer = await newPerson(h1, ledger1, 'viewer');

  const created = await ledger3.submit(provider3, 'Relationship', 'create', [patient.participantId, `https://${h3.key}.example/gatekeeper`], {
    endorsingOrganizations: [`${NAME}MSP`],
  });
  const id = json<{ relationshipId: string }>(created.result).relationshipId;
  t.equal(json<{ providerMspId: string }>(await ledger3.evaluate(provider3, 'Relationship', 'get', [id])).providerMspId, `${NAME}MSP`);
  await ledger3.submit(provider3, 'Relationship', 'putPointer', [id, 'Condition', 'c'.repeat(64)], { endorsingOrganizations: [`${NAME}MSP`] });
  await ledger3.submit(patient, 'Relationship', 'accept', [id], { endorsingOrganizations: [`${NAME}MSP`] });
  const grant = { items: [{ category: 'Condition', fields: ['code'] }], validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(), purpose: 'CAREMGT' };
  const granted = await ledger3.submit(patient, 'Relationship', 'grant', [id, viewer.participantId, JSON.stringify(grant)], {
    endorsingOrganizations: [`${NAME}MSP`],
  });
  await caughtUp(ledger1, granted.blockNumber);

  const decision = json<{ allowed: boolean; providerMspId: string }>(
    await ledger1.evaluate(viewer, 'Relationship', 'checkAccess', [id, iid(viewer), 'Condition', '["code"]']),
  );
  t.match(decision, { allowed: true, providerMspId: `${NAME}MSP` }, `Hospital1's viewer is granted ${NAME}'s record`);

  // Hospital1's peer alone cannot endorse a change to the new hospital's relationship.
  const refused = await ledger1
    .submit(patient, 'Relationship', 'revoke', [id, viewer.participantId], { endorsingOrganizations: ['Hospital1MSP'] })
    .then(() => undefined, (error: unknown) => error);
  t.type(refused, TransactionInvalidError);
  t.equal((refused as TransactionInvalidError).validationCode, 'ENDORSEMENT_POLICY_FAILURE');

  const viaCli = JSON.parse(await peerQuery(h3, 'auditor', ['Relationship:get', id])) as { status: string; grants: { status: string }[] };
  t.match(viaCli, { status: 'accepted', grants: [{ status: 'granted' }] }, `${NAME}'s peer, through Fabric's CLI`);
  const history = json<{ relationship: unknown[] }>(await ledger3.evaluate(auditor3, 'Relationship', 'history', [id]));
  t.equal(history.relationship.length, 2);
});

t.test("the third hospital's REST gateway serves its EHR to a patient of the first, under its delegate", async (t) => {
  const network = loadNetwork();
  const [h1, h3] = ['Hospital1', 'Hospital3'].map((name) => hospital(network, name).gatewayUrl) as [string, string];
  t.equal((await fetch(`${h3}/ready`)).status, 200, 'Hospital3 gateway ready on its peer');
  t.equal((await fetch(`${h1}/ready`)).status, 200, 'Hospital1 gateway ready again after the restart');

  // One of Hospital3's (synthetic) EHR patients, vouched for at Hospital1; random, so that the test
  // can run again on the same network.
  const registrar = await login(h1, 'registrar', DEMO_REGISTRAR_PASSWORD);
  const fay = await activatedPatient(h1, registrar, demoPatients('hospital3'), uniqueName('fay'));
  const { externalId, mrn } = fay;

  const hale = await login(h3, 'dr-hale', 'dr-hale-demo-pass');
  const resolved = await ok(h3, 'POST', '/registrar/resolve', hale, { externalIdKind: 'national-id', externalId });
  t.equal(resolved.participantId, fay.participantId, "Hospital3 resolves Hospital1's patient on the shared ledger");
  // It treats her under its own delegate (docs/privacy.md §3): her home id is refused there.
  const byHomeId = await call(h3, 'POST', '/relationships', hale, { patientId: resolved.participantId, mrn });
  t.same([byHomeId.status, byHomeId.json.code], [403, 'DELEGATE_REQUIRED'], 'her home id is refused at Hospital3');
  const at3 = await delegateRelationship(h3, await login(h3, 'registrar', DEMO_REGISTRAR_PASSWORD), hale, [mrn]);
  const fayToken = at3.token;
  const rel = at3.created;
  const pointers = rel.pointers as { category: string }[];
  t.ok(pointers.length > 0, "pointers hashed from Hospital3's own EHR");
  t.match(await ok(h3, 'GET', `/relationships/${rel.relationshipId}`, hale), { providerMspId: 'Hospital3MSP' });

  await ok(h3, 'POST', `/relationships/${rel.relationshipId}/accept`, fayToken);
  const mine = await ok(h3, 'POST', '/records/fetch', fayToken, { relationshipId: rel.relationshipId, category: pointers[0]!.category });
  t.equal(mine.hashMatches, true, "Hospital3's gatekeeper answers with data matching the ledger hash");
  t.match(mine.bundle, { resourceType: 'Bundle' });
});
