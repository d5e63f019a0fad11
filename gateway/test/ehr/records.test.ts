import t from 'tap';
import { canonicalResources, hashResources as clientHashResources, sha256Hex } from '@medrec/client/protocol';
import { validateFhir } from '../support/fhir-schema.js';
import { EhrMappingError, toFhirValue } from '../../src/services/records/fhir-values.js';
import { loadHospitalMapping } from '../../src/services/records/hospitals.js';
import { CATEGORIES, fieldsOf } from '../../src/services/records/categories.js';
import { alwaysIncluded, hashResources, isSubsetted, project, RecordService, SUBSETTED, toBundle, type FhirResource } from '../../src/services/records/records.js';
import { generateDataset } from '../../demo/seed/seed.js';
import { ALWAYS_INCLUDED, leaked, withheld } from './leaks.js';
import { rowToResource, unknownValue } from '../../src/services/records/to-fhir.js';
import type { EhrStore, Row } from '../../src/ports/ehr.js';

const obs = (id: string, value: number): FhirResource => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }], text: 'Glucose' },
  subject: { reference: 'Patient/p1' },
  valueQuantity: { value, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
});

t.test("the records service's pointer hash is the client library's bytes (its canonical text, node:crypto's SHA-256)", async (t) => {
  const sets = [[], [obs('o1', 100)], [obs('o2', 120), { ...obs('o1', 100), meta: { lastUpdated: '2024-01-01T00:00:00Z' } }]];
  for (const set of sets) t.equal(hashResources(set), clientHashResources(set));
  t.equal(hashResources([obs('o1', 1)]), sha256Hex(canonicalResources([obs('o1', 1)])), 'the canonical text is the client library\'s');
});

t.test('a projection keeps the granted elements and those always included, and is tagged SUBSETTED', async (t) => {
  const source = [obs('o1', 100), obs('o2', 120)];
  const copy = structuredClone(source);
  const projected = project(source, ['code', 'valueQuantity']);
  t.same(projected, source.map((r) => ({
    resourceType: r.resourceType, id: r.id, status: 'final', code: r['code'], valueQuantity: r['valueQuantity'], meta: { tag: [SUBSETTED] },
  })), 'status (a required modifier from a fixed code list) comes along; subject (optional) does not');
  t.ok(projected.every(isSubsetted));
  t.same(source, copy, 'the input is not modified');
  t.ok(validateFhir(toBundle(projected)).valid, 'a projection is still valid FHIR');
  t.same(project(source, ['subject.reference', 'valueQuantity.value', 'nonsense']), project(source, []), 'only whole top-level names count');
  t.same(project(source, ['id', 'resourceType']), project(source, []), 'id and resourceType are always there, not grantable');
  const everything = project(source, fieldsOf('Observation'));
  t.equal(everything[0], source[0], 'a grant covering every element returns the resource itself');
  t.notOk(everything.some(isSubsetted), 'and does not tag it');
});

t.test('the elements FHIR requires and the modifiers come with their real values, granted or not; nothing else does', async (t) => {
  const [bare] = project([obs('o1', 100)], []);
  t.same(bare, { resourceType: 'Observation', id: 'o1', status: 'final', code: obs('o1', 100)['code'], meta: { tag: [SUBSETTED] } },
    'an empty grant still shows what was measured (code) and its state; not the value, not the subject');
  t.ok(validateFhir(bare).valid);
  const immunization: FhirResource = { resourceType: 'Immunization', id: 'i1', meta: { lastUpdated: '2024-01-02T03:04:05Z' }, status: 'completed',
    vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '140' }] }, patient: { reference: 'Patient/p1' },
    occurrenceDateTime: '2024-01-02T03:00:00Z', _occurrenceDateTime: { id: 'o' }, lotNumber: 'LOT1', site: { text: 'left arm' }, isSubpotent: true };
  const [lot] = project([immunization], ['lotNumber']);
  t.same(lot, { resourceType: 'Immunization', id: 'i1', status: 'completed', vaccineCode: immunization['vaccineCode'], patient: { reference: 'Patient/p1' },
    occurrenceDateTime: '2024-01-02T03:00:00Z', _occurrenceDateTime: { id: 'o' }, lotNumber: 'LOT1', isSubpotent: true, meta: { tag: [SUBSETTED] } },
  'required elements (a choice type too, with its _element) and an optional modifier as they are; site left out; no lastUpdated');
  t.ok(validateFhir(lot).valid);
  const unknownOccurrence = { ...immunization, occurrenceDateTime: undefined, _occurrenceDateTime: unknownValue() };
  t.same(project([unknownOccurrence], [])[0]!['_occurrenceDateTime'], unknownValue(), 'a required value the EHR lacks stays marked unknown');
  const request: FhirResource = { resourceType: 'MedicationRequest', id: 'm1', status: 'active', intent: 'order', doNotPerform: true,
    medicationCodeableConcept: { text: 'Warfarin' }, subject: { reference: 'Patient/p1' }, dosageInstruction: [{ text: '5 mg' }],
    reasonCode: [{ text: 'atrial fibrillation' }] };
  t.same(Object.keys(project([request], ['dosageInstruction'])[0]!).sort(),
    ['doNotPerform', 'dosageInstruction', 'id', 'intent', 'medicationCodeableConcept', 'meta', 'resourceType', 'status', 'subject'],
    'a dose comes with what is (not) to be given, not with why');
  t.equal(project([request], ['dosageInstruction', 'reasonCode'])[0], request, 'a grant that, with them, covers everything returns the resource itself, untagged');
});

t.test('alwaysIncluded(category) is the list the patient app shows beside the consent checkboxes', async (t) => {
  for (const category of CATEGORIES) t.same(alwaysIncluded(category), ALWAYS_INCLUDED[category], category);
  t.notOk(alwaysIncluded('Observation').includes('valueQuantity'), 'never a clinical value of its own');
});

t.test('no projection shows an element neither granted nor always included, or withholds one that is, for any single-field grant of both hospitals', async (t) => {
  const mappings = ['hospital1', 'hospital2'].map((h) => loadHospitalMapping(h));
  let checked = 0;
  for (const mapping of mappings) {
    const dataset = generateDataset(mapping.hospital, { patients: 8 });
    for (const category of CATEGORIES) {
      const table = dataset.tables.find((x) => x.spec.feeds?.category === category)!;
      const resources = table.rows.map((row) => rowToResource(category, mapping.categories[category]!, row));
      for (const fields of [[], ...fieldsOf(category).map((f) => [f])]) {
        for (const [i, projected] of project(resources, fields).entries()) {
          const leaks = leaked(resources[i]!, projected, fields);
          if (leaks.length > 0) t.fail(`${mapping.hospital} ${category} granted [${fields.join()}] leaks ${leaks.join(', ')}`);
          const missing = withheld(resources[i]!, projected, fields);
          if (missing.length > 0) t.fail(`${mapping.hospital} ${category} granted [${fields.join()}] withholds ${missing.join(', ')}`);
          checked++;
        }
      }
    }
  }
  t.ok(checked > 1000, `${checked} projections checked`);
  // The oracle itself catches each way to break the rule.
  const source = obs('o1', 100);
  const [onlyStatus] = project([source], ['status']);
  t.same(leaked(source, { ...onlyStatus!, valueQuantity: source['valueQuantity'] }, ['status']), ['valueQuantity'], 'an ungranted value');
  t.same(leaked(source, { ...onlyStatus!, code: { text: 'masked' } }, ['status']), ['code'], 'a required element altered');
  t.same(leaked(source, { ...onlyStatus!, meta: { lastUpdated: '2024-01-02T03:04:05Z' } }, ['status']), ['meta'], 'meta other than SUBSETTED');
  const { code: _code, ...noCode } = onlyStatus!;
  t.same(withheld(source, noCode, ['status']), ['code'], 'a required element dropped');
});

t.test('toBundle gives a valid FHIR searchset with fullUrls and a self link', async (t) => {
  const bundle = toBundle([obs('o1', 100)], {
    baseUrl: 'https://hospital1.example.org/fhir/',
    selfUrl: 'https://hospital1.example.org/fhir/Observation?relationship=r1',
    meta: { tag: [{ system: 'https://medrec.example/ledger-hash', code: 'a'.repeat(64) }] },
  });
  t.match(bundle, { resourceType: 'Bundle', type: 'searchset', total: 1, link: [{ relation: 'self', url: 'https://hospital1.example.org/fhir/Observation?relationship=r1' }],
    entry: [{ fullUrl: 'https://hospital1.example.org/fhir/Observation/o1', search: { mode: 'match' } }] });
  t.same(validateFhir(bundle), { valid: true, errors: [] });
  t.same(validateFhir(toBundle([])), { valid: true, errors: [] }, 'an empty answer is a valid bundle');
});

t.test('validateFhir rejects what is not FHIR R4', async (t) => {
  t.match(validateFhir({ ...obs('o1', 1), status: 'done' }), { valid: false, errors: [/status/] }, 'bad code');
  t.match(validateFhir({ ...obs('o1', 1), ssn: '123' }), { valid: false, errors: [/ssn/] }, 'unknown element');
  t.match(validateFhir({ ...obs('o 1', 1) }), { valid: false, errors: [/id/] }, 'bad id');
  t.match(validateFhir({ ...obs('o1', 1), effectiveDateTime: '2024-01-02T03:04' }), { valid: false }, 'date-time without zone');
  t.match(validateFhir({ resourceType: 'Nonsense', id: 'x' }), { valid: false, errors: [/not a FHIR R4 resource type/] });
  t.match(validateFhir({ id: 'x' }), { valid: false, errors: [/resourceType/] });
  t.match(validateFhir(null), { valid: false });
  t.match(validateFhir({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { ...obs('o1', 1), status: 'done' } }] }),
    { valid: false }, 'an invalid resource inside a bundle');
});

t.test('column values become FHIR primitives the same way from every database', async (t) => {
  for (const [input, expected] of [
    ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05Z'],
    ['2024-01-02T03:04:05.000Z', '2024-01-02T03:04:05Z'],
    ['2024-01-02 03:04:05', '2024-01-02T03:04:05Z'],
    ['2024-01-02 03:04', '2024-01-02T03:04:00Z'],
    ['2024-01-02T05:04:05+02:00', '2024-01-02T03:04:05Z'],
    ['2024-01-02T05:04:05+0200', '2024-01-02T03:04:05Z'],
    ['2024-01-02T03:04:05.250Z', '2024-01-02T03:04:05.250Z'],
    ['2024-01-02', '2024-01-02'],
  ] as const) {
    t.equal(toFhirValue(input, 'dateTime', 'x'), expected, `dateTime ${input}`);
  }
  t.equal(toFhirValue('2024-01-02T00:00:00.000Z', 'date', 'x'), '2024-01-02', 'SQL Server DATE as ISO instant');
  t.equal(toFhirValue('  text ', 'string', 'x'), 'text');
  t.equal(toFhirValue('   ', 'string', 'x'), undefined, 'blank is absent (FHIR forbids empty strings)');
  t.equal(toFhirValue(null, 'decimal', 'x'), undefined);
  t.equal(toFhirValue('12.50', 'decimal', 'x'), 12.5);
  t.equal(toFhirValue(1, 'boolean', 'x'), true);
  t.equal(toFhirValue('7', 'integer', 'x'), 7);
  for (const [value, type] of [['soon', 'dateTime'], ['2024-13-45T99:00:00Z', 'dateTime'], ['x', 'decimal'], ['', 'decimal'],
    ['1.5', 'integer'], ['maybe', 'boolean'], ['yesterday', 'date']] as const) {
    t.throws(() => toFhirValue(value, type, 'Obs.path'), EhrMappingError, `${type} refuses ${JSON.stringify(value)}`);
  }
  t.throws(() => toFhirValue('soon', 'dateTime', 'Obs.path'), { message: /^Obs\.path: not a date-time$/ }, 'errors name the path, never the value');
});

t.test('rowToResource: ids from the primary key, codes mapped, nulls left out, bad rows refused', async (t) => {
  const mapping = loadHospitalMapping('hospital2').categories.Observation!;
  const row: Row = { obs_seq: 700001, person_no: 50001, obs_type: 'VS', obs_code: '8867-4', obs_desc: 'Heart rate',
    result_value: 72, result_unit: '/min', obs_dttm: '2024-06-17 04:33:00', result_status: 'F', updt_dttm: '2024-06-17 06:33:00' };
  const resource = rowToResource('Observation', mapping, row);
  t.match(resource, {
    resourceType: 'Observation', id: 'h2-obs-700001', meta: { lastUpdated: '2024-06-17T06:33:00Z' }, status: 'final',
    category: [{ coding: [{ code: 'vital-signs' }] }], subject: { reference: 'Patient/h2-person-50001' },
    effectiveDateTime: '2024-06-17T04:33:00Z', valueQuantity: { value: 72, code: '/min' },
  });
  t.ok(validateFhir(resource).valid);
  const noValue = rowToResource('Observation', mapping, { ...row, result_value: null, result_unit: null });
  t.notOk('valueQuantity' in noValue, 'a null value leaves out the quantity, constant unit system included');
  t.match(noValue, { status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category' }] }] },
    'constants beside non-null columns stay');
  const noCode = rowToResource('Observation', mapping, { ...row, obs_code: null, obs_desc: null });
  t.same(noCode['code'], unknownValue(), 'no code: no coding with a lonely system; FHIR requires one, so it is marked unknown');
  t.ok(validateFhir(noCode).valid);
  t.notOk('meta' in rowToResource('Observation', mapping, { ...row, updt_dttm: null }), 'no timestamp, no lastUpdated');
  t.throws(() => rowToResource('Observation', mapping, { ...row, updt_dttm: '2024-06-17' }), { message: /meta\.lastUpdated: not an instant/ });
  const immunization = loadHospitalMapping('hospital2').categories.Immunization!;
  const bare = rowToResource('Immunization', immunization, { imm_id: 1, person_no: 2, cvx: '140', vaccine_desc: null, admin_dttm: null, lot_no: null, updt_dttm: null });
  t.equal(bare['status'], 'completed', 'top-level constants stay even when the top-level columns are null');
  t.same(bare['_occurrenceDateTime'], unknownValue(), 'a required primitive the row leaves empty: _element with data-absent-reason');
  t.throws(() => rowToResource('Observation', mapping, { ...row, result_status: 'Z' }), { name: 'EhrMappingError', message: /status: local code has no mapping/ });
  t.throws(() => rowToResource('Observation', mapping, { ...row, obs_seq: null }), EhrMappingError, 'no primary key');
  t.throws(() => rowToResource('Observation', mapping, { ...row, obs_seq: 'a b' }), EhrMappingError, 'primary key outside the id alphabet');
  const { obs_code: _dropped, ...missing } = row;
  t.throws(() => rowToResource('Observation', mapping, missing), { message: /no column obs_code/ }, 'the query lost a mapped column');
});

t.test('RecordService refuses categories the hospital does not map, before asking the store', async (t) => {
  const asked: string[] = [];
  const store: EhrStore = {
    kind: 'sqlite',
    query: async (category) => { asked.push(category); return []; },
    changes: async () => [],
    ping: async () => undefined,
    close: async () => undefined,
  };
  const full = loadHospitalMapping('hospital1');
  const partial = { ...full, categories: { Patient: full.categories.Patient! } };
  const records = new RecordService(store, partial);
  t.equal(records.hospital, 'hospital1');
  t.same(records.categories(), ['Patient']);
  await t.rejects(records.fetch('Observation', 'H1-000100'), { code: 'UNKNOWN_CATEGORY' }, 'a real category this hospital does not map');
  await t.rejects(records.fetch('__proto__', 'H1-000100'), { code: 'UNKNOWN_CATEGORY' });
  t.same(asked, [], 'the store was never asked');
  t.same(await records.fetch('Patient', 'H1-000100'), []);
  t.same(asked, ['Patient']);
});
