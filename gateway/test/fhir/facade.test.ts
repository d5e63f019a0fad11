import t from 'tap';
import { hashResources, type FhirResource } from '@medrec/client/protocol';
import { CATEGORIES } from '@medrec/chaincode/domain';
import { leaked, withheld } from '../ehr/leaks.js';
import { api, type Json } from '../http/support.js';
import { entriesOf, originOf as origin, scenarioFor } from './scenario.js';

/**
 * Issue 13 item 3: the FHIR R4 read facade, driven by a FHIR client library nobody here wrote
 * (fhir-kit-client): a patient's $everything at each hospital that treats her (under her identity
 * there), type searches, a viewer's granted subset at both, and every refusal as an OperationOutcome.
 */
t.setTimeout(300_000);

const s = await scenarioFor(t);
const { h1, h2 } = s.sys;
const matches = (bundle: Json) => entriesOf(bundle);
const outcomes = (bundle: Json) => entriesOf(bundle, 'outcome');

t.test('GET /fhir/metadata: a CapabilityStatement of exactly what is served, no session needed', async (t) => {
  const cs = (await s.fhir(h1).capabilityStatement()) as Json;
  t.equal(cs['resourceType'], 'CapabilityStatement');
  t.equal(cs['fhirVersion'], '4.0.1');
  t.equal(cs['kind'], 'instance');
  t.equal(cs['implementation'].url, `${h1}/fhir`);
  const resources = cs['rest'][0].resource as Json[];
  t.same(resources.map((r) => r['type']).sort(), [...CATEGORIES, 'Consent', 'AuditEvent'].sort());
  for (const r of resources) t.same(r['interaction'], [{ code: 'search-type' }], `${r['type']}: search only`);
  t.same(resources.find((r) => r['type'] === 'Patient')!['operation'].map((o: Json) => o['name']), ['everything']);
  const raw = await fetch(`${h1}/fhir/metadata`);
  t.match(raw.headers.get('content-type'), /^application\/fhir\+json/);
});

t.test('the OpenAPI document describes the FHIR endpoints and their OperationOutcome refusals', async (t) => {
  const doc = (await api(h1, 'GET', '/docs/json')).json;
  for (const path of ['/fhir/metadata', '/fhir/Observation', '/fhir/Patient/{id}/$everything', '/fhir/Consent', '/fhir/AuditEvent', '/gatekeeper/audit']) {
    t.ok(doc['paths'][path], `OpenAPI documents ${path}`);
  }
  const search = doc['paths']['/fhir/AuditEvent'].get;
  t.same(search.parameters.map((p: Json) => p['name']).sort(), ['_count', '_cursor', '_format', 'altid', 'date', 'patient', 'site']);
  t.ok(search.responses['403'] && search.responses['503'], 'refusals documented');
  t.ok(doc['paths']['/fhir/Patient/{id}/$everything'].post, '$everything by POST too');
});

/** Alice's identity at each hospital: her home one at Hospital 1, her delegate at Hospital 2 (docs/privacy.md §3). */
const identities = { h1: { base: h1, who: s.alice }, h2: { base: h2, who: s.aliceAt2 } } as const;
const KEYS = ['h1', 'h2'] as const;

t.test("a patient's $everything: each of her identities' at its own hospital, complete, each record from its gatekeeper", async (t) => {
  for (const key of KEYS) {
    const { base, who } = identities[key];
    const bundle = (await s.fhir(base, who.token).operation({ name: 'everything', resourceType: 'Patient', id: who.pid })) as Json;
    t.equal(bundle['resourceType'], 'Bundle');
    t.equal(bundle['type'], 'searchset');
    t.equal(bundle['link'][0].relation, 'self');
    t.equal(bundle['link'][0].url, `${base}/fhir/Patient/${who.pid}/$everything`);
    const entries = matches(bundle);
    t.equal(bundle['total'], entries.length);
    t.same(outcomes(bundle), [], `${key}: nothing refused, nothing mismatched`);
    t.same([...new Set(entries.map((e) => origin(e.fullUrl)))], [base], `${key}: records from the hospital this identity is treated at, and only there`);
    for (const e of entries) {
      t.equal(e.fullUrl, `${origin(e.fullUrl)}/fhir/${e.resource['resourceType']}/${e.resource['id']}`, 'fullUrl is the gatekeeper base + type/id');
      t.notOk(JSON.stringify(e.resource['meta'] ?? {}).includes('SUBSETTED'), 'a patient gets whole records');
    }
    t.equal(new Set(entries.map((e) => e.fullUrl)).size, entries.length, 'every fullUrl distinct');
    // Complete: the hospital's records of each category re-hash to the pointer in her ledger view.
    const view = await api(base, 'GET', `/relationships/${s.rels[key]}`, { token: who.token });
    t.ok(view.json['pointers'].length >= 5, `${key}: the relationship has pointers for most categories`);
    for (const p of view.json['pointers'] as Json[]) {
      const resources = entries.filter((e) => e.resource['resourceType'] === p['category']).map((e) => e.resource);
      t.equal(hashResources(resources as FhirResource[]), p['hash'], `${key} ${p['category']}: ${resources.length} records re-hash to the ledger pointer`);
    }
  }
});

t.test("a type search returns that type only, from the identity's hospital; patient=Patient/<pid> works too", async (t) => {
  for (const key of KEYS) {
    const { base, who } = identities[key];
    const client = s.fhir(base, who.token);
    const bundle = (await client.search({ resourceType: 'Observation', searchParams: { patient: `Patient/${who.pid}` } })) as Json;
    const entries = matches(bundle);
    t.ok(entries.length > 0);
    t.ok(entries.every((e) => e.resource['resourceType'] === 'Observation'));
    t.same([...new Set(entries.map((e) => origin(e.fullUrl)))], [base]);
    const everything = (await client.operation({ name: '$everything', resourceType: 'Patient', id: who.pid })) as Json;
    t.same(
      entries.map((e) => e.fullUrl).sort(),
      matches(everything).filter((e) => e.resource['resourceType'] === 'Observation').map((e) => e.fullUrl).sort(),
      'the same Observations as $everything',
    );
    t.equal(bundle['link'][0].url, `${base}/fhir/Observation?patient=Patient%2F${who.pid}`);
  }
});

t.test('a viewer gets the granted subset, as the gatekeepers served it, at both hospitals', async (t) => {
  const client = s.fhir(h1, s.victor.token);
  let subsetted = 0;
  let total = 0;
  for (const key of KEYS) {
    const { base, who } = identities[key];
    const entries = matches((await client.operation({ name: 'everything', resourceType: 'Patient', id: who.pid })) as Json);
    const full = matches((await s.fhir(base, who.token).operation({ name: 'everything', resourceType: 'Patient', id: who.pid })) as Json);
    t.same([...new Set(entries.map((e) => origin(e.fullUrl)))], [base], `${key}: from that hospital's gatekeeper`);
    const types = [...new Set(entries.map((e) => e.resource['resourceType']))].sort();
    t.same(types, Object.keys(s.grants[key]).sort(), `${key}: only the granted categories`);
    for (const e of entries) {
      const granted = (s.grants[key] as Record<string, string[]>)[e.resource['resourceType']]!;
      const source = full.find((f) => f.fullUrl === e.fullUrl)!.resource;
      t.same(leaked(source, e.resource, granted), [], `${e.fullUrl}: nothing outside the grant and the always-included elements`);
      t.same(withheld(source, e.resource, granted), [], `${e.fullUrl}: nothing granted withheld or altered`);
      if (JSON.stringify(e.resource['meta'] ?? {}).includes('SUBSETTED')) subsetted++;
    }
    total += entries.length;
  }
  t.ok(subsetted > 0, `${subsetted} of ${total} resources are tagged SUBSETTED`);
  const conditions = matches((await client.search({ resourceType: 'Condition', searchParams: { patient: s.alice.pid } })) as Json);
  t.ok(conditions.length > 0 && conditions.every((e) => origin(e.fullUrl) === h1), 'Condition: granted at hospital 1');
  const noConditions = (await client.search({ resourceType: 'Condition', searchParams: { patient: s.aliceAt2.pid } })) as Json;
  t.equal(noConditions['total'], 0, 'and not at hospital 2');
  const meds = (await client.search({ resourceType: 'MedicationRequest', searchParams: { patient: s.alice.pid } })) as Json;
  t.equal(meds['total'], 0, 'an ungranted category: an empty searchset');
  t.equal(meds['entry'], undefined, 'and no entry array at all');
});

t.test('someone with nothing granted, or a patient asking about another, finds nothing', async (t) => {
  for (const key of KEYS) {
    const wendy = (await s.fhir(h2, s.wendy.token).operation({ name: 'everything', resourceType: 'Patient', id: identities[key].who.pid })) as Json;
    t.equal(wendy['total'], 0, `wendy, of alice's ${key} identity`);
  }
  const other = (await s.fhir(h1, s.alice.token).search({ resourceType: 'Observation', searchParams: { patient: s.victor.pid } })) as Json;
  t.equal(other['total'], 0);
  const herOwnElsewhere = (await s.fhir(h1, s.alice.token).search({ resourceType: 'Observation', searchParams: { patient: s.aliceAt2.pid } })) as Json;
  t.equal(herOwnElsewhere['total'], 0, 'her home identity is not her delegate: its session reads nothing of it');
});

t.test('refusals are OperationOutcomes with the REST status and the problem code', async (t) => {
  const refused = async (path: string, token: string | undefined, status: number, code: string, issueType: string) => {
    const res = await fetch(`${h1}/fhir${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const body = (await res.json()) as Json;
    t.equal(res.status, status, `${path} → ${status}`);
    t.match(res.headers.get('content-type'), /^application\/fhir\+json/);
    t.equal(body['resourceType'], 'OperationOutcome');
    t.equal(body['issue'][0].code, issueType);
    t.equal(body['issue'][0].details.coding[0].code, code);
    t.equal(body['issue'][0].details.coding[0].system, 'https://medrec.example/fhir/CodeSystem/problem');
  };
  await refused(`/Observation?patient=${s.alice.pid}`, undefined, 401, 'UNAUTHENTICATED', 'login');
  await refused(`/Observation?patient=${s.alice.pid}`, s.drAda, 403, 'ROLE_FORBIDDEN', 'forbidden');
  await refused('/Observation?patient=not-a-pid', s.alice.token, 400, 'VALIDATION_FAILED', 'invalid');
  await refused('/Observation', s.alice.token, 400, 'VALIDATION_FAILED', 'invalid');
  await refused(`/Observation?patient=${s.alice.pid}&_count=5`, s.alice.token, 400, 'VALIDATION_FAILED', 'invalid');
  await refused(`/Observation?patient=${s.alice.pid}&_format=xml`, s.alice.token, 400, 'VALIDATION_FAILED', 'invalid');
  await refused('/Patient/abc/$everything', s.alice.token, 400, 'VALIDATION_FAILED', 'invalid');
  await refused(`/Observation/h1-lab-1`, s.alice.token, 404, 'ROUTE_NOT_FOUND', 'not-found');
  await refused(`/Procedure?patient=${s.alice.pid}`, s.alice.token, 404, 'ROUTE_NOT_FOUND', 'not-found');
  // the client library surfaces the same OperationOutcome
  const err = await s.fhir(h1).search({ resourceType: 'Observation', searchParams: { patient: s.alice.pid } }).catch((e: unknown) => e as Json);
  t.equal(err['response'].status, 401);
  t.equal(err['response'].data.resourceType, 'OperationOutcome');
});

t.test('a gatekeeper that is down is a 503/502 OperationOutcome, never a partial Bundle', async (t) => {
  await s.sys.gateways[1]!.app.close();
  // Hospital 1's viewer, granted at Hospital 2: his gateway asks Hospital 2's gatekeeper, which is down.
  const err = await s
    .fhir(h1, s.victor.token)
    .operation({ name: 'everything', resourceType: 'Patient', id: s.aliceAt2.pid })
    .catch((e: unknown) => e as Json);
  t.equal(err['response'].status, 502);
  t.equal(err['response'].data.resourceType, 'OperationOutcome');
  t.equal(err['response'].data.issue[0].code, 'transient');
  t.equal(err['response'].data.issue[0].details.coding[0].code, 'GATEKEEPER_UNREACHABLE');
  t.notOk(JSON.stringify(err['response'].data).includes('"entry"'), 'no data');
});
