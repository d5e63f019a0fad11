import t from 'tap';
import { CATEGORIES } from '../../src/services/records/categories.js';
import { deriveStructural, fills, requiredElements, structuralElement } from '../../src/services/records/r4-structure.js';
import { generatedSource, loadR4StructureDefinitions } from '../../bin/r4-structure-gen.js';
import { R4_STRUCTURAL } from '../../src/services/records/r4-structure.generated.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

t.test('the committed structural table is what the R4 StructureDefinitions say', async (t) => {
  const derived = deriveStructural(loadR4StructureDefinitions());
  t.same(R4_STRUCTURAL, derived, 'regenerate: node gateway/dist/bin/r4-structure-gen.js > gateway/src/services/records/r4-structure.generated.ts');
  const committed = readFileSync(fileURLToPath(new URL('../../../src/services/records/r4-structure.generated.ts', import.meta.url)), 'utf8');
  t.equal(committed, generatedSource(derived), 'the file is exactly the generator output');
});

t.test('required elements and modifiers, as R4 defines them', async (t) => {
  const required = (c: (typeof CATEGORIES)[number]) => requiredElements(c).map((e) => e.name);
  t.same(required('Observation'), ['status', 'code']);
  t.same(required('MedicationRequest'), ['status', 'intent', 'medication[x]', 'subject']);
  t.same(required('Condition'), ['subject']);
  t.same(required('AllergyIntolerance'), ['patient']);
  t.same(required('Immunization'), ['status', 'vaccineCode', 'patient', 'occurrence[x]']);
  t.same(required('Encounter'), ['status', 'class']);
  t.same(required('Patient'), []);
  t.match(structuralElement('Condition', 'clinicalStatus'), { isModifier: true, binding: 'required', type: 'CodeableConcept' });
  t.match(structuralElement('Immunization', 'occurrenceDateTime'), { name: 'occurrence[x]', type: 'dateTime' });
  t.match(structuralElement('Immunization', '_occurrenceString'), { name: 'occurrence[x]', type: 'string' });
  t.equal(structuralElement('Observation', 'valueQuantity'), undefined, 'a value is not structural');
  t.equal(structuralElement('Immunization', 'occurrenceQuantity'), undefined, 'not a type occurrence[x] allows');
  t.equal(structuralElement('Nonsense', 'status'), undefined);
  t.ok(fills(requiredElements('MedicationRequest')[2]!, 'medicationReference'));
});
