/**
 * The demo's research population: every synthetic patient of a demo hospital's EHR (but the demo
 * users, who act for themselves) gets a ledger identity, a relationship with its hospital carrying
 * current pointers, and — for most of them — a research consent signed with their own key. Batched
 * the way a hospital onboards a panel: 500 certificates, registrations and relationships a step,
 * consents in parallel. npm start, npm run demo and bench:research use it; tests seed small ones.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Category, ConsentTerms } from '@medrec/chaincode/domain';
import { EmbeddedCa } from '../src/adapters/identity/embedded/index.js';
import { Registrar, Relationship, Research } from '../src/contract/medrec.js';
import { endorsedBy } from '../src/contract/request.js';
import type { HospitalRuntime } from '../src/http/runtime.js';
import type { Credentials } from '../src/ports/identity.js';
import { REGISTRAR_USERNAME } from '../src/services/enrolment/bootstrap.js';
import type { MedrecSystem } from '../src/system/system.js';
import { demoPatients, type DemoPatient } from './seed/population.js';
import { Prng } from './seed/prng.js';

export interface PopulationOptions {
  /** patients per hospital in its EHR (the seeder's --patients) */
  patients: number;
  registrarPassword: string;
  /** share of the population that opts in (default 0.8) */
  optIn?: number;
  /** MRNs left alone (the demo users' charts) */
  skip?: ReadonlySet<string>;
  /** consent transactions in flight at once */
  concurrency?: number;
  /**
   * Relationships carry the current pointers (default true). bench:research's large synthetic
   * population opts out: research reads consents and the EHR, never pointers, and hashing every
   * category of 100,000 charts would dominate the seeding.
   */
  pointers?: boolean;
  seed?: string;
  progress?: (mspId: string, done: number, of: number) => void;
}

export interface PopulationReport {
  mspId: string;
  patients: number;
  consented: number;
}

const BATCH = 500;
const RESEARCH_CATEGORIES: Category[] = ['Patient', 'Observation', 'MedicationRequest', 'Condition'];

/** A patient who may act: their certificate and key, their participant id on the ledger. */
interface Member {
  credentials: Credentials;
  participantId: string;
}

export async function registrarOf(runtime: HospitalRuntime, password: string): Promise<Credentials> {
  const account = runtime.accounts.get(REGISTRAR_USERNAME)!;
  return { mspId: runtime.hospital.mspId, enrollmentId: account.enrollmentId, certificate: account.certificate, privateKey: await runtime.sealer.open(account.sealedKey, password) };
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/** Most consent to every category research reads; some to demographics and labs only; the rest never. */
export function consentOf(seed: string, patient: DemoPatient, share: number): ConsentTerms | null {
  const rng = new Prng(`${seed}:research-consent:${patient.externalId}`);
  if (!rng.chance(share)) return null;
  return { categories: rng.chance(0.85) ? RESEARCH_CATEGORIES : ['Patient', 'Observation'], studyId: null, validUntil: null };
}

/**
 * Seeds every embedded demo hospital's population, hospital by hospital (a person treated at two
 * hospitals is registered by the first, her home, and treated at the second under a delegate that
 * hospital registers: a relationship, and a consent, at each, sharing no identifier on the ledger).
 */
export async function seedResearchPopulation(system: MedrecSystem, options: PopulationOptions): Promise<PopulationReport[]> {
  const seed = options.seed ?? 'medrec-demo-v1';
  const known = new Map<string, Member>();
  const reports: PopulationReport[] = [];
  for (const runtime of system.hospitals) {
    const key = system.config.hospitals.find((h) => h.mspId === runtime.hospital.mspId)?.ehr.demoSeed;
    const ca = system.identities.get(runtime.hospital.mspId)?.identity;
    if (!key || !(ca instanceof EmbeddedCa)) continue;
    const registrar = await registrarOf(runtime, options.registrarPassword);
    const people = demoPatients(key, { patients: options.patients, seed }).filter((p) => !options.skip?.has(p.mrn) && !(p.alsoAt && options.skip?.has(p.alsoAt.mrn)));
    let consented = 0;
    for (let at = 0; at < people.length; at += BATCH) {
      const chunk = people.slice(at, at + BATCH);
      const members = new Map<string, Member>();
      const fresh = chunk.filter((p) => !known.has(p.externalId));
      if (fresh.length > 0) {
        const credentials = await ca.enrollBatch(registrar, fresh.map((p) => ({ enrollmentId: `pop-${p.mrn.toLowerCase()}`, role: 'patient' })));
        const items = fresh.map((p, i) => ({
          externalIdHash: runtime.externalIds.own('national-id', p.externalId),
          enrollmentId: credentials[i]!.enrollmentId,
          role: 'patient' as const,
        }));
        const pids = await runtime.client.submit(registrar, Registrar.registerBatch(items));
        fresh.forEach((p, i) => {
          const member = { credentials: credentials[i]!, participantId: pids.value[i]! };
          known.set(p.externalId, member);
          members.set(p.mrn, member);
        });
      }
      // A person an earlier hospital registered is treated here under a delegate of this hospital's
      // (docs/privacy.md §3): the ledger refuses her home id here.
      const elsewhere = chunk.filter((p) => !members.has(p.mrn));
      if (elsewhere.length > 0) {
        const credentials = await ca.enrollBatch(registrar, elsewhere.map((p) => ({ enrollmentId: `pop-${p.mrn.toLowerCase()}`, role: 'patient' })));
        await pool(elsewhere.map((p, i) => ({ p, c: credentials[i]! })), options.concurrency ?? 48, async ({ p, c }) => {
          const record = await runtime.client.submit(registrar, Registrar.registerDelegate(c.enrollmentId));
          runtime.relationships.bindDelegate(record.value.participantId, p.mrn, 'demo-population');
          members.set(p.mrn, { credentials: c, participantId: record.value.participantId });
        });
      }
      const creates: { patientId: string; endpoint: string; pointers: { category: Category; hash: string }[] }[] = [];
      for (const p of chunk) {
        const patientId = members.get(p.mrn)!.participantId;
        // As a provider's create: the chart proves to be this person's before it is linked, one to one
        // (a delegate's chart is bound already, by the registrar who registered it).
        await runtime.relationships.link(runtime.service, 'demo-population', patientId, p.mrn);
        creates.push({ patientId, endpoint: runtime.hospital.publicUrl, pointers: options.pointers === false ? [] : await runtime.relationships.pointersFor(p.mrn) });
      }
      // One relationship per patient and hospital: the ledger refuses the batch if any already has one.
      const rels = await runtime.client.submit(runtime.service, endorsedBy(Relationship.createBatch(creates), runtime.hospital.mspId));
      const consents = chunk.flatMap((p, i) => {
        const terms = consentOf(seed, p, options.optIn ?? 0.8);
        return terms ? [{ member: members.get(p.mrn)!, relationshipId: rels.value[i]!, terms }] : [];
      });
      await pool(consents, options.concurrency ?? 48, async ({ member, relationshipId, terms }) => {
        const batch = Research.consentBatch([{ relationshipId, consent: terms }]);
        await runtime.client.submit(member.credentials, endorsedBy(batch, runtime.hospital.mspId));
      });
      consented += consents.length;
      options.progress?.(runtime.hospital.mspId, Math.min(at + BATCH, people.length), people.length);
    }
    reports.push({ mspId: runtime.hospital.mspId, patients: people.length, consented });
  }
  return reports;
}

/** Names each demo hospital's steward (a researcher demo user) on the ledger, once. */
export async function registerStewards(system: MedrecSystem, registrarPassword: string, usernames: Record<string, string>): Promise<void> {
  for (const runtime of system.hospitals) {
    const username = usernames[runtime.hospital.mspId];
    const account = username ? runtime.accounts.get(username) : undefined;
    if (!account) continue;
    const registrar = await registrarOf(runtime, registrarPassword);
    const current = await runtime.client.evaluate(registrar, Research.stewards());
    if (current.some((s) => s.participantId === account.participantId)) continue;
    await runtime.research.registerSteward(registrar, account.participantId);
  }
}

export type FirstStart =
  | { state: 'seeded'; reports: PopulationReport[]; ms: number }
  | { state: 'interrupted' | 'present' };

/**
 * On a demo installation's first start: the research stewards and population, once. A marker in the
 * data directory says it is under way or done; a seeding that was interrupted (the process stopped)
 * is not resumed — the demo's data directory is disposable: delete it to start over.
 */
export async function populateOnFirstStart(system: MedrecSystem, options: PopulationOptions & { stewards: Record<string, string> }): Promise<FirstStart | null> {
  const marker = join(system.config.dataDir, 'research-population.json');
  if (!system.config.seedDemo) return null;
  if (existsSync(marker)) {
    const { state } = JSON.parse(readFileSync(marker, 'utf8')) as { state: string };
    return { state: state === 'done' ? 'present' : 'interrupted' };
  }
  writeFileSync(marker, '{"state":"seeding"}\n', { mode: 0o600 });
  const started = Date.now();
  await registerStewards(system, options.registrarPassword, options.stewards);
  const reports = await seedResearchPopulation(system, options);
  const ms = Date.now() - started;
  writeFileSync(marker, `${JSON.stringify({ state: 'done', reports, ms }, null, 2)}\n`, { mode: 0o600 });
  return { state: 'seeded', reports, ms };
}
