import t from 'tap';
import { canonicalJson } from '@medrec/client/protocol';
import { api, isoIn, type Json } from '../test/http/support.js';
import { scenarioFor } from '../test/fhir/scenario.js';
import { Hl7Validator } from './support/hl7-validator.js';
import { tallyWarnings } from './support/tally.js';

/**
 * Issue 13 items 3-5: what the FHIR facade serves — the CapabilityStatement, a patient's and a
 * viewer's searches and $everything across both demo hospitals, grants as Consent, access logs as
 * AuditEvent (one page and a paged one), refusals as OperationOutcome — through the HL7 validator
 * (R4 core, offline): 0 errors. Each Bundle and each distinct resource in them is validated.
 */
t.setTimeout(900_000);

const validator = Hl7Validator.start();
t.teardown(() => validator.close());
const warm = validator.validate({ resourceType: 'Basic', id: 'warm-up', code: { text: 'warm-up' } }, 'warm-up');

const s = await scenarioFor(t);
const { h1, h2 } = s.sys;
const alice = s.fhir(h1, s.alice.token);
const victor = s.fhir(h1, s.victor.token);
const everything = { name: 'everything', resourceType: 'Patient', id: s.alice.pid };
const q = { patient: s.alice.pid };

const collected: { id: string; resource: Json }[] = [];
const add = (id: string, resource: unknown) => collected.push({ id, resource: resource as Json });

add('CapabilityStatement', await s.fhir(h1).capabilityStatement());
add('patient $everything', await alice.operation(everything));
// At Hospital 2 she is treated under its delegate (docs/privacy.md §3): her identity there, its own Patient id.
const atH2 = { name: 'everything', resourceType: 'Patient', id: s.aliceAt2.pid };
add('patient $everything at Hospital 2 (her delegate there)', await s.fhir(h2, s.aliceAt2.token).operation(atH2));
add('viewer $everything at Hospital 2 (subsets)', await victor.operation(atH2));
add('patient Observation search', await alice.search({ resourceType: 'Observation', searchParams: q }));
add('viewer $everything (subsets)', await victor.operation(everything));
add('viewer Condition search', await victor.search({ resourceType: 'Condition', searchParams: q }));
add('viewer MedicationRequest search (empty)', await victor.search({ resourceType: 'MedicationRequest', searchParams: q }));
// A grant that expires: the viewer's search then carries an OperationOutcome entry saying so.
await api(h1, 'POST', `/relationships/${s.rels.h1}/grants`, {
  token: s.alice.token,
  body: { viewerId: s.wendy.pid, items: [{ category: 'Observation', fields: ['code'] }], validUntil: isoIn(2_000), purpose: 'CAREMGT' },
});
await new Promise((r) => setTimeout(r, 2_500));
add('expired viewer search (OperationOutcome entry)', await s.fhir(h2, s.wendy.token).search({ resourceType: 'Observation', searchParams: q }));
add('patient Consent search', await alice.search({ resourceType: 'Consent', searchParams: q }));
add('patient AuditEvent search', await alice.search({ resourceType: 'AuditEvent', searchParams: { ...q, _count: '100' } }));
add('auditor AuditEvent page 1 of a paged search', await s.fhir(h2, s.otto).search({ resourceType: 'AuditEvent', searchParams: { ...q, _count: '4' } }));
for (const [label, path, token] of [
  ['401 OperationOutcome', `/fhir/Observation?patient=${s.alice.pid}`, undefined],
  ['400 OperationOutcome', '/fhir/Observation?patient=x', s.alice.token],
  ['403 OperationOutcome', `/fhir/AuditEvent?patient=${s.victor.pid}`, s.alice.token],
] as const) {
  add(label, (await api(h1, 'GET', path, token ? { token } : {})).json);
}
await warm;

/** Each answer, and each distinct resource of a Bundle on its own. */
const items: { id: string; resource: unknown }[] = [];
const seen = new Set<string>();
for (const c of collected) {
  items.push(c);
  for (const e of (c.resource['entry'] as { resource: Json }[] | undefined) ?? []) {
    const text = canonicalJson(e.resource);
    if (seen.has(text)) continue;
    seen.add(text);
    items.push({ id: `${c.id}: ${e.resource['resourceType']}/${e.resource['id']}`, resource: e.resource });
  }
}
const started = Date.now();
const results = await validator.validateAll(items);
const validationMs = Date.now() - started;

t.test('the answers cover every kind the facade serves', async (t) => {
  const types = new Set(items.map((i) => (i.resource as Json)['resourceType']));
  for (const type of ['CapabilityStatement', 'Bundle', 'Consent', 'AuditEvent', 'OperationOutcome', 'Observation', 'Patient', 'Condition']) {
    t.ok(types.has(type), type);
  }
  const viewer = collected.find((c) => c.id.startsWith('viewer $everything'))!.resource;
  t.ok(JSON.stringify(viewer).includes('SUBSETTED'), 'viewer subsets are among them');
  const expired = collected.find((c) => c.id.startsWith('expired'))!.resource;
  t.ok((expired['entry'] as Json[]).some((e) => e['search'].mode === 'outcome'), 'a Bundle with an OperationOutcome entry is among them');
  const paged = collected.find((c) => c.id.startsWith('auditor'))!.resource;
  t.ok((paged['link'] as Json[]).some((l) => l['relation'] === 'next'), 'a paged Bundle with a next link is among them');
  // One person, two identities (docs/privacy.md §3): each $everything is her relationship at that hospital.
  const origins = (label: string) => [
    ...new Set((collected.find((c) => c.id === label)!.resource['entry'] as Json[]).map((e) => new URL(e['fullUrl']).origin)),
  ];
  t.same(origins('patient $everything'), [h1], "her home identity's $everything: Hospital 1's records");
  t.same(origins('patient $everything at Hospital 2 (her delegate there)'), [h2], "her delegate's $everything: Hospital 2's records");
});

t.test('the HL7 validator reports 0 errors on every answer and resource of the facade', async (t) => {
  results.forEach((r, i) => {
    const list = r.issues.filter((x) => x.severity !== 'warning').map((x) => `${x.location}: ${x.message}`);
    t.equal(r.errors, 0, `${items[i]!.id}: 0 errors`, { errors: list.slice(0, 12) });
  });
  const count = (type: string) => items.filter((i) => (i.resource as Json)['resourceType'] === type).length;
  t.comment(
    `validated ${items.length} inputs (${count('Bundle')} Bundles, ${count('Consent')} Consents, ${count('AuditEvent')} AuditEvents, ` +
      `${count('OperationOutcome')} OperationOutcomes, 1 CapabilityStatement, the rest records) in ${validationMs} ms (${validator.offline})`,
  );
  const warnings = tallyWarnings(results);
  for (const [id, w] of [...warnings].sort((a, b) => b[1].count - a[1].count)) t.comment(`warning ×${w.count} ${id}: ${w.example}`);
  console.log(
    JSON.stringify({
      fhirFacadeValidation: {
        inputs: items.length,
        errors: results.reduce((n, r) => n + r.errors, 0),
        validationMs,
        offline: validator.offline,
        warnings: Object.fromEntries([...warnings].map(([k, v]) => [k, v.count])),
      },
    }),
  );
});
