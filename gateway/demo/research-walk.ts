import type { MedrecSystem } from '../src/system/system.js';
import { DEMO_REGISTRAR_PASSWORD, DEMO_STEWARDS } from './index.js';
import { call, login, ok, type Json } from './json-client.js';
import { seedResearchPopulation } from './research-population.js';
import { researchInclusions, researchOptIn, researchOptOut, type GatewayClient, type InclusionReport, type WalletIdentity } from '@medrec/client';

/**
 * `npm run demo`, part two: research answers (white paper §2.6) over HTTP on the same system — a
 * population that opted in with its own keys, a study collected from both hospitals and combined,
 * dana opting in and out and asking which studies used her data, all signed on her phone, and a bounty query riding on a
 * provider's pointer update, collected once by the steward it was assigned to.
 */
export interface ResearchWalk {
  system: MedrecSystem;
  h1: string;
  h2: string;
  patients: number;
  /** the figure-2 patient (a relationship at Hospital 2, accepted) */
  patient: { relationshipId: string };
  /** her phone: the client library with the key of her delegate for that relationship, logged in at Hospital 2 */
  dana: { phone: GatewayClient; identity: WalletIdentity };
  /** MRNs the population leaves alone (demo users, the figure-2 patient) */
  skip: ReadonlySet<string>;
  step(title: string): void;
  say(text: string): void;
}

const short = (id: string) => `${id.slice(0, 12)}…`;
const fmt = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? '–' : x.toFixed(digits));

function cellName(cell: Json): string {
  const parts = [cell.sex, cell.ageBand].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : 'all';
}

function printCollection(w: ResearchWalk, collection: Json): void {
  for (const h of collection.hospitals as Json[]) {
    if (h.outcome !== 'released') {
      w.say(`${h.mspId}: ${h.outcome} ${h.problem.status} ${h.problem.code}`);
      continue;
    }
    const cells = (h.answer.cells as Json[]).map((c) =>
      c.suppressed ? `${cellName(c.cell)} suppressed (${c.reason})` : `${cellName(c.cell)} n≈${c.count}${c.mean === undefined ? '' : ` mean ${c.mean}`}`,
    );
    w.say(`${h.mspId}: released in block ${h.release.blockNumber}, answer hash ${short(h.answerHash)} = ledger record: ${h.verified}`);
    const total = h.answer.total as Json | null;
    if (total) cells.push(total.suppressed ? `total suppressed (${total.reason})` : `total n≈${total.count}${total.mean === undefined ? '' : ` mean ${total.mean}`}`);
    w.say(`  ${cells.join('; ')}`);
  }
  const combined = collection.combined as Json | null;
  if (!combined) return;
  w.say('combined (counts added, means weighted by counts, noise variances added):');
  for (const c of combined.cells as Json[]) {
    if (c.count === null) {
      w.say(`  ${cellName(c.cell).padEnd(14)} suppressed everywhere`);
      continue;
    }
    const mean = c.mean === null ? '' : `  mean ${fmt(c.mean)} ± ${fmt(Math.sqrt(c.meanVariance), 1)}`;
    const missing = c.suppressedAt.length > 0 ? `  (suppressed at ${c.suppressedAt.join(', ')})` : '';
    w.say(`  ${cellName(c.cell).padEnd(14)} n≈${String(c.count).padEnd(5)} ± ${fmt(Math.sqrt(c.countVariance))}${mean}${missing}`);
  }
  if (combined.total?.count !== null && combined.total?.count !== undefined) w.say(`  ${'total'.padEnd(14)} n≈${combined.total.count} ± ${fmt(Math.sqrt(combined.total.countVariance))}`);
}

export async function walkResearch(w: ResearchWalk): Promise<void> {
  const { h1, h2 } = w;
  w.step(`Seed the research population: ${w.patients} synthetic patients per hospital, most opting in with their own keys`);
  const started = Date.now();
  const reports = await seedResearchPopulation(w.system, { patients: w.patients, registrarPassword: DEMO_REGISTRAR_PASSWORD, skip: w.skip });
  for (const r of reports) w.say(`${r.mspId}: ${r.patients} patients on the ledger with a relationship, ${r.consented} opted in`);
  w.say(`(certificates, registrations and relationships in batches of 500, one consent transaction per patient: ${((Date.now() - started) / 1000).toFixed(1)} s)`);

  w.step("Each hospital's registrar names its organisation's research steward");
  for (const [base, msp] of [[h1, 'Hospital1MSP'], [h2, 'Hospital2MSP']] as const) {
    const registrar = await login(base, 'registrar', DEMO_REGISTRAR_PASSWORD);
    const username = DEMO_STEWARDS[msp]!;
    const steward = (await ok(base, 'GET', '/me', await login(base, username, `${username}-demo-pass`))).participantId as string;
    const named = await ok(base, 'POST', '/research/stewards', registrar, { participantId: steward });
    w.say(`${msp}: ${username} (${short(named.participantId)}) in block ${named.blockNumber}`);
  }

  w.step("dana opts in to research on her relationship: her phone signs Research.consentBatch, endorsed by Hospital 2, which keeps her records");
  const consent = await researchOptIn(w.dana.phone, w.dana.identity, { categories: ['Patient', 'Observation', 'Condition', 'MedicationRequest'] });
  w.say(`consent on ${consent.relationshipIds.length} relationship(s): ${consent.status} in block ${consent.blockNumber} (per relationship: it links none of her hospitals to another)`);

  w.step('rhea (researcher, Hospital 1) submits a study: mean glucose (LOINC 2345-7) 2020–2024 of women and men, by sex, epsilon 1');
  const rhea = await login(h1, 'rhea', 'rhea-demo-pass');
  const until = new Date(Date.now() + 30 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const study = await ok(h1, 'POST', '/research/studies', rhea, {
    template: 'lab-mean', code: '2345-7', criteria: { period: { from: '2020-01-01', to: '2025-01-01' }, sex: ['female', 'male'] }, groupBy: ['sex'], epsilon: 1, validUntil: until,
  });
  w.say(`study ${short(study.queryId)} on the ledger: a template id, a LOINC code, dates and epsilon — no SQL, no text`);

  w.step("rhea collects: each hospital's gatekeeper answers over its consenting patients only, after disclosure control");
  const collection = await ok(h1, 'POST', `/research/queries/${study.queryId}/collect`, rhea);
  printCollection(w, collection);
  const again = await ok(h1, 'POST', `/research/queries/${study.queryId}/collect`, rhea);
  w.say(`collecting again → ${(again.hospitals as Json[]).map((h) => `${h.mspId} ${h.problem?.status} ${h.problem?.code}`).join(', ')}`);

  w.step('A study counting adults with type 2 diabetes (SNOMED 44054006) by age band');
  const diabetes = await ok(h1, 'POST', '/research/studies', rhea, {
    template: 'patient-count', criteria: { conditions: ['44054006'], ageBands: ['18-39', '40-64', '65+'] }, groupBy: ['ageBand'], epsilon: 1, validUntil: until,
  });
  printCollection(w, await ok(h1, 'POST', `/research/queries/${diabetes.queryId}/collect`, rhea));

  w.step("dana's phone asks each hospital which studies used her data (the gatekeepers keep it; the ledger does not), with requests signed on the phone");
  const describe = (r: InclusionReport) => r.inclusions?.map((i) => `${i.kind} ${short(i.queryId)}`).join(', ') || (r.problem ? `${r.problem.status} ${r.problem.code}` : 'none');
  for (const r of await researchInclusions(w.dana.phone, w.dana.identity)) w.say(`${r.providerMspId}: ${describe(r)}`);

  w.step('dana opts out on her phone; the very next answer leaves her out');
  const out = await researchOptOut(w.dana.phone, w.dana.identity);
  w.say(`withdrawn on ${out?.relationshipIds.length ?? 0} relationship(s) in block ${out?.blockNumber}`);
  const next = await ok(h1, 'POST', '/research/studies', rhea, { template: 'patient-count', groupBy: ['sex'], epsilon: 0.5, validUntil: until });
  await ok(h1, 'POST', `/research/queries/${next.queryId}/collect`, rhea);
  const after = await researchInclusions(w.dana.phone, w.dana.identity);
  const inNext = after.some((r) => r.inclusions?.some((i) => i.queryId === next.queryId));
  w.say(`a new study collected after the opt-out included dana: ${inNext}`);

  const grey = await login(h2, 'dr-grey', 'dr-grey-demo-pass');
  w.step("dr-grey (provider, Hospital 2) updates dana's lab pointer and attaches a bounty query: mean hemoglobin (718-7) over 2024");
  const bounty = await ok(h2, 'POST', '/research/bounties', grey, {
    relationshipId: w.patient.relationshipId, category: 'Observation', template: 'lab-mean', code: '718-7',
    criteria: { period: { from: '2024-01-01', to: '2025-01-01' } }, epsilon: 1,
  });
  w.say(`pointer version ${bounty.pointer.version}; bounty ${short(bounty.bountyId)} assigned by the chaincode (SHA-256 of the tx id mod the stewards) to ${short(bounty.stewardId)}`);
  const steward = Object.entries(DEMO_STEWARDS).find(([msp]) => msp !== 'Hospital2MSP')!;
  const stu = await login(h1, steward[1], `${steward[1]}-demo-pass`);
  const stuId = (await ok(h1, 'GET', '/me', stu)).participantId as string;
  w.say(`the steward is ${stuId === bounty.stewardId ? `${steward[1]} of ${steward[0]} (a provider's own organisation's steward is passed over)` : 'another one'}`);

  w.step('Anyone but the steward is refused; the steward collects the bounty once');
  const stolen = await call(h1, 'POST', `/research/queries/${bounty.bountyId}/collect`, rhea);
  w.say(`rhea tries → ${(stolen.json.hospitals as Json[]).map((h) => `${h.problem?.status} ${h.problem?.code}`).join(', ')}`);
  const mine = await ok(h1, 'GET', '/research/bounties', stu);
  w.say(`${steward[1]}'s bounties: ${(mine.bounties as Json[]).map((b) => `${short(b.queryId)} collected=${b.collected}`).join(', ')}`);
  printCollection(w, await ok(h1, 'POST', `/research/queries/${bounty.bountyId}/collect`, stu));
  const twice = await ok(h1, 'POST', `/research/queries/${bounty.bountyId}/collect`, stu);
  w.say(`a second collection → ${(twice.hospitals as Json[]).map((h) => `${h.problem?.status} ${h.problem?.code}`).join(', ')}`);

  w.step('What the ledger keeps of the releases (auditor audra): hospital, time, answer hash, epsilon, cells — no cohort, no value');
  const audra = await login(h1, 'audra', 'audra-demo-pass');
  const releases = await ok(h1, 'GET', `/research/queries/${study.queryId}/releases`, audra);
  for (const r of releases.releases as Json[]) w.say(`${r.mspId} ${r.releasedAt} hash ${short(r.answerHash)} epsilon ${r.epsilon} cells ${r.cells}`);
  const rheaId = (await ok(h1, 'GET', '/me', rhea)).participantId as string;
  const budget = await ok(h1, 'GET', `/research/budgets/${rheaId}`, rhea);
  w.say(`rhea's privacy budget: ${budget.spent} of ${budget.limit} spent over ${budget.releases} released answers (every hospital's answer counts)`);
}
