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
/** Alice's identity at each hospital: her home one at Hospital 1, her delegate at Hospital 2 (docs/privacy.md §3). */
const identities = { h1: { base: h1, who: s.alice }, h2: { base: h2, who: s.aliceAt2 } } as const;
const consents = async (base: string, token: string, pid: string) => {
  const bundle = (await s.fhir(base, token).search({ resourceType: 'Consent', searchParams: { patient: pid } })) as Json;
  return entriesOf(bundle);
};

t.test("the patient reads her grants as Consents: one per grant, the mapping of docs/fhir.md", async (t) => {
  for (const [key, rel] of Object.entries(s.rels) as ['h1' | 'h2', string][]) {
    const { base, who } = identities[key];
    const entries = await consents(base, who.token, who.pid);
    t.equal(entries.length, 1, `${key}: victor, on her relationship there`);
    const id = grantConsentId(rel, s.victor.pid);
    const entry = entries.find((e) => e.resource['id'] === id)!;
    t.ok(entry, `${key}: Consent ${id}`);
    t.equal(entry.fullUrl, `${base}/fhir/Consent/${id}`);
    const c = entry.resource;
    t.match(c, {
      resourceType: 'Consent',
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      patient: { reference: `Patient/${who.pid}` },
      performer: [{ reference: `Patient/${who.pid}` }],
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
  for (const key of ['h1', 'h2'] as const) {
    const { base, who } = identities[key];
    const hers = ids(await consents(base, who.token, who.pid));
    t.same(hers, [grantConsentId(s.rels[key], s.victor.pid)], `${key}: her grant there`);
    t.same(ids(await consents(h1, s.victor.token, who.pid)), hers, `${key}: victor`);
    t.same(ids(await consents(h1, s.audra, who.pid)), hers, `${key}: audra (auditor, hospital 1)`);
    t.same(ids(await consents(h2, s.otto, who.pid)), hers, `${key}: otto (auditor, hospital 2)`);
    t.same(await consents(h2, s.wendy.token, who.pid), [], `${key}: wendy: nothing granted to her`);
  }
  const res = await api(h1, 'GET', `/fhir/Consent?patient=${s.alice.pid}`, { token: s.drAda });
  t.equal(res.status, 403);
  t.equal(res.json['resourceType'], 'OperationOutcome');
});

t.test('a revoked grant is an inactive Consent for the patient and the auditor, and gone for the grantee', async (t) => {
  await api(h2, 'DELETE', `/relationships/${s.rels.h2}/grants/${s.victor.pid}`, { token: s.aliceAt2.token });
  const revoked = grantConsentId(s.rels.h2, s.victor.pid);
  const live = grantConsentId(s.rels.h1, s.victor.pid);
  for (const [who, base, token] of [['alice', h2, s.aliceAt2.token], ['audra', h1, s.audra]] as const) {
    const entries = await consents(base, token, s.aliceAt2.pid);
    t.equal(entries.find((e) => e.resource['id'] === revoked)!.resource['status'], 'inactive', `${who}: inactive`);
  }
  for (const [who, base, token] of [['alice', h1, s.alice.token], ['audra', h1, s.audra]] as const) {
    const entries = await consents(base, token, s.alice.pid);
    t.equal(entries.find((e) => e.resource['id'] === live)!.resource['status'], 'active', `${who}: the other stays active`);
  }
  t.same(await consents(h1, s.victor.token, s.aliceAt2.pid), [], 'victor: the revoked one is gone');
  t.same((await consents(h1, s.victor.token, s.alice.pid)).map((e) => e.resource['id']), [live], 'victor: only his live grant');
});
