import t from 'tap';
import { patientRefusal, type PatientParty } from '../../src/domain/authorisation';
import { DELEGATE_REQUIRED, isDelegateRequired } from '../../src/domain/errors';

/** Where a patient may be treated (docs/privacy.md §3), against named fixtures. */
const H1 = 'Hospital1MSP';
const H2 = 'Hospital2MSP';

const fixtures: { name: string; patient: PatientParty; at: string; refusal: string | null }[] = [
  { name: 'her home treats her under her own id (a home chart, the panel job)', patient: { mspId: H1 }, at: H1, refusal: null },
  { name: "a delegate at the hospital that registered it", patient: { mspId: H2, delegate: true }, at: H2, refusal: null },
  { name: 'her home id at another hospital: a delegate is required', patient: { mspId: H1 }, at: H2, refusal: DELEGATE_REQUIRED },
  { name: "another hospital's delegate", patient: { mspId: H1, delegate: true }, at: H2, refusal: 'a delegate serves only at the hospital that registered it' },
];

for (const f of fixtures) {
  t.test(f.name, async (t) => {
    t.equal(patientRefusal(f.patient, f.at), f.refusal);
  });
}

t.test('the DELEGATE_REQUIRED refusal is found in any ledger client\'s message, and only it', async (t) => {
  t.ok(isDelegateRequired(`FORBIDDEN: item 3: ${DELEGATE_REQUIRED}`));
  t.ok(isDelegateRequired(`10 ABORTED: failed to endorse transaction, see attached details for more info: FORBIDDEN: item 0: ${DELEGATE_REQUIRED}`));
  t.notOk(isDelegateRequired('FORBIDDEN: item 0: a delegate serves only at the hospital that registered it'));
  t.notOk(isDelegateRequired('CONFLICT: the patient already has a relationship with this hospital: ' + 'a'.repeat(64)));
});
