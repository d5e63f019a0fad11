/**
 * A large research population seeded the way a hospital onboards its panel (docs/onboarding.md):
 * each demo hospital's charts go through its panel job (chart proofs, Registrar.registerPanel in
 * batches of 500, links, activation codes — no CA work — and the relationships with the charts'
 * current pointers, createBatch signed by the records service), and the patients who opt in sign
 * their own consent. Their devices are stood in for by the embedded CA's batch enrolment of
 * the panel's enrollment ids (a device would redeem its code with a CSR instead). bench:research uses
 * it for its 100,000-patient population.
 */
import { EmbeddedCa } from '../src/adapters/identity/embedded/index.js';
import { Research } from '../src/contract/medrec.js';
import { endorsedBy } from '../src/contract/request.js';
import type { Credentials } from '../src/ports/identity.js';
import type { MedrecSystem } from '../src/system/system.js';
import { consentOf, pool, registrarOf, type PopulationOptions, type PopulationReport } from './research-population.js';
import { demoPatients } from './seed/population.js';

const BATCH = 500;

export interface PanelPopulationReport extends PopulationReport {
  /** seconds: the panel job (registrations and relationships), the stand-in devices' certificates, the consents */
  phases: { panel_s: number; certificates_s: number; consents_s: number };
  linked: number;
  failed: number;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;
const since = (start: number) => seconds(performance.now() - start);

export async function seedPopulationByPanel(system: MedrecSystem, options: PopulationOptions): Promise<PanelPopulationReport[]> {
  const seed = options.seed ?? 'medrec-demo-v1';
  /**
   * Stand-in devices by participant id: a hospital's panel registers the person under its own index
   * key (docs/privacy.md §2), so a person treated at two hospitals may be two participants, each
   * signing at its own hospital; a participant found again reuses its device.
   */
  const devices = new Map<string, Credentials>();
  const reports: PanelPopulationReport[] = [];
  for (const runtime of system.hospitals) {
    const key = system.config.hospitals.find((h) => h.mspId === runtime.hospital.mspId)?.ehr.demoSeed;
    const ca = system.identities.get(runtime.hospital.mspId)?.identity;
    if (!key || !(ca instanceof EmbeddedCa)) continue;
    const people = demoPatients(key, { patients: options.patients, seed }).filter((p) => !options.skip?.has(p.mrn));
    const byMrn = new Map(people.map((p) => [p.mrn, p]));

    let start = performance.now();
    const submitted = runtime.panels.submit('csv', ['mrn', ...people.map((p) => p.mrn)].join('\n'), 'bench:research', { batchSize: BATCH });
    const job = await runtime.panels.settled(submitted.id);
    if (job.state !== 'done') throw new Error(`${runtime.hospital.mspId}: the panel job stopped: ${JSON.stringify(job)}`);
    const panelS = since(start);
    const { db } = runtime.panels.deps;
    const onboarded = db
      .prepare(
        'SELECT p.participant_id AS pid, p.mrn, p.username, l.relationship_id AS rel FROM panel_patients p JOIN patient_links l ON l.participant_id = p.participant_id WHERE p.job_id = ? ORDER BY p.rowid',
      )
      .all(job.id) as { pid: string; mrn: string; username: string; rel: string }[];
    const relationships = new Map(onboarded.map((o) => [o.pid, o.rel]));

    const registrar = await registrarOf(runtime, options.registrarPassword);
    const consenting = onboarded.flatMap((o) => {
      const person = byMrn.get(o.mrn)!;
      const terms = consentOf(seed, person, options.optIn ?? 0.8);
      return terms ? [{ o, terms }] : [];
    });
    // 500 devices at a time: certificates, then their owners' consents, while each device's new key is
    // still at hand (a device signs with the key it has just made; see rememberPrivateKey).
    let certificatesMs = 0;
    let consentsMs = 0;
    let signed = 0;
    for (let at = 0; at < consenting.length; at += BATCH) {
      const chunk = consenting.slice(at, at + BATCH);
      start = performance.now();
      const newDevices = chunk.filter((c) => c.o.username !== '' && !devices.has(c.o.pid));
      const credentials = newDevices.length === 0 ? [] : await ca.enrollBatch(registrar, newDevices.map((c) => ({ enrollmentId: c.o.username, role: 'patient' })));
      newDevices.forEach((c, i) => devices.set(c.o.pid, credentials[i]!));
      certificatesMs += performance.now() - start;
      start = performance.now();
      const signing = chunk.filter((c) => devices.has(c.o.pid));
      await pool(signing, options.concurrency ?? 48, async ({ o, terms }) => {
        const batch = Research.consentBatch([{ relationshipId: relationships.get(o.pid)!, consent: terms }]);
        await runtime.client.submit(devices.get(o.pid)!, endorsedBy(batch, runtime.hospital.mspId));
      });
      consentsMs += performance.now() - start;
      signed += signing.length;
    }
    options.progress?.(runtime.hospital.mspId, people.length, people.length);
    reports.push({
      mspId: runtime.hospital.mspId,
      patients: onboarded.length,
      consented: signed,
      linked: job.linked,
      failed: job.failed,
      phases: { panel_s: panelS, certificates_s: seconds(certificatesMs), consents_s: seconds(consentsMs) },
    });
  }
  return reports;
}
