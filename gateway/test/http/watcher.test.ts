/**
 * Pointers that follow the EHR (issue 15, item 3 of "What to build"): the demo EHR's triggers log
 * each changed row, the gateway's watcher re-hashes only those patients' categories and moves the
 * pointers that differ, in one transaction per batch. A run with no change, and a change that
 * leaves the records as they were, write no block and notify nobody (blocks are counted); a real
 * change is on the ledger by the end of the first run that started after it, with one notice to
 * the patient.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { Relationship } from '../../src/contract/medrec.js';
import { hashResources } from '../../src/services/records/records.js';
import type { WatchResult } from '../../src/services/records/watcher.js';
import { api, login, startTestSystem, testSystemFor, type Json } from './support.js';

const sys = await testSystemFor(t, undefined, {}, { changePollMs: 200 });
const { h1 } = sys;
const runtime = sys.system.hospitals[0]!;
const watcher = runtime.pointers;
const ehrFile = sys.system.config.hospitals[0]!.ehr.sqliteFile ?? join(sys.system.config.hospitals[0]!.dataDir, 'ehr.sqlite');
// The hospital's EHR, as its own applications write it (the gateway's connection is read-only).
const ehr = new Database(ehrFile);
t.teardown(() => ehr.close());

const bob = runtime.accounts.get('bob')!;
const mrn = sys.system.provisioned['Hospital1MSP']!.find((u) => u.username === 'bob')!.mrn!;
const internalId = (ehr.prepare('SELECT patient_id FROM patients WHERE mrn = ?').get(mrn) as { patient_id: number }).patient_id;
const ada = await login(h1, 'dr-ada');
const created = await api(h1, 'POST', '/relationships', { token: ada, body: { patientId: bob.participantId, mrn } });
const rel = created.json.relationshipId as string;
const bobToken = await login(h1, 'bob');
await api(h1, 'POST', `/relationships/${rel}/accept`, { token: bobToken });

/**
 * Waits for the first watcher run that started after now, and answers what it and the run in
 * progress at the time (which may have read the change already) did together: a change is on the
 * ledger by the end of the first run after it, that is within one polling interval of its run.
 */
async function firstRunAfterNow(): Promise<WatchResult> {
  const seen: (WatchResult | Error)[] = [];
  await new Promise<void>((resolve) => {
    const stop = watcher.onRun((result) => {
      seen.push(result);
      if (seen.length === 2) {
        stop();
        resolve();
      }
    });
  });
  const failed = seen.find((r) => r instanceof Error);
  if (failed) throw failed;
  const [a, b] = seen as WatchResult[];
  return { changes: a!.changes + b!.changes, rehashed: a!.rehashed + b!.rehashed, updated: a!.updated + b!.updated, transactions: a!.transactions + b!.transactions };
}
const pointer = async (category: string) => (await runtime.client.evaluate(runtime.service, Relationship.get(rel))).pointers.find((p) => p.category === category);
const notices = async () => ((await api(h1, 'GET', '/me/notifications', { token: bobToken })).json.notifications as Json[]).length;

t.test('no change in the EHR: no transaction, no notice', async (t) => {
  await firstRunAfterNow();
  const height = await runtime.ledger.height();
  const before = await notices();
  for (let i = 0; i < 3; i++) t.match(await firstRunAfterNow(), { changes: 0, updated: 0, transactions: 0 });
  t.equal(await runtime.ledger.height(), height, 'no block');
  t.equal(await notices(), before, 'nobody notified');
});

t.test('a change that leaves the records as they were: re-hashed, nothing written', async (t) => {
  const height = await runtime.ledger.height();
  const version = (await pointer('Observation'))!.version;
  ehr.prepare('UPDATE lab_results SET result_status = result_status WHERE patient_id = ?').run(internalId);
  const run = await firstRunAfterNow();
  t.ok(run.changes > 0, 'the change log named the rows');
  t.equal(run.rehashed, 1, "bob's chart was re-hashed");
  t.match(run, { updated: 0, transactions: 0 });
  t.equal(await runtime.ledger.height(), height, 'no block');
  t.equal((await pointer('Observation'))!.version, version, 'no new version');
});

t.test("a changed record: its pointer moves in the first run after the change, one notice", async (t) => {
  const height = await runtime.ledger.height();
  const before = await notices();
  const versions = { Observation: (await pointer('Observation'))!.version, Condition: (await pointer('Condition'))?.version ?? 0 };
  const { result_id: resultId } = ehr.prepare('SELECT result_id FROM lab_results WHERE patient_id = ? ORDER BY result_id LIMIT 1').get(internalId) as { result_id: number };
  ehr.prepare('UPDATE lab_results SET value_num = value_num + 1 WHERE result_id = ?').run(resultId);
  ehr.prepare("INSERT INTO diagnoses (patient_id, snomed_code, description, clinical_status, onset_date, updated_at) VALUES (?, '38341003', 'Hypertensive disorder', 'active', '2026-11-01', '2026-11-29T12:00:00Z')").run(internalId);
  const run = await firstRunAfterNow();
  t.match(run, { rehashed: 1, updated: 2, transactions: 1 }, 'both categories in one transaction');
  t.equal(await runtime.ledger.height(), height + 1n, 'one block');
  const observation = (await pointer('Observation'))!;
  t.equal(observation.hash, hashResources(await runtime.records.fetch('Observation', mrn)), 'the pointer is the hash of the records now');
  t.equal(observation.version, versions.Observation + 1);
  t.equal((await pointer('Condition'))!.hash, hashResources(await runtime.records.fetch('Condition', mrn)));
  t.equal((await pointer('Condition'))!.version, versions.Condition + 1);
  await until(async () => (await notices()) > before);
  const all = (await api(h1, 'GET', '/me/notifications', { token: bobToken })).json.notifications as Json[];
  t.equal(all.length, before + 1, 'one notice for the batch');
  t.match(all.at(-1), { event: 'PointersUpdated', relationshipId: rel, status: 'update_available' });
  const fetched = await api(h1, 'POST', '/records/fetch', { token: bobToken, body: { relationshipId: rel, category: 'Observation' } });
  t.equal(fetched.json.hashMatches, true, 'the gatekeeper serves records that match the ledger again');
});

t.test('a deleted row moves the pointer too; the checkpoint survives a restart', async (t) => {
  const version = (await pointer('Condition'))!.version;
  ehr.prepare("DELETE FROM diagnoses WHERE patient_id = ? AND snomed_code = '38341003'").run(internalId);
  t.match(await firstRunAfterNow(), { updated: 1, transactions: 1 });
  t.equal((await pointer('Condition'))!.version, version + 1);
  t.equal((await pointer('Condition'))!.hash, hashResources(await runtime.records.fetch('Condition', mrn)));

  await sys.close();
  const again = await startTestSystem(sys.dir, {}, { changePollMs: false });
  t.teardown(() => again.close());
  const height = await again.system.ledger.height();
  t.match(await again.system.hospitals[0]!.pointers.poll(), { changes: 0, transactions: 0 }, 'changes already followed are not read again');
  t.equal(await again.system.ledger.height(), height);
  sys.close = async () => undefined;
});

async function until(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
