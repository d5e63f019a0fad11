import {
  ALLERGENS, CLINICIANS, DIAGNOSES, LAB_TESTS, MEDICATIONS, VACCINES, VISIT_KINDS, VISIT_REASONS,
  type Allergen, type Diagnosis, type LabTest, type Medication, type Vaccine,
} from './catalog.js';
import { Prng } from './prng.js';

/** A patient's synthetic record at one hospital, independent of how that hospital stores it. */
export interface ClinicalHistory {
  labs: { test: LabTest; value: number; at: Date; final: boolean }[];
  medications: { medication: Medication; writtenOn: Date; active: boolean; prescriber: string }[];
  diagnoses: { diagnosis: Diagnosis; onset: Date; active: boolean }[];
  allergies: { allergen: Allergen; recordedOn: Date; high: boolean }[];
  vaccinations: { vaccine: Vaccine; givenAt: Date; lot: string }[];
  visits: { kind: (typeof VISIT_KINDS)[number]; reason: string; start: Date; end: Date }[];
}

/** Records are dated in the five years before this fixed instant (never "now": the data must not drift). */
const RECORD_END = Date.UTC(2025, 0, 1);
const FIVE_YEARS_MIN = 5 * 365 * 24 * 60;

export function clinicalHistory(seed: string): ClinicalHistory {
  const rng = new Prng(seed);
  const when = () => new Date(RECORD_END - rng.int(1, FIVE_YEARS_MIN) * 60_000);
  return {
    labs: Array.from({ length: rng.int(2, 7) }, () => {
      const test = rng.pick(LAB_TESTS);
      return { test, value: rng.decimal(test.min, test.max, test.digits), at: when(), final: rng.chance(0.9) };
    }),
    medications: rng.sample(MEDICATIONS, rng.int(0, 3)).map((medication) => ({
      medication, writtenOn: when(), active: rng.chance(0.6), prescriber: rng.pick(CLINICIANS),
    })),
    diagnoses: rng.sample(DIAGNOSES, rng.int(0, 3)).map((diagnosis) => ({ diagnosis, onset: when(), active: rng.chance(0.75) })),
    allergies: rng.sample(ALLERGENS, rng.int(0, 2)).map((allergen) => ({ allergen, recordedOn: when(), high: rng.chance(0.3) })),
    vaccinations: rng.sample(VACCINES, rng.int(1, 4)).map((vaccine) => ({
      vaccine, givenAt: when(), lot: `LOT${String(rng.int(10000, 99999))}`,
    })),
    visits: Array.from({ length: rng.int(1, 4) }, () => {
      const kind = rng.pick(VISIT_KINDS);
      const start = when();
      return { kind, reason: rng.pick(VISIT_REASONS), start, end: new Date(start.getTime() + rng.int(...kind.hours) * 3_600_000) };
    }),
  };
}

type Of<K extends keyof ClinicalHistory> = ClinicalHistory[K][number];
const HOUR = 3_600_000;

/**
 * When each record's row last changed (the resource's meta.lastUpdated), derived from the record's own
 * dates so that no extra random draws shift the rest of the data: demographics confirmed at the latest
 * visit, a lab resulted two hours after collection, a visit documented an hour after it ended.
 */
export const lastChanged = {
  patient: (h: ClinicalHistory): Date => new Date(Math.max(...h.visits.map((v) => v.end.getTime()))),
  lab: (l: Of<'labs'>): Date => new Date(l.at.getTime() + 2 * HOUR),
  medication: (m: Of<'medications'>): Date => m.writtenOn,
  diagnosis: (d: Of<'diagnoses'>): Date => d.onset,
  allergy: (a: Of<'allergies'>): Date => a.recordedOn,
  vaccination: (v: Of<'vaccinations'>): Date => new Date(v.givenAt.getTime() + HOUR / 4),
  visit: (v: Of<'visits'>): Date => new Date(v.end.getTime() + HOUR),
};
