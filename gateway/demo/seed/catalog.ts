/** Coded clinical vocabulary for synthetic records: real code systems, invented patients. */

export const GIVEN_FEMALE = ['Amara', 'Beatriz', 'Chiara', 'Dagny', 'Elif', 'Farah', 'Greta', 'Hana', 'Ines', 'Johanna',
  'Keiko', 'Lena', 'Maren', 'Nadia', 'Olena', 'Priya', 'Rosa', 'Signe', 'Tamsin', 'Yara'];
export const GIVEN_MALE = ['Anton', 'Bastian', 'Cyrus', 'Dario', 'Emeka', 'Florin', 'Goran', 'Hamid', 'Ivo', 'Jonas',
  'Kenji', 'Luca', 'Mateo', 'Nils', 'Omar', 'Pavel', 'Rafael', 'Soren', 'Tobias', 'Yusuf'];
export const FAMILY = ['Abernathy', 'Brandvold', 'Castellano', 'Dunmore', 'Eriksen', 'Fairweather', 'Gallardo',
  'Holmqvist', 'Ishikawa', 'Jovanovic', 'Kowalczyk', 'Lindqvist', 'Mbeki', 'Novak', 'Okonkwo', 'Petrosyan',
  'Quintero', 'Rasmussen', 'Szabo', 'Tanaka', 'Underhill', 'Valdivia', 'Whitcombe', 'Yilmaz', 'Zeller'];
export const CITIES: readonly [string, string][] = [['Springfield', '01010'], ['Riverton', '02020'],
  ['Lakeside', '03030'], ['Hillcrest', '04040'], ['Brookfield', '05050'], ['Fairview', '06060']];

export interface LabTest { loinc: string; name: string; unit: string; ucum: string; min: number; max: number; digits: number; vital: boolean }
export const LAB_TESTS: readonly LabTest[] = [
  { loinc: '2345-7', name: 'Glucose [Mass/volume] in Serum or Plasma', unit: 'mg/dL', ucum: 'mg/dL', min: 70, max: 180, digits: 0, vital: false },
  { loinc: '4548-4', name: 'Hemoglobin A1c/Hemoglobin.total in Blood', unit: '%', ucum: '%', min: 4.6, max: 9.5, digits: 1, vital: false },
  { loinc: '2093-3', name: 'Cholesterol [Mass/volume] in Serum or Plasma', unit: 'mg/dL', ucum: 'mg/dL', min: 140, max: 260, digits: 0, vital: false },
  { loinc: '718-7', name: 'Hemoglobin [Mass/volume] in Blood', unit: 'g/dL', ucum: 'g/dL', min: 11, max: 17.5, digits: 1, vital: false },
  { loinc: '2160-0', name: 'Creatinine [Mass/volume] in Serum or Plasma', unit: 'mg/dL', ucum: 'mg/dL', min: 0.6, max: 1.5, digits: 2, vital: false },
  { loinc: '6690-2', name: 'Leukocytes [#/volume] in Blood by Automated count', unit: '10^3/uL', ucum: '10*3/uL', min: 3.8, max: 11.5, digits: 1, vital: false },
  { loinc: '8867-4', name: 'Heart rate', unit: 'beats/min', ucum: '/min', min: 52, max: 110, digits: 0, vital: true },
  { loinc: '8310-5', name: 'Body temperature', unit: 'C', ucum: 'Cel', min: 36.1, max: 38.4, digits: 1, vital: true },
  { loinc: '29463-7', name: 'Body weight', unit: 'kg', ucum: 'kg', min: 48, max: 115, digits: 1, vital: true },
];

export interface Diagnosis { snomed: string; icd10: string; name: string }
export const DIAGNOSES: readonly Diagnosis[] = [
  { snomed: '44054006', icd10: 'E11.9', name: 'Type 2 diabetes mellitus' },
  { snomed: '38341003', icd10: 'I10', name: 'Hypertensive disorder' },
  { snomed: '195967001', icd10: 'J45.909', name: 'Asthma' },
  { snomed: '55822004', icd10: 'E78.5', name: 'Hyperlipidemia' },
  { snomed: '35489007', icd10: 'F32.9', name: 'Depressive disorder' },
  { snomed: '69896004', icd10: 'M06.9', name: 'Rheumatoid arthritis' },
  { snomed: '40055000', icd10: 'J32.9', name: 'Chronic sinusitis' },
  { snomed: '399211009', icd10: 'I25.2', name: 'History of myocardial infarction' },
];

export interface Medication { rxnorm: string; name: string; sig: string }
export const MEDICATIONS: readonly Medication[] = [
  { rxnorm: '860975', name: 'metformin hydrochloride 500 MG Extended Release Oral Tablet', sig: '1 tablet by mouth once daily with evening meal' },
  { rxnorm: '314076', name: 'lisinopril 10 MG Oral Tablet', sig: '1 tablet by mouth once daily' },
  { rxnorm: '617312', name: 'atorvastatin 10 MG Oral Tablet', sig: '1 tablet by mouth at bedtime' },
  { rxnorm: '745679', name: 'albuterol 0.09 MG/ACTUAT Metered Dose Inhaler', sig: '2 puffs every 4 to 6 hours as needed' },
  { rxnorm: '310965', name: 'ibuprofen 200 MG Oral Tablet', sig: '1 to 2 tablets every 6 hours as needed for pain' },
  { rxnorm: '312940', name: 'sertraline 50 MG Oral Tablet', sig: '1 tablet by mouth once daily' },
];

export interface Allergen { snomed: string; name: string; category: 'medication' | 'food' | 'environment' }
export const ALLERGENS: readonly Allergen[] = [
  { snomed: '373270004', name: 'Penicillin', category: 'medication' },
  { snomed: '387207008', name: 'Ibuprofen', category: 'medication' },
  { snomed: '227493005', name: 'Cashew nut', category: 'food' },
  { snomed: '256349002', name: 'Peanut', category: 'food' },
  { snomed: '256259004', name: 'Pollen', category: 'environment' },
  { snomed: '111088007', name: 'Latex', category: 'environment' },
];

export interface Vaccine { cvx: string; name: string }
export const VACCINES: readonly Vaccine[] = [
  { cvx: '140', name: 'Influenza, seasonal, injectable, preservative free' },
  { cvx: '208', name: 'COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose' },
  { cvx: '115', name: 'Tdap' },
  { cvx: '43', name: 'Hep B, adult' },
  { cvx: '133', name: 'Pneumococcal conjugate PCV 13' },
];

export const VISIT_KINDS: readonly { actCode: 'AMB' | 'IMP' | 'EMER'; name: string; hours: [number, number] }[] = [
  { actCode: 'AMB', name: 'Outpatient visit', hours: [1, 2] },
  { actCode: 'AMB', name: 'Follow-up visit', hours: [1, 1] },
  { actCode: 'EMER', name: 'Emergency department visit', hours: [3, 9] },
  { actCode: 'IMP', name: 'Inpatient admission', hours: [24, 120] },
];
export const VISIT_REASONS = ['Routine check-up', 'Chest pain', 'Shortness of breath', 'Medication review',
  'Abdominal pain', 'Fever', 'Back pain', 'Laboratory follow-up'];
export const CLINICIANS = ['Dr. A. Synthetic', 'Dr. B. Example', 'Dr. C. Placeholder', 'Dr. D. Fictional'];
