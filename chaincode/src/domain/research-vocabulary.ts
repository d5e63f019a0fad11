import type { Category } from './categories';

/**
 * The consortium's research vocabulary: every word a study, a bounty or a research consent may
 * carry onto the ledger. Closed lists only — template ids, LOINC, RxNorm and SNOMED CT codes, sex
 * and age-band codes, dates — so no free text, SQL or identifier can ride along. Extending it is a
 * chaincode upgrade every hospital approves; each hospital implements the templates in its own
 * mapping file (its aggregate catalogue).
 */

export const AGE_BANDS = ['0-17', '18-39', '40-64', '65+'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

/** FHIR administrative gender. */
export const SEXES = ['female', 'male', 'other', 'unknown'] as const;
export type Sex = (typeof SEXES)[number];

/** What an answer's cells may be split by. */
export const DIMENSIONS = ['sex', 'ageBand'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * Laboratory tests (LOINC) a `lab-mean` may name, each with the consortium's bounds: a patient's
 * value is clamped into [lo, hi] before it is summed, which bounds one patient's influence on an
 * answer (the sensitivity the noise is calibrated to). 2498-4 is the white paper's bounty example.
 */
export const RESEARCH_LABS = {
  '2345-7': { lo: 40, hi: 400, unit: 'mg/dL', digits: 0 },
  '4548-4': { lo: 3, hi: 16, unit: '%', digits: 1 },
  '2093-3': { lo: 80, hi: 400, unit: 'mg/dL', digits: 0 },
  '718-7': { lo: 5, hi: 22, unit: 'g/dL', digits: 1 },
  '2160-0': { lo: 0.2, hi: 10, unit: 'mg/dL', digits: 2 },
  '6690-2': { lo: 1, hi: 40, unit: '10*3/uL', digits: 1 },
  '8867-4': { lo: 30, hi: 200, unit: '/min', digits: 0 },
  '8310-5': { lo: 34, hi: 42, unit: 'Cel', digits: 1 },
  '29463-7': { lo: 2, hi: 250, unit: 'kg', digits: 1 },
  '2498-4': { lo: 10, hi: 300, unit: 'ug/dL', digits: 0 },
} as const satisfies Record<string, LabBounds>;

export interface LabBounds {
  lo: number;
  hi: number;
  /** UCUM unit the hospitals report the value in */
  unit: string;
  /** decimals the answer's means are rounded to */
  digits: number;
}

/** Medications (RxNorm) a `medication-count` may name. */
export const RESEARCH_MEDICATIONS = ['860975', '314076', '617312', '745679', '310965', '312940'] as const;

/** Conditions (SNOMED CT, the consortium's reference terminology) a cohort may be restricted to. */
export const RESEARCH_CONDITIONS = [
  '44054006', '38341003', '195967001', '55822004', '35489007', '69896004', '40055000', '399211009',
] as const;

/**
 * The aggregate templates. `measure` says what a cell holds (a count of patients, or a mean of one
 * bounded value per patient); `category` is the record category the template reads besides the
 * patient's demographics; `code` names the vocabulary its one code parameter comes from; templates
 * over dated events need a period.
 */
export const RESEARCH_TEMPLATES = {
  'patient-count': { measure: 'count', category: 'Patient', code: null, period: false },
  'lab-mean': { measure: 'mean', category: 'Observation', code: 'lab', period: true },
  'medication-count': { measure: 'count', category: 'MedicationRequest', code: 'medication', period: true },
} as const satisfies Record<string, TemplateSpec>;

export interface TemplateSpec {
  measure: 'count' | 'mean';
  category: Category;
  code: 'lab' | 'medication' | null;
  period: boolean;
}

export type TemplateId = keyof typeof RESEARCH_TEMPLATES;
export const TEMPLATE_IDS = Object.keys(RESEARCH_TEMPLATES) as TemplateId[];

export function isTemplateId(value: unknown): value is TemplateId {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RESEARCH_TEMPLATES, value);
}

export function labBounds(code: string): LabBounds | undefined {
  return Object.prototype.hasOwnProperty.call(RESEARCH_LABS, code) ? RESEARCH_LABS[code as keyof typeof RESEARCH_LABS] : undefined;
}

/**
 * Disclosure limits the chaincode and every gatekeeper apply (docs/research.md):
 * - epsilon: the privacy loss one hospital's answer may cost, in [epsilonMin, epsilonMax], at most
 *   three decimals (accounted in thousandths, so sums are exact);
 * - budget: the total epsilon of all answers released to one researcher (or steward), every
 *   hospital's answers counted, so one patient's loss to one researcher never exceeds it;
 * - delta: the chance per answer that the small-cell threshold lets a cell through that the noise
 *   alone would not justify; it sets the noisy threshold above minCell;
 * - minCell: the CMS cell-size rule, no cell of fewer than 11 patients.
 */
export const RESEARCH_LIMITS = {
  epsilonMin: 0.1,
  epsilonMax: 1,
  budget: 5,
  delta: 1e-6,
  minCell: 11,
  studyMaxDays: 365,
  consentMaxDays: 3650,
  conditionsPerQuery: 4,
  /** cohort members per page of Research.prepareRelease (each a 64-hex pid: ~0.7 MB a page) */
  cohortPage: 10_000,
} as const;

export type Measure = TemplateSpec['measure'];
