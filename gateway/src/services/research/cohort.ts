import { ageReference, labBounds, type AgeBand, type ResearchQuery } from '@medrec/chaincode/domain';
import type { Row } from '../../ports/ehr.js';
import type { ResearchStore } from '../../ports/research.js';
import { Problem } from '../problem.js';
import { RESEARCH_QUERIES, storeName, type ResearchCatalogue, type ResearchQueryName } from './catalogue.js';
import type { PatientRow } from './disclosure.js';

/** A consenting patient known here: the local key the EHR uses, the participant id the ledger uses. */
export interface Member {
  key: string;
  participantId: string;
}

export interface CohortRow extends PatientRow {
  participantId: string;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})/;

/** Whole years from a birth date to a reference day (both YYYY-MM-DD…); null when the date is unreadable. */
export function ageOn(birthDate: unknown, day: string): number | null {
  const b = typeof birthDate === 'string' ? DAY.exec(birthDate) : null;
  const r = DAY.exec(day);
  if (!b || !r) return null;
  const age = Number(r[1]) - Number(b[1]) - (`${r[2]}${r[3]}` < `${b[2]}${b[3]}` ? 1 : 0);
  return age >= 0 ? age : null;
}

export function ageBandOf(age: number): AgeBand {
  return age < 18 ? '0-17' : age < 40 ? '18-39' : age < 65 ? '40-64' : '65+';
}

/** A catalogue query that returns anything but its declared columns is a mapping fault: nothing is released. */
function mappingFault(detail: string): Problem {
  return new Problem(500, 'RESEARCH_MAPPING_ERROR', `the hospital's aggregate catalogue is wrong: ${detail}`);
}

async function run(
  store: ResearchStore,
  name: ResearchQueryName,
  keys: ReadonlySet<string>,
  params: Record<string, string>,
): Promise<Row[]> {
  const rows = await store.rows(storeName(name), { cohort: JSON.stringify([...keys]), ...params });
  const columns: readonly string[] = RESEARCH_QUERIES[name].columns;
  for (const row of rows) {
    const names = Object.keys(row);
    if (names.length !== columns.length || !names.every((n) => columns.includes(n))) {
      throw mappingFault(`${name} must return exactly ${columns.join(', ')}`);
    }
    if (typeof row['patient_key'] !== 'string' || !keys.has(row['patient_key'])) {
      throw mappingFault(`${name} returned a patient outside the cohort it was given`);
    }
  }
  return rows;
}

/**
 * The consenting cohort as the query sees it: each member's sex and age band from the demographics
 * query, filtered by the criteria (sex, age band, every condition), then the template's own rows —
 * one value per patient for a mean, membership for a count. Only the cohort's keys are ever bound
 * into the SQL, so no other patient's record is read.
 */
export async function cohortRows(store: ResearchStore, catalogue: ResearchCatalogue, query: ResearchQuery, members: readonly Member[]): Promise<CohortRow[]> {
  const byKey = new Map(members.map((m) => [m.key, m.participantId]));
  if (byKey.size === 0) return [];
  const day = ageReference(query);
  const { sex: sexes, ageBands, conditions, period } = query.criteria;
  const people = new Map<string, PatientRow>();
  for (const row of await run(store, 'demographics', new Set(byKey.keys()), {})) {
    const sex = catalogue.sexOf(row['sex']);
    const age = ageOn(row['birth_date'], day);
    const ageBand = age === null ? undefined : ageBandOf(age);
    if (sexes && !sexes.includes(sex)) continue;
    if (ageBands && (ageBand === undefined || !ageBands.includes(ageBand))) continue;
    people.set(row['patient_key'] as string, ageBand === undefined ? ({ sex } as PatientRow) : { sex, ageBand });
  }
  for (const code of conditions ?? []) {
    const codes = JSON.stringify(catalogue.localCodes('conditions', code));
    const having = new Set((await run(store, 'conditions', new Set(people.keys()), { codes, to: day })).map((r) => r['patient_key'] as string));
    for (const key of [...people.keys()]) if (!having.has(key)) people.delete(key);
  }
  const out = (key: string, extra: Partial<PatientRow> = {}): CohortRow => ({ ...people.get(key)!, ...extra, participantId: byKey.get(key)! });
  if (query.template === 'patient-count' || people.size === 0) return [...people.keys()].map((k) => out(k));
  const params = { codes: JSON.stringify(catalogue.localCodes(query.template, query.code!)), from: period!.from, to: period!.to };
  const rows = await run(store, query.template, new Set(people.keys()), params);
  if (query.template === 'medication-count') return [...new Set(rows.map((r) => r['patient_key'] as string))].map((k) => out(k));
  const values = new Map<string, number>();
  for (const row of rows) {
    const value = row['value'];
    if (value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw mappingFault('lab-mean values must be numbers');
    if (values.has(row['patient_key'] as string)) throw mappingFault('lab-mean must return one row per patient');
    values.set(row['patient_key'] as string, value);
  }
  if (!labBounds(query.code!)) throw mappingFault(`no bounds for ${query.code}`);
  return [...values].map(([k, value]) => out(k, { value }));
}
