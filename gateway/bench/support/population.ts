/**
 * Bench only: many requesters, certificates and relationships, so that no cache of the gatekeeper
 * (certificates, ledger state, patient links) stays hot by accident. Patients each have a
 * relationship at Hospital 2 (the gatekeeper under test) with an Observation pointer, under an
 * identity Hospital 2 certified and registered (what a delegate is, docs/privacy.md §3: the ledger
 * refuses a patient registered elsewhere there); some of them accepted it and granted a Hospital 1
 * viewer two Observation fields. Every patient and viewer
 * holds several certificates (re-enrolments: same identity, new key): 11,000 in all, more than the
 * gatekeeper's certificate cache held before issue 17 (10,000).
 */
import { randomBytes } from 'node:crypto';
import { Registrar, Relationship, type CreateItem } from '../../src/contract/medrec.js';
import { endorsedBy } from '../../src/contract/request.js';
import type { Credentials } from '../../src/ports/identity.js';
import { hashResources } from '../../src/services/records/records.js';
import type { Person, World } from '../../test/support/world.js';
import { caIssuer } from './issuer.js';

export interface PopulationSize {
  /** patients, each with one relationship at Hospital 2 (and a chart there) */
  relationships: number;
  /** viewers, each granted Observation fields on one relationship */
  viewers: number;
  certificatesPerPatient: number;
  certificatesPerViewer: number;
}

/** One certificate that may ask: whose, for which relationship and chart. */
export interface Requester {
  certificate: string;
  privateKey: string;
  mspId: string;
  rel: string;
  mrn: string;
  role: 'patient' | 'viewer';
}

export const CATEGORY = 'Observation' as const;
const BATCH = 500;
const CONCURRENCY = 32;
const GRANTED = ['code', 'valueQuantity'];

async function inParallel<T>(items: readonly T[], work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

const progress = (step: string) => process.stderr.write(`bench setup: ${step}\n`);

export async function populate(world: World, doctor: Person, size: PopulationSize): Promise<Requester[]> {
  const { h1, h2, client } = world;
  if (h2.patients.length < size.relationships) throw new Error(`Hospital 2 has only ${h2.patients.length} charts`);
  const [issuer1, issuer2] = await Promise.all([h1, h2].map((h) => caIssuer({ mspId: h.mspId, name: h.name, dataDir: h.dataDir })));
  const issueAll = async (issuer: Awaited<ReturnType<typeof caIssuer>>, prefix: string, role: string, people: number, each: number) => {
    const certs: Credentials[][] = Array.from({ length: people }, () => []);
    await inParallel(
      Array.from({ length: people * each }, (_, i) => i),
      async (i) => void certs[i % people]!.push(await issuer.issue(`${prefix}${i % people}`, role)),
    );
    return certs;
  };
  progress('issuing certificates');
  const patients = await issueAll(issuer2!, 'bench.patient.', 'patient', size.relationships, size.certificatesPerPatient);
  const viewers = await issueAll(issuer1!, 'bench.viewer.', 'viewer', size.viewers, size.certificatesPerViewer);

  const register = async (people: Credentials[][], role: 'patient' | 'viewer') => {
    const registrar = role === 'patient' ? h2.registrar : h1.registrar;
    const pids: string[] = [];
    for (let i = 0; i < people.length; i += BATCH) {
      const items = people.slice(i, i + BATCH).map(([c]) => ({ externalIdHash: randomBytes(32).toString('hex'), enrollmentId: c!.enrollmentId, role }));
      pids.push(...(await client.submit(registrar, Registrar.registerBatch(items))).value);
    }
    return pids;
  };
  progress('registering identities');
  const patientPids = await register(patients, 'patient');
  const viewerPids = await register(viewers, 'viewer');

  progress('opening relationships');
  const charts = h2.patients.slice(0, size.relationships).map((p) => p.mrn);
  const items: CreateItem[] = [];
  for (const [i, mrn] of charts.entries()) {
    const hash = hashResources(await h2.records.fetch(CATEGORY, mrn));
    items.push({ patientId: patientPids[i]!, endpoint: h2.url, pointers: [{ category: CATEGORY, hash }] });
  }
  const rels: string[] = [];
  for (let i = 0; i < items.length; i += BATCH) {
    rels.push(...(await client.submit(doctor.signer, endorsedBy(Relationship.createBatch(items.slice(i, i + BATCH)), h2.mspId))).value);
  }
  charts.forEach((mrn, i) => h2.links.set(patientPids[i]!, mrn, doctor.enrollmentId));

  progress('accepting and granting');
  const validUntil = new Date(Date.now() + 7 * 86_400_000).toISOString();
  await inParallel(viewerPids, async (viewerPid, i) => {
    const patient = patients[i]![0]!;
    await client.submit(patient, endorsedBy(Relationship.accept(rels[i]!), h2.mspId));
    const grant = { items: [{ category: CATEGORY, fields: GRANTED }], validUntil, purpose: 'TREAT' as const };
    await client.submit(patient, endorsedBy(Relationship.grant(rels[i]!, viewerPid, grant), h2.mspId));
  });

  const requester = (c: Credentials, i: number, role: Requester['role']): Requester => ({
    certificate: c.certificate,
    privateKey: c.privateKey,
    mspId: c.mspId,
    rel: rels[i]!,
    mrn: charts[i]!,
    role,
  });
  return [
    ...patients.flatMap((certs, i) => certs.map((c) => requester(c, i, 'patient'))),
    ...viewers.flatMap((certs, i) => certs.map((c) => requester(c, i, 'viewer'))),
  ];
}
