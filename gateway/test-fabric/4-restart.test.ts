/**
 * Stop Hospital1's peer and its orderer: the adapter fails closed (LedgerUnavailableError); start them again:
 * state, history and the chaincode event stream are intact, and a restarted event consumer resumes
 * from its checkpoint without losing or repeating a notification.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type ChaincodeEvent, type LedgerPort, LedgerUnavailableError, TransactionInvalidError } from '../src/ports/ledger.js';
import { type HospitalInfo, ctl, ensureOnLedger, hospital, json, loadNetwork, newPerson, nodesCaughtUp, openLedger, staffCredentials } from './network.js';

const network = loadNetwork();
const h1 = hospital(network, 'Hospital1');

function about(event: ChaincodeEvent, relationshipId: string): boolean {
  return Buffer.from(event.payload).toString('utf8').includes(relationshipId);
}

/** The next `count` events about one relationship, then stop reading. */
async function take(ledger: LedgerPort, startBlock: bigint, relationshipId: string, count: number): Promise<ChaincodeEvent[]> {
  const signal = AbortSignal.timeout(60_000);
  const out: ChaincodeEvent[] = [];
  for await (const event of ledger.events({ startBlock, signal })) {
    if (about(event, relationshipId)) out.push(event);
    if (out.length === count) break;
  }
  return out;
}

async function untilAvailable(ledger: LedgerPort, probe: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 120; i++) {
    try {
      await probe();
      return;
    } catch (error) {
      if (!(error instanceof LedgerUnavailableError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  await ledger.height();
}

/**
 * Right after a restart the orderer may still be electing a leader (raft) or syncing views (BFT); a
 * harmless put-state transaction is retried until ordering works, so the flow's own transactions are
 * submitted once (retrying those could commit one twice).
 */
async function untilOrdering(h: HospitalInfo): Promise<void> {
  const probe = await openLedger({ ...network, chaincode: 'putstate' }, h);
  try {
    for (let i = 0; ; i++) {
      try {
        await probe.submit(staffCredentials(h, 'records-service'), 'PutState', 'put', ['restart-probe', String(i)]);
        return;
      } catch (error) {
        if (i >= 120 || !(error instanceof LedgerUnavailableError || error instanceof TransactionInvalidError)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await probe.close();
  }
}

t.test("a hospital's peer and orderer restart: state, history and the event stream are intact", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-fabric-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const checkpointFile = join(dir, 'events.checkpoint');
  const first = await openLedger(network, h1, checkpointFile);
  const provider = staffCredentials(h1, 'records-service');
  const auditor = staffCredentials(h1, 'auditor');
  await ensureOnLedger(first, staffCredentials(h1, 'registrar'), provider, 'provider');
  await ensureOnLedger(first, staffCredentials(h1, 'registrar'), auditor, 'auditor');
  const patient = await newPerson(h1, first, 'patient');

  const start = await first.height();
  const created = await first.submit(provider, 'Relationship', 'create', [patient.participantId, 'https://hospital1.example/gatekeeper']);
  const id = json<{ relationshipId: string }>(created.result).relationshipId;
  const pointer = await first.submit(provider, 'Relationship', 'putPointer', [id, 'Observation', 'd'.repeat(64)], {
    endorsingOrganizations: ['Hospital1MSP'],
  });
  const seen = await take(first, start, id, 2);
  t.same(seen.map((e) => e.eventName), ['RelationshipCreated', 'PointerUpdated']);
  t.same(seen.map((e) => e.txId), [created.txId, pointer.txId]);
  await first.close();

  await ctl('stop', 'peer', 'Hospital1');
  await ctl('stop', 'orderer', 'Hospital1');
  t.teardown(async () => {
    await ctl('start', 'orderer', 'Hospital1');
    await ctl('start', 'peer', 'Hospital1');
  });
  const down = await openLedger(network, h1);
  await t.rejects(down.evaluate(patient, 'Relationship', 'get', [id]), LedgerUnavailableError, 'no answer: fail closed');
  await t.rejects(down.submit(patient, 'Relationship', 'accept', [id]), LedgerUnavailableError);
  await t.rejects(down.height(), LedgerUnavailableError);
  await down.close();

  await ctl('start', 'orderer', 'Hospital1');
  await ctl('start', 'peer', 'Hospital1');
  const second = await openLedger(network, h1, checkpointFile); // a restarted gateway, same checkpoint file
  t.teardown(() => second.close());
  await untilAvailable(second, () => second.evaluate(patient, 'Relationship', 'get', [id]));

  const view = json<{ status: string; pointers: { hash: string }[] }>(await second.evaluate(patient, 'Relationship', 'get', [id]));
  t.match(view, { status: 'new', pointers: [{ hash: 'd'.repeat(64) }] }, 'state survived');
  const history = json<{ relationship: { txId: string }[]; pointers: { history: { txId: string }[] }[] }>(
    await second.evaluate(auditor, 'Relationship', 'history', [id]),
  );
  t.same(history.relationship.map((h) => h.txId), [created.txId], 'history survived');
  t.same(history.pointers[0]!.history.map((h) => h.txId), [pointer.txId]);
  t.equal((await second.getTransaction(pointer.txId))?.validationCode, 'VALID');

  await untilOrdering(h1);
  // A restarted orderer replicates what it missed from the others, and until then may be the one
  // the peer asks for blocks (SmartBFT peers switch sources only after a timeout): wait for both.
  const reference = network.orderers.find((o) => o.mspId !== h1.mspId)!.operations;
  t.ok(await nodesCaughtUp(reference, [h1.orderer.operations, h1.peer.operations]), "Hospital1's orderer and peer have caught up");
  const accepted = await second.submit(patient, 'Relationship', 'accept', [id], { endorsingOrganizations: ['Hospital1MSP'] });
  const resumed = await take(second, start, id, 1);
  t.equal(resumed[0]!.eventName, 'RelationshipAccepted', 'resumed after the checkpoint: nothing repeated');
  t.equal(resumed[0]!.txId, accepted.txId);
  const fresh = await openLedger(network, h1); // no checkpoint: the whole stream from the start block
  t.teardown(() => fresh.close());
  const replay = await take(fresh, start, id, 3);
  t.same(replay.map((e) => e.eventName), ['RelationshipCreated', 'PointerUpdated', 'RelationshipAccepted'], 'nothing lost');
  t.ok(replay.every((e, i) => i === 0 || e.blockNumber >= replay[i - 1]!.blockNumber), 'in ledger order');
});
