/** The medrec chaincode's key flows, run through the embedded ledger with CA-enrolled certificates. */
import './quiet.js';
import { createHash } from 'node:crypto';
import t from 'tap';
import { contracts } from '@medrec/chaincode';
import { identityId, type Decision, type RelationshipHistory, type RelationshipRecord } from '@medrec/chaincode/domain';
import type { Credentials } from '../../src/ports/identity.js';
import { json, openChannel, openOrg, tempDir } from './support.js';

const H1 = 'Hospital1MSP';
const H2 = 'Hospital2MSP';
const hash = (s: string) => createHash('sha256').update(s).digest('hex');
const GRANT = JSON.stringify({
  items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }],
  validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  purpose: 'FAMRQT',
});

t.test('register → relationship → pointer → accept → grant → checkAccess → revoke → history', async (t) => {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, H1, 'Hospital 1');
  const h2 = await openOrg(dir, H2, 'Hospital 2');
  const ledger = await openChannel(dir, [h1, h2], contracts);
  t.teardown(async () => {
    await ledger.close();
    h1.ca.close();
    h2.ca.close();
  });
  const start = await ledger.height();
  const people: Record<string, Credentials> = {
    registrar1: await h1.enroll('reg1', 'registrar'),
    registrar2: await h2.enroll('reg2', 'registrar'),
    provider: await h1.enroll('drhouse', 'provider'),
    records: await h1.enroll('records.h1', 'provider'),
    patient: await h1.enroll('alice', 'patient'),
    auditor: await h1.enroll('audrey', 'auditor'),
    viewer: await h2.enroll('dave', 'viewer'),
  };
  const p = people as Record<keyof typeof people, Credentials>;
  const pid: Record<string, string> = {};
  const submit = async (who: Credentials, fn: string, args: string[], endorsingOrganizations?: string[]) => {
    const [contract, transaction] = fn.split(':') as [string, string];
    return json((await ledger.submit(who, contract, transaction, args, endorsingOrganizations && { endorsingOrganizations })).result);
  };
  const evaluate = async (who: Credentials, fn: string, args: string[]) => {
    const [contract, transaction] = fn.split(':') as [string, string];
    return json(await ledger.evaluate(who, contract, transaction, args));
  };

  // Registrars register their own org's people (the first registers itself).
  for (const [name, registrar] of [
    ['registrar1', p.registrar1],
    ['provider', p.registrar1],
    ['records', p.registrar1],
    ['patient', p.registrar1],
    ['auditor', p.registrar1],
    ['registrar2', p.registrar2],
    ['viewer', p.registrar2],
  ] as const) {
    const who = people[name]!;
    const role = name.replace(/\d$/, '') === 'records' ? 'provider' : name.replace(/\d$/, '');
    const record = (await submit(registrar, 'Registrar:register', [hash(`mrn:${name}`), who.enrollmentId, role])) as { participantId: string };
    pid[name] = record.participantId;
  }
  t.match(await evaluate(p.patient, 'Registrar:whoami', []), { participantId: pid.patient, role: 'patient', mspId: H1 });
  await t.rejects(
    submit(p.patient, 'Registrar:register', [hash('mrn:x'), 'eve', 'patient']),
    { name: 'ChaincodeError', code: 'FORBIDDEN' },
    'only registrars register',
  );

  const { relationshipId: id } = (await submit(p.provider, 'Relationship:create', [pid.patient!, 'https://h1.example/gatekeeper'])) as { relationshipId: string };
  const rel = (await evaluate(p.provider, 'Relationship:get', [id])) as RelationshipRecord;
  t.match(rel, { patientId: pid.patient, providerId: pid.provider, providerMspId: H1, status: 'new' });
  await submit(p.provider, 'Relationship:putPointer', [id, 'Observation', hash('observations v1')], [H1]);
  await t.rejects(
    ledger.submit(p.provider, 'Relationship', 'putPointer', [id, 'Observation', hash('v2')], { endorsingOrganizations: [H2] }),
    { name: 'TransactionInvalidError', validationCode: 'ENDORSEMENT_POLICY_FAILURE' },
    'the relationship’s keys need its provider’s org to endorse',
  );
  await t.rejects(submit(p.viewer, 'Relationship:accept', [id]), { name: 'ChaincodeError', code: 'FORBIDDEN' });
  await submit(p.patient, 'Relationship:accept', [id]);
  await submit(p.patient, 'Relationship:grant', [id, pid.viewer!, GRANT]);

  const ask = (requester: string, category = 'Observation', fields: string[] = []) =>
    evaluate(p.records, 'Relationship:checkAccess', [id, identityId(people[requester]!.mspId, people[requester]!.enrollmentId), category, JSON.stringify(fields)]) as Promise<Decision>;
  t.match(await ask('viewer', 'Observation', ['valueQuantity']), {
    allowed: true,
    code: 'ALLOWED_VIEWER',
    requesterId: pid.viewer,
    fields: ['valueQuantity'],
    pointer: { hash: hash('observations v1'), version: 1 },
    providerMspId: H1,
  });
  t.match(await ask('viewer', 'Observation', ['note']), { allowed: false, code: 'FIELD_NOT_GRANTED' });
  t.match(await ask('viewer', 'Condition'), { allowed: false, code: 'CATEGORY_NOT_GRANTED' });
  t.match(await ask('patient'), { allowed: true, code: 'ALLOWED_PATIENT' });
  t.match(await ask('auditor'), { allowed: false, code: 'NOT_A_PARTY' });

  await submit(p.patient, 'Relationship:revoke', [id, pid.viewer!]);
  t.match(await ask('viewer'), { allowed: false, code: 'GRANT_REVOKED' });

  await t.rejects(evaluate(p.patient, 'Relationship:history', [id]), { name: 'ChaincodeError', code: 'FORBIDDEN' });
  const history = (await evaluate(p.auditor, 'Relationship:history', [id])) as RelationshipHistory;
  t.same(history.relationship.map((h) => (h.value as RelationshipRecord).status), ['accepted', 'new'], 'newest first');
  t.equal(history.pointers[0]!.history.length, 1, 'the refused pointer update left no trace');
  t.equal(history.grants[0]!.history.length, 2, 'granted, then revoked');
  t.equal(history.grants[0]!.history[0]!.txId !== history.grants[0]!.history[1]!.txId, true);

  // Each committed change was announced, in order, after commit.
  const names: string[] = [];
  const controller = new AbortController();
  const stop = await ledger.height();
  for await (const event of ledger.events({ startBlock: start, signal: controller.signal })) {
    names.push(event.eventName);
    if (event.blockNumber === stop - 1n) controller.abort();
  }
  t.same(names, [
    ...Array(7).fill('IdentityRegistered'),
    'RelationshipCreated',
    'PointerUpdated',
    'RelationshipAccepted',
    'GrantCreated',
    'GrantRevoked',
  ]);
  t.same((await ledger.verify()).problems, []);
});
