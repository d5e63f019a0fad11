import type { SqlValue } from '../../src/ports/ehr.js';
import { day, legacyUtc } from './formats.js';
import { clinicalHistory, lastChanged } from './history.js';
import type { DemoPatient } from './population.js';
import { sequences, type Dataset, type TableSpec } from './tables.js';

/**
 * hospital2: an older schema with terse names, one-letter status codes, zone-less timestamps,
 * ICD-10 problems and labs and vital signs together in `observations`. The mapping file does the rest.
 */
const fk = { type: 'int', notNull: true, references: 'person(person_no)' } as const;
const text = (name: string, length = 200, notNull = false) => ({ name, type: 'text', length, notNull }) as const;
/** the row's last update (zone-less UTC text, like every hospital2 timestamp): the resource's meta.lastUpdated */
const UPDT = { name: 'updt_dttm', type: 'datetime', notNull: true } as const;

export const HOSPITAL2_TABLES: TableSpec[] = [
  { name: 'person', primaryKey: 'person_no', feeds: { category: 'Patient', patientColumn: 'person_no' }, columns: [
    { name: 'person_no', type: 'int' }, { ...text('med_rec_no', 64, true), unique: true }, text('first_nm', 60),
    text('last_nm', 60), text('gender_cd', 1), { name: 'dob', type: 'date' }, text('home_phone', 32), text('city_nm', 60),
    text('zip_cd', 10), UPDT, { ...text('natl_id_no', 32), unique: true }] },
  { name: 'observations', primaryKey: 'obs_seq', feeds: { category: 'Observation', patientColumn: 'person_no' }, columns: [
    { name: 'obs_seq', type: 'int' }, { name: 'person_no', ...fk }, text('obs_type', 3, true), text('obs_code', 16, true),
    text('obs_desc'), { name: 'result_value', type: 'decimal' }, text('result_unit', 32), { name: 'obs_dttm', type: 'datetime' },
    text('result_status', 1, true), UPDT] },
  { name: 'med_orders', primaryKey: 'order_no', feeds: { category: 'MedicationRequest', patientColumn: 'person_no' }, columns: [
    { name: 'order_no', type: 'int' }, { name: 'person_no', ...fk }, text('rx_code', 16, true), text('med_desc'), text('sig'),
    text('order_status', 1, true), { name: 'order_dttm', type: 'datetime' }, text('ordering_md', 100), UPDT] },
  { name: 'problems', primaryKey: 'problem_id', feeds: { category: 'Condition', patientColumn: 'person_no' }, columns: [
    { name: 'problem_id', type: 'int' }, { name: 'person_no', ...fk }, text('icd10_code', 10, true), text('problem_text'),
    text('status_cd', 1, true), { name: 'noted_date', type: 'date' }, UPDT] },
  { name: 'allergy_list', primaryKey: 'allergy_no', feeds: { category: 'AllergyIntolerance', patientColumn: 'person_no' }, columns: [
    { name: 'allergy_no', type: 'int' }, { name: 'person_no', ...fk }, text('allergen_code', 20, true), text('allergen_desc', 100),
    text('allergen_type', 4), text('severity_cd', 1), { name: 'entered_date', type: 'date' }, UPDT] },
  { name: 'immunization_log', primaryKey: 'imm_id', feeds: { category: 'Immunization', patientColumn: 'person_no' }, columns: [
    { name: 'imm_id', type: 'int' }, { name: 'person_no', ...fk }, text('cvx', 8, true), text('vaccine_desc'),
    { name: 'admin_dttm', type: 'datetime' }, text('lot_no', 32), UPDT] },
  { name: 'admissions', primaryKey: 'adm_no', feeds: { category: 'Encounter', patientColumn: 'person_no' }, columns: [
    { name: 'adm_no', type: 'int' }, { name: 'person_no', ...fk }, text('adm_type', 1, true), text('adm_reason'),
    { name: 'adm_dttm', type: 'datetime' }, { name: 'disch_dttm', type: 'datetime' }, UPDT] },
];

const ALLERGEN_TYPE = { medication: 'DRUG', food: 'FOOD', environment: 'ENV' } as const;
const ADMISSION_TYPE = { AMB: 'O', IMP: 'I', EMER: 'E' } as const;

export function hospital2Dataset(patients: DemoPatient[], seed: string): Dataset {
  const rows: Record<string, Record<string, SqlValue>[]> = Object.fromEntries(HOSPITAL2_TABLES.map((t) => [t.name, []]));
  const next = sequences();
  patients.forEach((p, i) => {
    const person_no = 50001 + i;
    const h = clinicalHistory(`${seed}:hospital2:${p.mrn}`);
    rows['person']!.push({ person_no, med_rec_no: p.mrn, first_nm: p.given, last_nm: p.family,
      gender_cd: p.gender === 'female' ? 'F' : 'M', dob: p.birthDate, home_phone: p.phone, city_nm: p.city, zip_cd: p.postalCode,
      natl_id_no: p.externalId, updt_dttm: legacyUtc(lastChanged.patient(h)) });
    for (const o of h.labs) {
      rows['observations']!.push({ obs_seq: 700000 + next('obs'), person_no, obs_type: o.test.vital ? 'VS' : 'LAB',
        obs_code: o.test.loinc, obs_desc: o.test.name, result_value: o.value, result_unit: o.test.ucum,
        obs_dttm: legacyUtc(o.at), result_status: o.final ? 'F' : 'P', updt_dttm: legacyUtc(lastChanged.lab(o)) });
    }
    for (const m of h.medications) {
      rows['med_orders']!.push({ order_no: next('order'), person_no, rx_code: m.medication.rxnorm, med_desc: m.medication.name,
        sig: m.medication.sig, order_status: m.active ? 'A' : 'D', order_dttm: legacyUtc(m.writtenOn), ordering_md: m.prescriber,
        updt_dttm: legacyUtc(lastChanged.medication(m)) });
    }
    for (const d of h.diagnoses) {
      rows['problems']!.push({ problem_id: next('problem'), person_no, icd10_code: d.diagnosis.icd10, problem_text: d.diagnosis.name,
        status_cd: d.active ? 'A' : 'R', noted_date: day(d.onset), updt_dttm: legacyUtc(lastChanged.diagnosis(d)) });
    }
    for (const a of h.allergies) {
      rows['allergy_list']!.push({ allergy_no: next('allergy'), person_no, allergen_code: a.allergen.snomed,
        allergen_desc: a.allergen.name, allergen_type: ALLERGEN_TYPE[a.allergen.category], severity_cd: a.high ? 'H' : 'L',
        entered_date: day(a.recordedOn), updt_dttm: legacyUtc(lastChanged.allergy(a)) });
    }
    for (const v of h.vaccinations) {
      rows['immunization_log']!.push({ imm_id: next('imm'), person_no, cvx: v.vaccine.cvx, vaccine_desc: v.vaccine.name,
        admin_dttm: legacyUtc(v.givenAt), lot_no: v.lot, updt_dttm: legacyUtc(lastChanged.vaccination(v)) });
    }
    for (const v of h.visits) {
      rows['admissions']!.push({ adm_no: next('adm'), person_no, adm_type: ADMISSION_TYPE[v.kind.actCode], adm_reason: v.reason,
        adm_dttm: legacyUtc(v.start), disch_dttm: legacyUtc(v.end), updt_dttm: legacyUtc(lastChanged.visit(v)) });
    }
  });
  return { hospital: 'hospital2', tables: HOSPITAL2_TABLES.map((spec) => ({ spec, rows: rows[spec.name]! })) };
}
