import t from 'tap';
import { grantConsentId } from '../../src/services/fhir/consent.js';
import { api, type Json } from '../http/support.js';
import { entriesOf, scenarioFor, type Entry } from './scenario.js';

/**
 * Issue 13 item 4: every ledger grant readable as an R4 Consent, for the patient, the grantee and an
 * auditor, through a FHIR client (fhir-kit-client); revocation turns it inactive.
 */
t.setTimeout(300_000);

const s = await scenarioFor(t);
const { h1, h2 } = s.sys;
const consents = async (base: string, token: string) => {
  const bundle = (await s.fhir(base, token).search({ resourceType: 'Consent', searchParams: { patient: s.alice.pid } })) as Json;
  return entriesOf(bundle);
};

t.test("the patient reads her grants as Consents: one per grant, the mapping of docs/fhir.md", async (t) => {
  const entries = await consents(h1, s.alice.token);
  t.equal(entries.length, 2, 'victor at hospital 1 and at hospital 2');
  for (const [key, rel] of Object.entries(s.rels) as ['h1' | 'h2', string][]) {
    const id = grantConsentId(rel, s.victor.pid);
    const entry = entries.find((e) => e.resource['id'] === id)!;
    t.ok(entry, `${key}: Consent ${id}`);
    t.equal(entry.fullUrl, `${h1}/fhir/Consent/${id}`);
    const c = entry.resource;
    t.match(c, {
      resourceType: 'Consent',
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      patient: { reference: `Patient/${s.alice.pid}` },
      performer: [{ reference: `Patient/${s.alice.pid}` }],
      organization: [{ identifier: { value: key === 'h1' ? 'Hospital1MSP' : 'Hospital2MSP' } }],
      identifier: [{ value: `${rel}:${s.victor.pid}` }],
      policy: [{ uri: 'https://medrec.example/fhir/policy/ledger-grant' }],
      provision: { type: 'deny' },
    });
    const granted = s.grants[key] as Record<string, string[]>;
    const nested = c['provision'].provision as Json[];
    t.same(nested.map((p) => p['class'][0].code).sort(), Object.keys(granted).sort(), 'one permit per granted category');
    for (const p of nested) {
      t.equal(p['type'], 'permit');
      t.same(
        p['extension'].map((e: Json) => [e['url'], e['valueCode']]),
        granted[p['class'][0].code]!.map((f) => ['https://medrec.example/fhir/StructureDefinition/granted-element', f]),
        'the allowlist, one extension per element',
      );
      t.same(p['actor'], [
        {
          role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] },
          reference: { identifier: { system: 'https://medrec.example/fhir/sid/participant', value: s.victor.pid } },
        },
      ]);
      t.equal(p['purpose'][0].code, key === 'h1' ? 'TREAT' : 'FAMRQT');
      t.equal(p['purpose'][0].system, 'http://terminology.hl7.org/CodeSystem/v3-ActReason');
      t.ok(p['period'].start < p['period'].end, 'from the grant to its validUntil');
      t.same(p['action'][0].coding[0].code, 'access');
    }
  }
});

t.test('the grantee sees its own grants, an auditor all, someone else none, a provider is refused', async (t) => {
  const ids = (entries: Entry[]) => entries.map((e) => e.resource['id']).sort();
  const alice = ids(await consents(h1, s.alice.token));
  t.same(ids(await consents(h1, s.victor.token)), alice, 'victor');
  t.same(ids(await consents(h1, s.audra)), alice, 'audra (auditor, hospital 1)');
  t.same(ids(await consents(h2, s.otto)), alice, 'otto (auditor, hospital 2)');
  t.same(await consents(h2, s.wendy.token), [], 'wendy: nothing granted to her');
  const res = await api(h1, 'GET', `/fhir/Consent?patient=${s.alice.pid}`, { token: s.drAda });
  t.equal(res.status, 403);
  t.equal(res.json['resourceType'], 'OperationOutcome');
});

t.test('a revoked grant is an inactive Consent for the patient and the auditor, and gone for the grantee', async (t) => {
  await api(h1, 'DELETE', `/relationships/${s.rels.h2}/grants/${s.victor.pid}`, { token: s.alice.token });
  const revoked = grantConsentId(s.rels.h2, s.victor.pid);
  for (const [who, base, token] of [['alice', h1, s.alice.token], ['audra', h1, s.audra]] as const) {
    const entries = await consents(base, token);
    t.equal(entries.find((e) => e.resource['id'] === revoked)!.resource['status'], 'inactive', `${who}: inactive`);
    t.equal(entries.find((e) => e.resource['id'] !== revoked)!.resource['status'], 'active', `${who}: the other stays active`);
  }
  const victor = await consents(h1, s.victor.token);
  t.same(victor.map((e) => e.resource['id']), [grantConsentId(s.rels.h1, s.victor.pid)], 'victor: only his live grant');
});
