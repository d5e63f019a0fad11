import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultHospitals, loadConfig } from '../src/system/config.js';
import { demoPatients } from './seed/population.js';
import { trustTlsRoots } from './trust.js';
import { closeAll, openSystem, startGateways } from '../src/system/system.js';
import { alwaysIncluded } from '../src/services/records/records.js';
import { demoPatientCount, demoProvisioner, DEMO_HOSPITALS, DEMO_REGISTRAR_PASSWORD } from './index.js';
import { walkResearch } from './research-walk.js';
import { readSse, type SseEvent } from './sse-client.js';
import {
  GatewayClient,
  Wallet,
  assembleSummary,
  enrolByActivation,
  enrolDelegate,
  fetchRecords,
  intentFor,
  login as deviceLogin,
  signerFor,
  submitTransaction,
} from '@medrec/client';
import { call, login, ok, type Json } from './json-client.js';

/**
 * `npm run demo`: the white paper's Figure 2 over HTTP, against a fresh two-hospital system in a
 * temporary directory. Every step is a real request to a real gateway; nothing is called in-process.
 * The patient, dana, holds her own keys: her "phone" is @medrec/client in this process, deriving
 * them from a recovery phrase, enrolling by CSR and signing every consent itself (issue 10). Her
 * relationship at each hospital is under a delegate that hospital's registrar registers for its
 * chart (docs/privacy.md §3, issue 14), so the ledger does not tie them together. The staff
 * (provider, viewer, auditor) keep their keys in their hospital's vault.
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
  const patients = demoPatientCount(config);
  const system = await openSystem(config, { provisioner: demoProvisioner({ patients }) });
  const gateways = await startGateways(system);
  // This walk is a client of the gateways, as curl --cacert <dataDir>/tls-ca.pem would be.
  trustTlsRoots(system.tlsRootsFile);
  const [h1, h2] = gateways.map((g) => g.url) as [string, string];
  say(`Hospital1MSP ${h1}   Hospital2MSP ${h2}   (ready in ${Date.now() - started} ms; HTTPS, CA file ${system.tlsRootsFile ?? 'none: plain HTTP'})`);
  try {
    // A synthetic person treated at both hospitals (hospital 2 knows them under its own MRN).
    const person = demoPatients('hospital1', { patients }).filter((p) => p.alsoAt)[1]!;

    step('Registrar of Hospital 1 registers a new patient, dana, and hands her a one-time activation code');
    const registrar = await login(h1, 'registrar', DEMO_REGISTRAR_PASSWORD);
    const issued = await ok(h1, 'POST', '/registrar/activations', registrar, {
      username: 'dana',
      role: 'patient',
      externalIdKind: 'national-id',
      externalId: person.externalId,
    });
    say(`home participant ${short(issued.participantId)} (only the keyed hash of the national id is on the ledger); code ${issued.code}, valid until ${issued.expiresAt}`);

    step("dana's phone derives her key from a new 12-word recovery phrase and redeems the code with a CSR");
    const phrase = Wallet.newPhrase();
    const wallet = await Wallet.fromPhrase(phrase);
    const home = new GatewayClient(h1);
    const me = await enrolByActivation(wallet, 'h1', home, issued.code);
    say(`phrase: ${phrase.split(' ').slice(0, 3).join(' ')} … (shown once; it recovers every key on a new phone)`);
    say(`Hospital 1's CA certified the phone's P-256 key for ${me.enrolled().enrollmentId}; the key never left the phone`);

    step("Each hospital's registrar registers a delegate for dana's chart there; her phone redeems each code with a key of its own");
    const registrar2 = await login(h2, 'registrar', DEMO_REGISTRAR_PASSWORD);
    const delegateAt = async (base: string, token: string, mrn: string) => {
      const code = await ok(base, 'POST', '/registrar/delegates', token, { mrn });
      const phone = new GatewayClient(base);
      return { phone, participantId: code.participantId as string, identity: await enrolDelegate(wallet, phone, code.code as string) };
    };
    const at1 = await delegateAt(h1, registrar, person.mrn);
    const at2 = await delegateAt(h2, registrar2, person.alsoAt!.mrn);
    for (const d of [at1, at2]) {
      const { mspId, enrollmentId } = d.identity.enrolled();
      say(`${mspId}: delegate participant ${short(d.participantId)} (${enrollmentId}), bound to the chart there, no external id on the ledger`);
    }
    say('three participants, three keys from one phrase: nothing on the ledger ties them together (docs/privacy.md §3)');

    step('dana logs in at Hospital 2 as her delegate there, with a token signed by her phone, and opens its notification stream');
    const phone = at2.phone;
    const dana = at2.identity;
    const session = await deviceLogin(dana, phone);
    const signer = signerFor(dana);
    const stream = await fetch(`${h2}/notifications/stream`, { headers: { authorization: `Bearer ${session.token}` } });
    const created = new Promise<SseEvent>((resolve, reject) => {
      readSse(stream.body!, (e) => (e.event.startsWith('Relationship') ? (resolve(e), true) : false)).catch(reject);
    });
    say(`stream open (${stream.headers.get('content-type')}); the session holds the delegate's certificate, no key`);

    step('A provider at each hospital (dr-ada, dr-grey) creates a relationship by the chart alone: the gateway names the delegate bound to it');
    const ada = await login(h1, 'dr-ada', 'dr-ada-demo-pass');
    const grey = await login(h2, 'dr-grey', 'dr-grey-demo-pass');
    const rel1 = await ok(h1, 'POST', '/relationships', ada, { mrn: person.mrn });
    const rel = await ok(h2, 'POST', '/relationships', grey, { mrn: person.alsoAt!.mrn });
    say(`(no national id looked up, no patient id handled: patients ${short(rel1.patientId)} and ${short(rel.patientId)} are her two delegates: ${rel1.patientId === at1.participantId && rel.patientId === at2.participantId})`);
    say(`Hospital 1: relationship ${short(rel1.relationshipId)} in block ${rel1.blockNumber}`);
    say(`Hospital 2: relationship ${short(rel.relationshipId)} in block ${rel.blockNumber}, pointers (category → SHA-256 of the record):`);
    for (const p of rel.pointers as Json[]) say(`  ${p.category.padEnd(20)} ${p.hash}`);

    step('dana is notified on her stream');
    const event = await created;
    const data = JSON.parse(event.data) as Json;
    say(`event ${event.event} id=${event.id} (block) relationship ${short(data.relationshipId)} status ${data.status}`);

    step('dana accepts both relationships: for each, her phone checks and signs the proposal and the envelope as that relationship\'s delegate');
    await deviceLogin(at1.identity, at1.phone);
    const accepted1 = await submitTransaction(at1.phone, signerFor(at1.identity), intentFor(at1.identity, 'Relationship', 'accept', [rel1.relationshipId]));
    say(`Hospital 1: ${accepted1.status} in block ${accepted1.blockNumber} (signed by her delegate at Hospital 1)`);
    const accepted = await submitTransaction(phone, signer, intentFor(dana, 'Relationship', 'accept', [rel.relationshipId]));
    say(`Hospital 2: ${accepted.status} in block ${accepted.blockNumber} (tx ${short(accepted.txId)}; signed by her delegate at Hospital 2, endorsed by Hospital2MSP)`);

    step("dana's phone assembles her summary from each of its identities; no ledger index and no single gateway holds the list");
    const clients = new Map([[me.name, home], [at1.identity.name, at1.phone], [dana.name, phone]]);
    await deviceLogin(me, home);
    for (const e of await assembleSummary(wallet, (identity) => clients.get(identity.name)!)) {
      say(`${e.providerMspId}: relationship ${short(e.relationshipId)} ${e.status} (read as ${e.identity})`);
    }

    step("dana's phone fetches her lab results from Hospital 2's gatekeeper, sealed to her delegate's key, and verifies the hash");
    const mine = await fetchRecords(phone, dana, { relationshipId: rel.relationshipId, category: 'Observation' });
    say(`${mine.answer.bundle.total} Observation resources, decision ${mine.answer.decision}; the answer is a JWE (ECDH-ES, A256GCM) only her phone opens`);
    say(`ledger hash ${mine.check.ledgerHash}`);
    say(`phone's hash ${mine.check.localHash}  → matches: ${mine.check.matches}`);

    step('dana grants viewer victor (Hospital 1) two fields of her Hospital 2 lab results for 7 days');
    const victor = await login(h1, 'victor', 'victor-demo-pass');
    const victorId = (await ok(h1, 'GET', '/me', victor)).participantId as string;
    const validUntil = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const grant = { items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }], validUntil, purpose: 'FAMRQT' };
    const granted = await submitTransaction(phone, signer, intentFor(dana, 'Relationship', 'grant', [rel.relationshipId, victorId, JSON.stringify(grant)]));
    say(`granted Observation{code, valueQuantity} until ${validUntil}, purpose FAMRQT (signed on the phone, block ${granted.blockNumber})`);

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
    await submitTransaction(phone, signer, intentFor(dana, 'Relationship', 'revoke', [rel.relationshipId, victorId]));
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

    const skip = new Set([person.mrn, person.alsoAt!.mrn, ...Object.values(system.provisioned).flat().flatMap((u) => [u.mrn, u.alsoAt?.mrn])]);
    await walkResearch({
      system,
      h1,
      h2,
      patients,
      patient: { relationshipId: rel.relationshipId },
      dana: { phone, identity: dana },
      skip: new Set([...skip].filter((m): m is string => m !== undefined)),
      step,
      say,
    });
    process.stdout.write('\nDemo complete.\n');
  } finally {
    await closeAll(system, gateways);
    rmSync(dir, { recursive: true, force: true });
  }
}
