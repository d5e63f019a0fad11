/**
 * The bytes the device and the gateway must agree on — canonical JSON and the ledger pointer's hash
 * (docs/ehr.md, "The pointer hash") — tested once, here, where the one implementation lives; the
 * gateway's records service exports this very function.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import { canonicalJson, hashResources, type FhirResource } from '../src/protocol.js';
import { gatewayHashResources, generateDataset, loadHospitalMapping, rowToResource } from './support/gateway.js';

const condition = (id: string, onset: string): FhirResource => ({
  resourceType: 'Condition',
  id,
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }], text: 'Type 2 diabetes' },
  subject: { reference: 'Patient/p1' },
  onsetDateTime: onset,
});

/** docs/ehr.md's recipe written out without the library: meta removed, sorted by id, keys sorted at every depth, SHA-256 of the UTF-8. */
function recipe(resources: readonly FhirResource[]): string {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortKeys)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]))
        : v;
  const content = resources.map(({ meta: _meta, ...rest }) => rest).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(sortKeys(content)), 'utf8').digest('hex');
}

t.test('canonical JSON: keys sorted at every depth, no whitespace, arrays in order', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } }), '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  t.equal(canonicalJson({ a: undefined, b: null }), '{"b":null}', 'undefined members are absent, null is kept');
  t.equal(canonicalJson({ é: 1, Z: 2, a: 3 }), '{"Z":2,"a":3,"é":1}', 'keys in code unit order');
  t.throws(() => canonicalJson({ a: Number.NaN }), TypeError, 'no NaN');
  t.throws(() => canonicalJson({ a: () => 1 }), TypeError, 'no functions');
});

t.test('hashResources is SHA-256 of the canonical JSON of the resources sorted by id, without meta', async (t) => {
  const resources = [{ resourceType: 'X', id: 'b', v: 1 }, { resourceType: 'X', id: 'a' }];
  const text = '[{"id":"a","resourceType":"X"},{"id":"b","resourceType":"X","v":1}]';
  t.equal(hashResources(resources), createHash('sha256').update(text).digest('hex'));
  t.equal(hashResources([]), createHash('sha256').update('[]').digest('hex'), 'no records has a hash too');
  const withMeta = resources.map((r) => ({ ...r, meta: { lastUpdated: '2024-01-02T03:04:05Z', tag: [{ code: 'SUBSETTED' }] } }));
  t.equal(hashResources(withMeta), hashResources(resources), 'meta (lastUpdated, tags) is not hashed');
});

t.test('the bytes did not change when the hash moved from the gateway to this library', async (t) => {
  // Computed by the gateway's own implementation (node:crypto over its canonicalJson) before the move.
  const fixture: FhirResource[] = [
    { resourceType: 'Observation', id: 'h1-lab-2', meta: { lastUpdated: '2024-05-06T07:08:09Z' }, status: 'final',
      valueQuantity: { value: 5.25, unit: 'mmol/L' }, note: [{ text: 'Zoë — 10 µg ✓ "quoted"\n' }] },
    { resourceType: 'Observation', id: 'h1-lab-10', status: 'preliminary',
      code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] }, valueQuantity: { value: 1e21, comparator: '<' }, issued: undefined },
  ];
  t.equal(hashResources(fixture), 'af771dd04d8017180efb2b2f81f1c5eaacad94dda38e8500ee450e78a46d59f8');
  t.equal(hashResources([]), '4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945');
});

t.test('the hash does not depend on key order or resource order, but on every value', async (t) => {
  const a = [condition('c1', '2020-01-01'), condition('c2', '2021-06-30')];
  const reordered: FhirResource[] = [
    { onsetDateTime: '2021-06-30', subject: { reference: 'Patient/p1' }, code: { text: 'Type 2 diabetes', coding: [{ code: '44054006', system: 'http://snomed.info/sct' }] },
      clinicalStatus: { coding: [{ code: 'active', system: 'http://terminology.hl7.org/CodeSystem/condition-clinical' }] }, id: 'c2', resourceType: 'Condition' },
    condition('c1', '2020-01-01'),
  ];
  t.equal(hashResources(reordered), hashResources(a), 'same data, different key and resource order');
  t.not(hashResources([condition('c1', '2020-01-01'), condition('c2', '2021-07-01')]), hashResources(a), 'one value changed');
  t.not(hashResources([condition('c1', '2020-01-01')]), hashResources(a), 'one resource dropped');
  t.not(hashResources([condition('c1', '2020-01-01'), { ...condition('c2', '2021-06-30'), note: [{ text: 'x' }] }]), hashResources(a), 'one element added');
  const more = [condition('c1', '2020-01-01'), condition('c2', '2021-06-30')];
  (more[0]!['code'] as { coding: unknown[] }).coding.push({ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9' });
  t.not(hashResources(more), hashResources(a), 'array contents count');
});

t.test("on every seeded patient and category, the hash is the documented recipe's, and the gateway's is this function", async (t) => {
  t.equal(gatewayHashResources, hashResources, "the gateway's records service exports this very function");
  let compared = 0;
  let withMeta = 0;
  for (const hospital of ['hospital1', 'hospital2']) {
    const mapping = loadHospitalMapping(hospital);
    const dataset = generateDataset(hospital, { patients: 15, seed: 'client-hash' });
    for (const { spec, rows } of dataset.tables) {
      const category = spec.feeds!.category;
      const byPatient = new Map<unknown, FhirResource[]>();
      for (const row of rows) {
        const list = byPatient.get(row[spec.feeds!.patientColumn]) ?? [];
        list.push(rowToResource(category, mapping.categories[category]!, row as never));
        byPatient.set(row[spec.feeds!.patientColumn], list);
      }
      for (const list of byPatient.values()) {
        if (hashResources([...list].reverse()) !== recipe(list)) t.fail(`${hospital} ${category}: the hash is not the recipe's`);
        withMeta += list.filter((r) => r['meta'] !== undefined).length;
        compared++;
      }
    }
  }
  t.ok(compared > 100, `${compared} seeded record sets hash as documented`);
  t.ok(withMeta > 0, `${withMeta} seeded resources carry meta, which the hash leaves out`);
});
