import { CITIES, FAMILY, GIVEN_FEMALE, GIVEN_MALE } from './catalog.js';
import { Prng } from './prng.js';

export const DEFAULT_SEED = 'medrec-demo-v1';
export const DEFAULT_PATIENTS = 50;

/** An invented person. `externalId` stands in for a national id: the gateway only ever stores its keyed hash. */
export interface SyntheticPerson {
  index: number;
  externalId: string;
  given: string;
  family: string;
  gender: 'female' | 'male';
  birthDate: string;
  phone: string;
  city: string;
  postalCode: string;
}

/** A synthetic person as one hospital knows them. */
export interface DemoPatient extends SyntheticPerson {
  hospital: string;
  mrn: string;
  /** the other hospital's MRN when this person is a patient of both */
  alsoAt?: { hospital: string; mrn: string };
}

export function person(seed: string, index: number): SyntheticPerson {
  const rng = new Prng(`${seed}:person:${index}`);
  const gender = rng.chance(0.5) ? 'female' : 'male';
  const [city, postalCode] = rng.pick(CITIES);
  const born = new Date(Date.UTC(1940, 0, 1) + rng.int(0, 65 * 365) * 86_400_000);
  return {
    index,
    externalId: `SYN-${String(rng.int(100, 999))}-${String(index + 1).padStart(6, '0')}`,
    given: rng.pick(gender === 'female' ? GIVEN_FEMALE : GIVEN_MALE),
    family: rng.pick(FAMILY),
    gender,
    birthDate: born.toISOString().slice(0, 10),
    // 555-01xx numbers are reserved for fiction
    phone: `+1-555-01${String(rng.int(0, 99)).padStart(2, '0')}`,
    city,
    postalCode,
  };
}

/** How many people are patients of both demo hospitals (each with that hospital's own MRN). */
export function sharedCount(patients: number): number {
  return Math.min(5, Math.floor(patients / 2));
}

interface Enrolment {
  /** first person of the shared population this hospital treats */
  firstPerson: (patients: number) => number;
  mrn: (position: number) => string;
}

/**
 * Who each demo hospital treats: hospital1 people [0, n), hospital2 people [n - shared, 2n - shared),
 * hospital3 (the one `fabric:add-hospital` adds) people [2n - 2 shared, 3n - 2 shared), so the last
 * few of each hospital's patients are the next hospital's first few, and nobody is at all three.
 */
const ENROLMENT: Record<string, Enrolment> = {
  hospital1: { firstPerson: () => 0, mrn: (i) => `H1-${String(100 + i).padStart(6, '0')}` },
  hospital2: { firstPerson: (n) => n - sharedCount(n), mrn: (i) => `H2-${String(500 + i).padStart(6, '0')}` },
  hospital3: { firstPerson: (n) => 2 * (n - sharedCount(n)), mrn: (i) => `H3-${String(700 + i).padStart(6, '0')}` },
};

export const DEMO_HOSPITALS = Object.keys(ENROLMENT);

export function demoPatients(hospital: string, options: { patients?: number; seed?: string } = {}): DemoPatient[] {
  const enrolment = ENROLMENT[hospital];
  if (!enrolment) throw new Error(`no demo hospital ${hospital} (known: ${DEMO_HOSPITALS.join(', ')})`);
  const patients = options.patients ?? DEFAULT_PATIENTS;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(patients) || patients < 1 || patients > 100_000) throw new RangeError('patients must be 1..100000');
  const first = enrolment.firstPerson(patients);
  return Array.from({ length: patients }, (_, i) => {
    const index = first + i;
    const alsoAt = otherHospital(hospital, index, patients);
    return { ...person(seed, index), hospital, mrn: enrolment.mrn(i), ...(alsoAt ? { alsoAt } : {}) };
  });
}

function otherHospital(hospital: string, index: number, patients: number): DemoPatient['alsoAt'] {
  for (const [other, enrolment] of Object.entries(ENROLMENT)) {
    if (other === hospital) continue;
    const position = index - enrolment.firstPerson(patients);
    if (position >= 0 && position < patients) return { hospital: other, mrn: enrolment.mrn(position) };
  }
  return undefined;
}
