/**
 * Research answers on the real Fabric network (docs/research.md), through the REST gateways that
 * fabric:up started and the chaincode it deployed: a patient opts in on her relationship; a study is
 * collected from every hospital's gatekeeper, each answer matching its release record on the ledger
 * (read with Fabric's own CLI too) and no cell of 1–10 shown; a second collection is refused; the
 * patient sees which answers included her, and after opting out the next answer leaves her out; a
 * provider's pointer update carries a bounty query that the chaincode assigns to one steward, which
 * alone collects it, once.
 */
import t, { type Test } from 'tap';
import { demoPatients } from '../demo/seed/population.js';
import { DEMO_REGISTRAR_PASSWORD, DEMO_STEWARDS } from '../demo/index.js';
import { call, login, ok, type Json } from '../demo/json-client.js';
import { hospital, iid, loadNetwork, peerQuery, staffCredentials } from './network.js';
import { delegateRelationship } from './patients.js';

const until = () => new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
const codes = (collection: Json) => (collection.hospitals as Json[]).map((h) => h.problem?.code ?? h.outcome);

/** Every answer released, matching its ledger record, and no count below the small-cell threshold shown. */
function releasedEverywhere(t: Test, collection: Json, what: string) {
  const hospitals = collection.hospitals as Json[];
  t.ok(hospitals.length >= 2, `${what}: every hospital with the template answers (${hospitals.map((h) => h.mspId).join(', ')})`);
  for (const h of hospitals) {
    t.equal(h.outcome, 'released', `${what}: ${h.mspId} released${h.problem ? ` (not: ${h.problem.status} ${h.problem.code} ${h.problem.detail})` : ''}`);
    if (h.outcome !== 'released') continue;
    t.equal(h.verified, true, `${what}: ${h.mspId}'s answer hash is the one its release recorded on the ledger`);
    for (const c of [...(h.answer.cells as Json[]), ...(h.answer.total ? [h.answer.total] : [])]) {
      t.ok(c.suppressed || c.count >= 11, `${what}: ${h.mspId} shows no count of 1–10`);
    }
  }
}

t.test('research on Fabric: consent, a study from every gatekeeper, opting out, a bounty for its steward only', async (t) => {
  const network = loadNetwork();
  const [h1, h2] = ['Hospital1', 'Hospital2'].map((name) => `https://127.0.0.1:${hospital(network, name).gatewayPort}`) as [string, string];

  // The stewards, once per network (a rerun, or the gateways' first start, finds them named).
  const rhea = await login(h1, 'rhea', 'rhea-demo-pass');
  const stewards = await ok(h1, 'GET', '/research/stewards', rhea);
  const stewardIds: Record<string, string> = {};
  for (const [base, msp] of [[h1, 'Hospital1MSP'], [h2, 'Hospital2MSP']] as const) {
    const username = DEMO_STEWARDS[msp]!;
    stewardIds[username] = (await ok(base, 'GET', '/me', await login(base, username, `${username}-demo-pass`))).participantId as string;
    if ((stewards.stewards as Json[]).some((s) => s.participantId === stewardIds[username])) continue;
    const registrar = await login(base, 'registrar', DEMO_REGISTRAR_PASSWORD);
    t.match(await ok(base, 'POST', '/research/stewards', registrar, { participantId: stewardIds[username] }), { mspId: msp });
  }

  // A patient of Hospital 2's EHR, treated there under a delegate its registrar registers for her chart
  // (docs/privacy.md §3), with a password account there; dr-grey opens her relationship by the chart.
  const grey = await login(h2, 'dr-grey', 'dr-grey-demo-pass');
  const dana = await delegateRelationship(h2, await login(h2, 'registrar', DEMO_REGISTRAR_PASSWORD), grey, demoPatients('hospital2').map((p) => p.mrn));
  const { token: danaToken } = dana;
  const rel = dana.created;
  await ok(h2, 'POST', `/relationships/${rel.relationshipId}/accept`, danaToken);

  const consent = await ok(h2, 'POST', '/research/consents', danaToken, { categories: ['Patient', 'Observation'], relationshipIds: [rel.relationshipId] });
  t.same(consent.relationshipIds, [rel.relationshipId], 'dana opts in on her relationship with Hospital 2');
  const records2 = hospital(network, 'Hospital2');
  const viaCli = JSON.parse(await peerQuery(records2, 'records-service', ['Research:consentOf', rel.relationshipId, iid(staffCredentials(records2, 'records-service'))]));
  t.match(viaCli, { patientId: dana.participantId, requesterIsPatient: false, consent: { categories: ['Patient', 'Observation'], status: 'active' } }, "Fabric's CLI reads the consent on Hospital 2's peer");

  const study = await ok(h1, 'POST', '/research/studies', rhea, { template: 'patient-count', groupBy: ['sex'], epsilon: 0.5, validUntil: until() });
  const collected = await ok(h1, 'POST', `/research/queries/${study.queryId}/collect`, rhea);
  releasedEverywhere(t, collected, 'the study');
  const again = await ok(h1, 'POST', `/research/queries/${study.queryId}/collect`, rhea);
  t.ok(codes(again).every((c) => c === 'ALREADY_RELEASED'), `a second collection is refused everywhere (${codes(again).join(', ')})`);

  const audra = await login(h1, 'audra', 'audra-demo-pass');
  const releases = await ok(h1, 'GET', `/research/queries/${study.queryId}/releases`, audra);
  const released = collected.hospitals as Json[];
  t.same(
    (releases.releases as Json[]).map((r) => [r.mspId, r.answerHash]).sort(),
    released.map((h) => [h.mspId, h.answerHash]).sort(),
    'the ledger holds one release record per hospital, with the hash of the answer that hospital sent',
  );
  const cliReleases = JSON.parse(await peerQuery(hospital(network, 'Hospital1'), 'records-service', ['Research:releases', study.queryId])) as Json[];
  t.same(cliReleases.map((r) => r.answerHash).sort(), released.map((h) => h.answerHash).sort(), "and Fabric's CLI reads the same records");

  const included = async (queryId: string) => {
    const listed = await ok(h2, 'GET', '/research/inclusions', danaToken);
    const mine = (listed.relationships as Json[]).find((r) => r.relationshipId === rel.relationshipId);
    return (mine?.inclusions as Json[] | null)?.some((i) => i.queryId === queryId) ?? false;
  };
  t.equal(await included(study.queryId), true, "Hospital 2's gatekeeper tells dana the study included her");

  await ok(h2, 'DELETE', `/research/consents/${rel.relationshipId}`, danaToken);
  const next = await ok(h1, 'POST', '/research/studies', rhea, { template: 'patient-count', groupBy: ['sex'], epsilon: 0.5, validUntil: until() });
  releasedEverywhere(t, await ok(h1, 'POST', `/research/queries/${next.queryId}/collect`, rhea), 'the next study');
  t.equal(await included(next.queryId), false, 'opted out: the very next answer leaves her out');
  t.equal(await included(study.queryId), true, 'and the earlier inclusion is still listed');

  const bounty = await ok(h2, 'POST', '/research/bounties', grey, {
    relationshipId: rel.relationshipId,
    category: 'Observation',
    template: 'lab-mean',
    code: '718-7',
    criteria: { period: { from: '2020-01-01', to: '2025-01-01' } },
    epsilon: 1,
  });
  t.match(bounty, { bountyId: /^[0-9a-f]{64}$/, pointer: { category: 'Observation' } }, "the pointer update carries the bounty, in one transaction");
  t.not(bounty.stewardId, stewardIds['sam'], "the provider's own organisation's steward is passed over");
  const [stewardName] = Object.entries(stewardIds).find(([, id]) => id === bounty.stewardId) ?? [];
  t.ok(stewardName, `assigned to a registered steward (${stewardName})`);
  const stolen = await call(h1, 'POST', `/research/queries/${bounty.bountyId}/collect`, rhea);
  t.same(codes(stolen.json), ['QUERY_FORBIDDEN'], 'anyone else is refused by the gatekeeper');
  const stewardToken = await login(h1, stewardName!, `${stewardName}-demo-pass`);
  const first = await ok(h1, 'POST', `/research/queries/${bounty.bountyId}/collect`, stewardToken);
  t.same((first.hospitals as Json[]).map((h) => [h.mspId, h.outcome, h.verified]), [['Hospital2MSP', 'released', true]], "the steward collects it from the provider's gatekeeper");
  const twice = await ok(h1, 'POST', `/research/queries/${bounty.bountyId}/collect`, stewardToken);
  t.same(codes(twice), ['ALREADY_RELEASED'], 'once');
});
