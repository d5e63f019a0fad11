import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultHospitals, loadConfig } from '../src/system/config.js';
import { demoPatients } from './seed/population.js';
import { openSystem, startGateways } from '../src/system/system.js';
import { alwaysIncluded } from '../src/services/records/records.js';
import { demoProvisioner, DEMO_HOSPITALS, DEMO_REGISTRAR_PASSWORD } from './index.js';
import { readSse, type SseEvent } from './sse-client.js';
import { call, login, ok, type Json } from './json-client.js';

/**
 * `npm run demo`: the white paper's Figure 2 over HTTP, against a fresh two-hospital system in a
 * temporary directory. Every step is a real request to a real gateway; nothing is called in-process.
 */

let stepNo = 0;
const step = (title: string) => process.stdout.write(`\n${String(++stepNo).padStart(2)}. ${title}\n`);
const say = (text: string) => process.stdout.write(`    ${text}\n`);
const short = (id: string) => `${id.slice(0, 12)}…`;

/** Runs the walk-through on a fresh two-hospital system in a temporary directory, printing each step. */
export async function walkFigure2(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-demo-'));
  const config = loadConfig({}, { dataDir: dir, logLevel: 'warn', hospitals: defaultHospitals(dir, '127.0.0.1', 0) }, { demoSeeds: DEMO_HOSPITALS });
  step('Start two hospitals on one embedded ledger (fresh temporary data)');
  const started = Date.now();
  const system = await openSystem(config, { provisioner: demoProvisioner() });
  const gateways = await startGateways(system);
  const [h1, h2] = gateways.map((g) => g.url) as [string, string];
  say(`Hospital1MSP ${h1}   Hospital2MSP ${h2}   (ready in ${Date.now() - started} ms)`);
  try {
    // A synthetic person treated at both hospitals (hospital 2 knows them under its own MRN).
    const person = demoPatients('hospital1').filter((p) => p.alsoAt)[1]!;

    step('Registrar of Hospital 1 registers a new patient, dana, and hands her a one-time activation code');
    const registrar = await login(h1, 'registrar', DEMO_REGISTRAR_PASSWORD);
    const issued = await ok(h1, 'POST', '/registrar/activations', registrar, {
      username: 'dana',
      role: 'patient',
      externalIdKind: 'national-id',
      externalId: person.externalId,
    });
    say(`ledger participant ${short(issued.participantId)} (only the keyed hash of the national id is on the ledger); code ${issued.code}, valid until ${issued.expiresAt}`);

    step('dana redeems the code and chooses her own password: only now is her key made, sealed under it');
    const dana = await ok(h1, 'POST', '/device/activations/redeem', undefined, { code: issued.code, password: 'dana-demo-pass' });
    say(`certificate enrolled at Hospital 1's CA for ${dana.username}; the registrar never knew her password`);

    step('dana logs in at Hospital 1 and opens her notification stream (server-sent events)');
    const danaToken = await login(h1, 'dana', 'dana-demo-pass');
    const stream = await fetch(`${h1}/notifications/stream`, { headers: { authorization: `Bearer ${danaToken}` } });
    const created = new Promise<SseEvent>((resolve, reject) => {
      readSse(stream.body!, (e) => (e.event.startsWith('Relationship') ? (resolve(e), true) : false)).catch(reject);
    });
    say(`stream open (${stream.headers.get('content-type')})`);

    step("A provider of Hospital 2 (dr-grey) finds dana's participant id and creates a relationship");
    const grey = await login(h2, 'dr-grey', 'dr-grey-demo-pass');
    const resolved = await ok(h2, 'POST', '/registrar/resolve', grey, { externalIdKind: 'national-id', externalId: person.externalId });
    const rel = await ok(h2, 'POST', '/relationships', grey, { patientId: resolved.participantId, mrn: person.alsoAt!.mrn });
    say(`relationship ${short(rel.relationshipId)} in block ${rel.blockNumber}, pointers (category → SHA-256 of the record):`);
    for (const p of rel.pointers as Json[]) say(`  ${p.category.padEnd(20)} ${p.hash}`);

    step('dana is notified on her stream');
    const event = await created;
    const data = JSON.parse(event.data) as Json;
    say(`event ${event.event} id=${event.id} (block) relationship ${short(data.relationshipId)} status ${data.status}`);

    step('dana accepts the relationship');
    const accepted = await ok(h1, 'POST', `/relationships/${rel.relationshipId}/accept`, danaToken);
    say(`accepted in block ${accepted.blockNumber} (endorsed by Hospital2MSP, the provider's organisation)`);

    step("dana fetches her lab results from Hospital 2's gatekeeper and verifies the hash");
    const mine = await ok(h1, 'POST', '/records/fetch', danaToken, { relationshipId: rel.relationshipId, category: 'Observation' });
    say(`${mine.bundle.total} Observation resources, decision ${mine.decision}`);
    say(`ledger hash ${mine.ledgerHash}`);
    say(`source hash ${mine.sourceHash}  → matches: ${mine.hashMatches}; re-hashed locally: ${mine.check?.matches}`);

    step('dana grants viewer victor (Hospital 1) two fields of her lab results for 7 days');
    const victor = await login(h1, 'victor', 'victor-demo-pass');
    const victorId = (await ok(h1, 'GET', '/me', victor)).participantId as string;
    const validUntil = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await ok(h1, 'POST', `/relationships/${rel.relationshipId}/grants`, danaToken, {
      viewerId: victorId,
      items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }],
      validUntil,
      purpose: 'FAMRQT',
    });
    say(`granted Observation{code, valueQuantity} until ${validUntil}, purpose FAMRQT`);

    step('victor fetches: the granted fields come back, with the elements that always accompany a grant');
    const seen = await ok(h1, 'POST', '/records/fetch', victor, {
      relationshipId: rel.relationshipId,
      category: 'Observation',
      fields: ['code', 'valueQuantity'],
    });
    const elements = new Set((seen.bundle.entry as Json[]).flatMap((e) => Object.keys(e.resource)));
    say(`${seen.bundle.total} resources with elements {${[...elements].sort().join(', ')}}, decision ${seen.decision}`);
    say(`(always included with any Observation grant, when present: ${alwaysIncluded('Observation').join(', ')})`);
    const wider = await call(h1, 'POST', '/records/fetch', victor, {
      relationshipId: rel.relationshipId,
      category: 'Observation',
      fields: ['code', 'note'],
    });
    say(`asking for an ungranted field (note) → ${wider.status} ${wider.json.code}`);

    step("dana revokes victor's grant; victor's next request is refused");
    await ok(h1, 'DELETE', `/relationships/${rel.relationshipId}/grants/${victorId}`, danaToken);
    const refused = await call(h1, 'POST', '/records/fetch', victor, {
      relationshipId: rel.relationshipId,
      category: 'Observation',
      fields: ['code', 'valueQuantity'],
    });
    say(`→ ${refused.status} ${refused.json.code}: ${refused.json.detail} (no data in the answer: ${!('bundle' in refused.json)})`);

    step("An auditor (audra, Hospital 1) reads the relationship's full history");
    const audra = await login(h1, 'audra', 'audra-demo-pass');
    const history = await ok(h1, 'GET', `/auditor/relationships/${rel.relationshipId}/history`, audra);
    say(`relationship: ${history.relationship.length} versions; pointers: ${history.pointers.length} categories; grants: ${history.grants.length} viewer(s)`);
    const oldestFirst = (entries: Json[]) => [...entries].sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
    for (const h of oldestFirst(history.relationship)) say(`  ${h.timestamp}  tx ${short(h.txId)}  status ${h.value?.status}`);
    for (const g of history.grants as Json[]) {
      say(`  grant to ${short(g.viewerId)}: ${oldestFirst(g.history).map((h) => h.value?.status).join(' → ')}`);
    }
    process.stdout.write('\nDemo complete.\n');
  } finally {
    for (const g of gateways) await g.app.close();
    await system.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
