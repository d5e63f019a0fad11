/**
 * bench:research's large population (demo/panel-population.ts): onboarded as a panel, and every
 * patient who opts in does so with a consent transaction signed by their own certificate. The ledger's
 * cohort — what each gatekeeper answers over — is exactly those patients, hospital by hospital.
 */
import t from 'tap';
import { Research } from '../../src/contract/medrec.js';
import { seedPopulationByPanel } from '../../demo/panel-population.js';
import { consentOf } from '../../demo/research-population.js';
import { openWorld, REGISTRAR_PASSWORD, type Hospital } from '../support/world.js';

const PATIENTS = 40;

t.test('each opted-in patient of a panel population consented with their own key, and the cohort is exactly them', async (t) => {
  const w = await openWorld({ patients: PATIENTS });
  t.teardown(() => w.close());
  const reports = await seedPopulationByPanel(w.system, { patients: PATIENTS, registrarPassword: REGISTRAR_PASSWORD });
  const researcher = await w.enrol(w.h1, 'panel-researcher', 'researcher');
  const validUntil = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const study = Research.submitStudy({
    template: 'lab-mean',
    code: '2345-7',
    criteria: { period: { from: '2020-01-01', to: '2025-01-01' } },
    groupBy: ['sex'],
    epsilon: 1,
    protocolHash: null,
    validUntil,
  });
  const { queryId } = (await w.client.submit(researcher.signer, study)).value;

  const cohortOf = async (h: Hospital) => {
    const patients: string[] = [];
    let bookmark = '';
    do {
      const page = await w.client.evaluate(h.service, Research.prepareRelease(queryId, researcher.identityId, bookmark));
      patients.push(...page.patients);
      bookmark = page.bookmark;
    } while (bookmark !== '');
    return patients.sort();
  };

  for (const h of [w.h1, w.h2]) {
    const onboarded = h.runtime.panels.deps.db.prepare('SELECT participant_id AS pid, mrn FROM panel_patients').all() as { pid: string; mrn: string }[];
    const byMrn = new Map(h.patients.map((p) => [p.mrn, p]));
    const optedIn = onboarded.filter((o) => consentOf('medrec-demo-v1', byMrn.get(o.mrn)!, 0.8) !== null).map((o) => o.pid);
    const report = reports.find((r) => r.mspId === h.mspId)!;
    t.equal(report.patients, onboarded.length, `${h.mspId}: every chart onboarded`);
    t.ok(optedIn.length > 0 && optedIn.length < onboarded.length, `${h.mspId}: some opt in, some do not (${optedIn.length}/${onboarded.length})`);
    t.equal(report.consented, optedIn.length, `${h.mspId}: one consent per opted-in patient`);
    t.same(await cohortOf(h), [...optedIn].sort(), `${h.mspId}: the ledger's cohort is exactly the opted-in patients`);
  }
});
