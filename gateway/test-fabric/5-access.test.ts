/**
 * LedgerPort.checkAccess on the real network: the Fabric adapter's block-fed access index gives the
 * chaincode's own decisions (compared with evaluating Relationship.checkAccess on the peer), and a
 * change committed before a call — a narrower re-grant, a revoke, a relationship delete — is honoured
 * by the very next call, answered from the index (not by falling back to an evaluate).
 */
import t from 'tap';
import type { FabricLedger } from '../src/adapters/ledger/fabric/ledger.js';
import type { AccessQuestion } from '../src/ports/ledger.js';
import { ensureOnLedger, hospital, iid, json, loadNetwork, newPerson, openLedger, staffCredentials } from './network.js';

const network = loadNetwork();
const h1 = hospital(network, 'Hospital1');
const orgs = { endorsingOrganizations: ['Hospital1MSP'] };

async function fromIndex(ledger: FabricLedger, ask: () => Promise<unknown>) {
  const before = ledger.accessAnswers.index;
  const answer = await ask();
  return { answer, fromIndex: ledger.accessAnswers.index === before + 1 };
}

t.test('the access index answers as the chaincode does, and sees every change committed before a call', async (t) => {
  const indexed = await openLedger(network, h1);
  const evaluated = await openLedger(network, h1, undefined, { accessIndex: false });
  t.teardown(() => Promise.all([indexed.close(), evaluated.close()]));
  const service = staffCredentials(h1, 'records-service');
  await ensureOnLedger(indexed, staffCredentials(h1, 'registrar'), service, 'provider');
  const patient = await newPerson(h1, indexed, 'patient');
  const viewer = await newPerson(h1, indexed, 'viewer');
  const created = await indexed.submit(service, 'Relationship', 'create', [patient.participantId, 'https://hospital1.example/gatekeeper'], orgs);
  const rel = json<{ relationshipId: string }>(created.result).relationshipId;
  await indexed.submit(service, 'Relationship', 'putPointer', [rel, 'Observation', 'c'.repeat(64)], orgs);
  await indexed.submit(patient, 'Relationship', 'accept', [rel], orgs);
  const grant = (fields: string[]) =>
    indexed.submit(patient, 'Relationship', 'grant', [rel, viewer.participantId, JSON.stringify({ items: [{ category: 'Observation', fields }], validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(), purpose: 'TREAT' })], orgs);
  await grant(['code', 'valueQuantity']);

  const question = (fields: string[], requester = viewer): AccessQuestion => ({
    relationshipId: rel,
    requesterIdentityId: iid(requester),
    category: 'Observation',
    fieldsJson: JSON.stringify(fields),
  });
  // The index starts with the first call and catches up from block 0; wait until it answers.
  for (let i = 0; i < 100 && indexed.accessAnswers.index === 0; i++) {
    await indexed.checkAccess(service, question([]));
    if (indexed.accessAnswers.index === 0) await new Promise((r) => setTimeout(r, 200));
  }
  t.ok(indexed.accessAnswers.index > 0, 'the index caught up and answers');

  const answeredBefore = indexed.accessAnswers.index;
  const outcome = (p: Promise<unknown>) => p.then((d) => JSON.stringify(d), (e: Error & { code?: string }) => `${e.name} ${e.code ?? ''}`);
  for (const [asker, requester, fields] of [
    [service, viewer, []],
    [service, viewer, ['valueQuantity']],
    [service, viewer, ['note']],
    [service, patient, []],
    [viewer, viewer, ['code']],
    [viewer, patient, []],
    [patient, patient, ['code']],
  ] as const) {
    const a = await outcome(indexed.checkAccess(asker, question([...fields], requester)));
    const b = await outcome(evaluated.checkAccess(asker, question([...fields], requester)));
    t.equal(a, b, `${asker.enrollmentId} asks for ${requester.enrollmentId} ${JSON.stringify(fields)}: the index answers as the chaincode`);
  }
  t.equal(indexed.accessAnswers.index - answeredBefore, 7, 'every one of them answered from the index, refusals too');
  t.equal(evaluated.accessAnswers.index, 0, '(the other ledger only evaluated)');

  await grant(['code']);
  const narrower = await fromIndex(indexed, () => indexed.checkAccess(service, question(['valueQuantity'])));
  t.match(narrower, { answer: { allowed: false, code: 'FIELD_NOT_GRANTED' }, fromIndex: true }, 'a narrower re-grant: the very next call');

  await indexed.submit(patient, 'Relationship', 'revoke', [rel, viewer.participantId], orgs);
  const revoked = await fromIndex(indexed, () => indexed.checkAccess(service, question([])));
  t.match(revoked, { answer: { allowed: false, code: 'GRANT_REVOKED' }, fromIndex: true }, 'a revoke: the very next call');

  await grant(['code']);
  t.match(await indexed.checkAccess(service, question([])), { allowed: true });
  await indexed.submit(patient, 'Relationship', 'remove', [rel], orgs);
  const deleted = await fromIndex(indexed, () => indexed.checkAccess(service, question([])));
  t.match(deleted, { answer: { allowed: false, code: 'RELATIONSHIP_DELETED' }, fromIndex: true }, 'a delete: the very next call');

  // Concurrent calls share one height read, and each is still answered after its own arrival.
  const many = await Promise.all(Array.from({ length: 20 }, () => indexed.checkAccess(service, question([], patient))));
  t.ok(many.every((d) => d.code === 'RELATIONSHIP_DELETED'));
});
