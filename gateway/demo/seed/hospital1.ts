import type { SqlValue } from '../../src/ports/ehr.js';
import { day, isoUtc } from './formats.js';
import { clinicalHistory, lastChanged } from './history.js';
import type { DemoPatient } from './population.js';
import { sequences, type Dataset, type TableSpec } from './tables.js';

/** hospital1: a modern schema, ISO timestamps, SNOMED-coded diagnoses, labs in `lab_results`. */
const fk = { type: 'int', notNull: true, references: 'patients(patient_id)' } as const;
const text = (name: string, length = 200, notNull = false) => ({ name, type: 'text', length, notNull }) as const;
/** when the row last changed (ISO UTC): the resource's meta.lastUpdated */
const UPDATED = { name: 'updated_at', type: 'datetime', notNull: true } as const;

export const HOSPITAL1_TABLES: TableSpec[] = [
  { name: 'patients', primaryKey: 'patient_id', feeds: { category: 'Patient', patientColumn: 'patient_id' }, columns: [
    { name: 'patient_id', type: 'int' }, { ...text('mrn', 64, true), unique: true }, text('given_name', 100),
    text('family_name', 100), text('sex', 10), { name: 'birth_date', type: 'date' }, text('phone', 32), text('city', 100),
    text('postal_code', 16), UPDATED, { ...text('national_id', 32), unique: true }] },
  { name: 'lab_results', primaryKey: 'result_id', feeds: { category: 'Observation', patientColumn: 'patient_id' }, columns: [
    { name: 'result_id', type: 'int' }, { name: 'patient_id', ...fk }, text('loinc_code', 16, true), text('test_name'),
    { name: 'value_num', type: 'decimal' }, text('unit_ucum', 32), { name: 'collected_at', type: 'datetime' },
    text('result_status', 16, true), UPDATED] },
  { name: 'prescriptions', primaryKey: 'rx_id', feeds: { category: 'MedicationRequest', patientColumn: 'patient_id' }, columns: [
    { name: 'rx_id', type: 'int' }, { name: 'patient_id', ...fk }, text('rxnorm_code', 16, true), text('drug_name'),
    text('dose_text'), text('rx_status', 16, true), { name: 'written_at', type: 'datetime' }, text('prescriber', 100), UPDATED] },
  { name: 'diagnoses', primaryKey: 'diagnosis_id', feeds: { category: 'Condition', patientColumn: 'patient_id' }, columns: [
    { name: 'diagnosis_id', type: 'int' }, { name: 'patient_id', ...fk }, text('snomed_code', 20, true), text('description'),
    text('clinical_status', 16, true), { name: 'onset_date', type: 'date' }, UPDATED] },
  { name: 'allergies', primaryKey: 'allergy_id', feeds: { category: 'AllergyIntolerance', patientColumn: 'patient_id' }, columns: [
    { name: 'allergy_id', type: 'int' }, { name: 'patient_id', ...fk }, text('substance_code', 20, true), text('substance', 100),
    text('allergy_category', 16), text('criticality', 16), { name: 'recorded_on', type: 'date' }, UPDATED] },
  { name: 'vaccinations', primaryKey: 'vaccination_id', feeds: { category: 'Immunization', patientColumn: 'patient_id' }, columns: [
    { name: 'vaccination_id', type: 'int' }, { name: 'patient_id', ...fk }, text('cvx_code', 8, true), text('vaccine_name'),
    { name: 'given_at', type: 'datetime' }, text('lot_number', 32), UPDATED] },
  { name: 'visits', primaryKey: 'visit_id', feeds: { category: 'Encounter', patientColumn: 'patient_id' }, columns: [
    { name: 'visit_id', type: 'int' }, { name: 'patient_id', ...fk }, text('visit_class', 8, true), text('visit_type', 100),
    text('reason', 200), { name: 'start_at', type: 'datetime' }, { name: 'end_at', type: 'datetime' }, UPDATED] },
];

/** hospital1's schema filled for `hospital` (hospital3 reuses it with its own patients and MRNs). */
export function hospital1Dataset(patients: DemoPatient[], seed: string, hospital = 'hospital1'): Dataset {
  const rows: Record<string, Record<string, SqlValue>[]> = Object.fromEntries(HOSPITAL1_TABLES.map((t) => [t.name, []]));
  const next = sequences();
  patients.forEach((p, i) => {
    const patient_id = 1001 + i;
    const h = clinicalHistory(`${seed}:${hospital}:${p.mrn}`);
    rows['patients']!.push({ patient_id, mrn: p.mrn, given_name: p.given, family_name: p.family, sex: p.gender,
      birth_date: p.birthDate, phone: p.phone, city: p.city, postal_code: p.postalCode, national_id: p.externalId,
      updated_at: isoUtc(lastChanged.patient(h)) });
    for (const lab of h.labs.filter((l) => !l.test.vital)) {
      rows['lab_results']!.push({ result_id: next('lab'), patient_id, loinc_code: lab.test.loinc, test_name: lab.test.name,
        value_num: lab.value, unit_ucum: lab.test.ucum, collected_at: isoUtc(lab.at), result_status: lab.final ? 'final' : 'preliminary',
        updated_at: isoUtc(lastChanged.lab(lab)) });
    }
    for (const m of h.medications) {
      rows['prescriptions']!.push({ rx_id: next('rx'), patient_id, rxnorm_code: m.medication.rxnorm, drug_name: m.medication.name,
        dose_text: m.medication.sig, rx_status: m.active ? 'active' : 'completed', written_at: isoUtc(m.writtenOn), prescriber: m.prescriber,
        updated_at: isoUtc(lastChanged.medication(m)) });
    }
    for (const d of h.diagnoses) {
      rows['diagnoses']!.push({ diagnosis_id: next('dx'), patient_id, snomed_code: d.diagnosis.snomed, description: d.diagnosis.name,
        clinical_status: d.active ? 'active' : 'resolved', onset_date: day(d.onset),
        updated_at: isoUtc(lastChanged.diagnosis(d)) });
    }
    for (const a of h.allergies) {
      rows['allergies']!.push({ allergy_id: next('allergy'), patient_id, substance_code: a.allergen.snomed, substance: a.allergen.name,
        allergy_category: a.allergen.category, criticality: a.high ? 'high' : 'low', recorded_on: day(a.recordedOn),
        updated_at: isoUtc(lastChanged.allergy(a)) });
    }
    for (const v of h.vaccinations) {
      rows['vaccinations']!.push({ vaccination_id: next('vax'), patient_id, cvx_code: v.vaccine.cvx, vaccine_name: v.vaccine.name,
        given_at: isoUtc(v.givenAt), lot_number: v.lot, updated_at: isoUtc(lastChanged.vaccination(v)) });
    }
    for (const v of h.visits) {
      rows['visits']!.push({ visit_id: next('visit'), patient_id, visit_class: v.kind.actCode, visit_type: v.kind.name,
        reason: v.reason, start_at: isoUtc(v.start), end_at: isoUtc(v.end), updated_at: isoUtc(lastChanged.visit(v)) });
    }
  });
  return { hospital, tables: HOSPITAL1_TABLES.map((spec) => ({ spec, rows: rows[spec.name]! })) };
}
