/**
 * LedgerPort.checkAccess on the embedded ledger: the chaincode domain's decision answered in-process
 * from committed state must be, byte for byte, what evaluating Relationship.checkAccess through the
 * chaincode gives — the same Decision text or the same error — on the chaincode access tests'
 * situations and on randomised states; and a change committed before a call is seen by that call.
 */
import './quiet.js';
import t from 'tap';
import { contracts } from '@medrec/chaincode';
import { createHash } from 'node:crypto';
import { identityId } from '@medrec/chaincode/domain';
import type { EmbeddedLedger } from '../../src/adapters/ledger/embedded/index.js';
import type { Credentials } from '../../src/ports/identity.js';
import { openChannel, openOrg, str, tempDir } from './support.js';

const H1 = 'Hospital1MSP';
const H2 = 'Hospital2MSP';
const hex = (s: string) => createHash('sha256').update(s).digest('hex');

type Outcome = { text: string } | { error: { name: string; code: unknown; message: string } };
const outcome = (p: Promise<string>): Promise<Outcome> =>
  p.then(
    (text) => ({ text }),
    (e: Error & { code?: unknown }) => ({ error: { name: e.name, code: e.code, message: e.message } }),
  );

async function setup(t: { teardown(fn: () => void): void }) {
  const dir = tempDir(t);
  const org1 = await openOrg(dir, H1, 'Hospital 1');
  const org2 = await openOrg(dir, H2, 'Hospital 2');
  const ledger = await openChannel(dir, [org1, org2], contracts, { batchTimeoutMs: 1 });
  t.teardown(() => ledger.close());
  const registrar1 = await org1.enroll('reg1', 'registrar');
  const registrar2 = await org2.enroll('reg2', 'registrar');
  for (const r of [registrar1, registrar2]) {
    await ledger.submit(r, 'Registrar', 'register', [hex(`staff:${r.enrollmentId}`), r.enrollmentId, 'registrar']);
  }
  const pids = new Map<string, string>();
  const person = async (org: typeof org1, registrar: Credentials, id: string, role: string, register = true) => {
    const c = await org.enroll(id, role);
    if (register) {
      const rec = JSON.parse(str((await ledger.submit(registrar, 'Registrar', 'register', [hex(`mrn:${id}`), id, role])).result)) as { participantId: string };
      pids.set(id, rec.participantId);
    }
    return c;
  };
  const cast = {
    provider1: await person(org1, registrar1, 'drhouse', 'provider'),
    records1: await person(org1, registrar1, 'records', 'provider'),
    patient: await person(org1, registrar1, 'alice', 'patient'),
    patient2: await person(org1, registrar1, 'bob', 'patient'),
    viewer: await person(org1, registrar1, 'carol', 'viewer'),
    auditor: await person(org1, registrar1, 'audrey', 'auditor'),
    researcher: await person(org1, registrar1, 'rosalind', 'researcher'),
    provider2: await person(org2, registrar2, 'drgrey', 'provider'),
    viewer2: await person(org2, registrar2, 'dave', 'viewer'),
    patient3: await person(org2, registrar2, 'erin', 'patient'),
    stranger: await person(org1, registrar1, 'mallory', 'patient', false),
  };
  const pid = (c: Credentials) => pids.get(c.enrollmentId)!;
  const iid = (c: Credentials) => identityId(c.mspId, c.enrollmentId);
  return { dir, org1, org2, ledger, registrar1, registrar2, cast, pid, iid };
}

/** One question both ways; the outcomes must be identical (Decision text, or error name, code and message). */
async function same(t: { same: (a: unknown, b: unknown, m: string) => void }, ledger: EmbeddedLedger, asker: Credentials, args: [string, string, string, string], label: string) {
  const [relationshipId, requesterIdentityId, category, fieldsJson] = args;
  const chaincode = await outcome(ledger.evaluate(asker, 'Relationship', 'checkAccess', [...args]).then(str));
  const inProcess = await outcome(ledger.checkAccess(asker, { relationshipId, requesterIdentityId, category, fieldsJson }).then((d) => JSON.stringify(d)));
  t.same(inProcess, chaincode, label);
  return inProcess;
}

t.test('every situation of the chaincode access tests: in-process and chaincode agree', async (t) => {
  const { ledger, cast, pid, iid, registrar1, org1 } = await setup(t);
  const c = cast;
  const rel = JSON.parse(str((await ledger.submit(c.provider1, 'Relationship', 'create', [pid(c.patient), 'https://h1.example/gk'])).result)).relationshipId as string;
  await ledger.submit(c.provider1, 'Relationship', 'putPointer', [rel, 'Observation', hex('1')]);
  const askers = Object.entries(c);
  const requesters = [c.patient, c.provider1, c.viewer, c.viewer2, c.stranger];
  let compared = 0;
  const all = async (label: string) => {
    for (const [name, asker] of askers) {
      for (const requester of requesters) {
        for (const category of ['Observation', 'Condition']) {
          for (const fields of ['[]', '["valueQuantity"]', '["code","note"]']) {
            await same(t, ledger, asker, [rel, iid(requester), category, fields], `${label}: ${name} asks for ${requester.enrollmentId} ${category} ${fields}`);
            compared++;
          }
        }
      }
    }
  };
  await all('new');
  await ledger.submit(c.patient, 'Relationship', 'accept', [rel]);
  const grant = JSON.stringify({ items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }, { category: 'Condition', fields: ['code'] }], validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(), purpose: 'FAMRQT' });
  await ledger.submit(c.patient, 'Relationship', 'grant', [rel, pid(c.viewer), grant]);
  await all('accepted and granted');
  await ledger.submit(c.provider1, 'Relationship', 'putPointer', [rel, 'Observation', hex('2')]);
  await all('update not yet acknowledged');
  await ledger.submit(c.patient, 'Summary', 'acknowledge', [rel]);
  await ledger.submit(c.patient, 'Relationship', 'revoke', [rel, pid(c.viewer)]);
  await all('revoked');
  await ledger.submit(c.patient, 'Relationship', 'reject', [rel]);
  await all('rejected');
  await ledger.submit(c.patient, 'Relationship', 'remove', [rel]);
  await all('deleted');

  // bad questions and an unknown relationship: the same errors
  for (const [label, args] of [
    ['unknown relationship', [hex('none'), iid(c.patient), 'Observation', '[]']],
    ['unknown category', [rel, iid(c.patient), 'Billing', '[]']],
    ['unknown field', [rel, iid(c.patient), 'Observation', '["ssn"]']],
    ['fields not JSON', [rel, iid(c.patient), 'Observation', 'code']],
    ['fields of wrong type', [rel, iid(c.patient), 'Observation', '[1]']],
    ['requester not an iid', [rel, 'alice', 'Observation', '[]']],
    ['missing relationship', ['', iid(c.patient), 'Observation', '[]']],
  ] as const) {
    const result = await same(t, ledger, c.auditor, [...args], label);
    t.ok('error' in result && result.error.name === 'ChaincodeError', `${label}: refused with a chaincode error`);
  }

  // a superseded identity
  const rel2 = JSON.parse(str((await ledger.submit(c.provider1, 'Relationship', 'create', [pid(c.patient2), 'https://h1.example/gk'])).result)).relationshipId as string;
  await ledger.submit(c.provider1, 'Relationship', 'putPointer', [rel2, 'Observation', hex('3')]);
  const renewed = await org1.enroll('bob.v2', 'patient');
  await ledger.submit(registrar1, 'Registrar', 'remap', [hex('mrn:bob'), 'bob.v2']);
  t.match(JSON.parse((await same(t, ledger, c.records1, [rel2, iid(c.patient2), 'Observation', '[]'], 'superseded') as { text: string }).text), { code: 'IDENTITY_INACTIVE' });
  t.match(JSON.parse((await same(t, ledger, renewed, [rel2, iid(renewed), 'Observation', '[]'], 'renewed') as { text: string }).text), { code: 'ALLOWED_PATIENT' });
  t.ok(compared > 1000, `${compared} questions compared`);
});

t.test('randomised states: in-process and chaincode agree after every transaction', async (t) => {
  const { ledger, cast, pid, iid } = await setup(t);
  const c = cast;
  const seed = Number(process.env.ACCESS_SEED ?? Date.now() % 1_000_000);
  t.comment(`seed ${seed} (ACCESS_SEED=${seed} repeats this run)`);
  let state = seed;
  const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const categories = ['Observation', 'Condition', 'Immunization'] as const;
  const fieldsOf = { Observation: ['code', 'valueQuantity', 'note', 'status'], Condition: ['code', 'onsetDateTime'], Immunization: ['vaccineCode', 'lotNumber'] };
  const patients = [c.patient, c.patient2, c.patient3];
  const providers = [c.provider1, c.provider2];
  const viewers = [c.viewer, c.viewer2, c.provider2];
  const rels: { id: string; patient: Credentials; provider: Credentials }[] = [];
  const soon = () => new Date(Date.now() + (random() < 0.2 ? 1_500 : 86_400_000)).toISOString();
  const step = async (): Promise<string> => {
    const r = rels.length > 0 ? pick(rels) : undefined;
    const roll = random();
    if (!r || roll < 0.12) {
      const provider = pick(providers);
      // A hospital treats the patients its registrar registered (docs/privacy.md §3); one open
      // relationship per patient and hospital: a second create is refused until the first is deleted.
      const patient = pick(patients.filter((p) => p.mspId === provider.mspId));
      const created = await ledger.submit(provider, 'Relationship', 'create', [pid(patient), 'https://gk.example']).then(
        (r) => JSON.parse(str(r.result)).relationshipId as string,
        (e: Error & { code?: string }) => e.code ?? e.name,
      );
      if (!/^[0-9a-f]{64}$/.test(created)) return `create ${created}`;
      rels.push({ id: created, patient, provider });
      return 'create';
    }
    const op = pick(['putPointer', 'putPointer', 'accept', 'accept', 'grant', 'grant', 'grant', 'revoke', 'acknowledge', 'reject', 'remove']);
    const cat = pick(categories);
    const args =
      op === 'putPointer' ? [r.id, cat, hex(String(random()))]
      : op === 'grant'
        ? [r.id, pid(pick(viewers)), JSON.stringify({ items: [{ category: cat, fields: fieldsOf[cat].filter(() => random() < 0.6).concat(fieldsOf[cat][0]!).filter((f, i, a) => a.indexOf(f) === i) }], validUntil: soon(), purpose: 'TREAT' })]
        : op === 'revoke' ? [r.id, pid(pick(viewers))]
        : [r.id];
    const signer = op === 'putPointer' ? r.provider : r.patient;
    const contract = op === 'acknowledge' ? 'Summary' : 'Relationship';
    const done = await ledger.submit(signer, contract, op, args.map(String)).then(() => 'ok', (e: Error) => e.name);
    return `${op} ${done}`;
  };
  const askers = Object.values(c);
  const requesters = [...patients, ...providers, ...viewers, c.stranger];
  for (let i = 0; i < 40; i++) {
    const what = await step();
    if (i % 8 === 7) await new Promise((r) => setTimeout(r, 1_600)); // let short grants expire
    for (let q = 0; q < 25; q++) {
      const rel = random() < 0.95 && rels.length > 0 ? pick(rels).id : hex(`none${q}`);
      const cat = pick(categories);
      const fields = random() < 0.4 ? '[]' : JSON.stringify(fieldsOf[cat].filter(() => random() < 0.5));
      await same(t, ledger, pick(askers), [rel, iid(pick(requesters)), cat, fields], `after ${what}: question ${q}`);
    }
  }
});

t.test('a change committed before a call is seen by that call, even with every record cached', async (t) => {
  const { ledger, org1, cast, pid, iid } = await setup(t);
  const c = cast;
  const rel = JSON.parse(str((await ledger.submit(c.provider1, 'Relationship', 'create', [pid(c.patient), 'https://gk.example'])).result)).relationshipId as string;
  await ledger.submit(c.provider1, 'Relationship', 'putPointer', [rel, 'Observation', hex('x')]);
  await ledger.submit(c.patient, 'Relationship', 'accept', [rel]);
  const ask = (fields: string[] = []) =>
    ledger.checkAccess(c.records1, { relationshipId: rel, requesterIdentityId: iid(c.viewer), category: 'Observation', fieldsJson: JSON.stringify(fields) });
  const grant = (fields: string[]) =>
    ledger.submit(c.patient, 'Relationship', 'grant', [rel, pid(c.viewer), JSON.stringify({ items: [{ category: 'Observation', fields }], validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(), purpose: 'TREAT' })]);

  await grant(['code', 'valueQuantity']);
  for (let i = 0; i < 5; i++) t.match(await ask(['valueQuantity']), { allowed: true }, 'served while granted (records now cached)');
  await grant(['code']);
  t.match(await ask(['valueQuantity']), { allowed: false, code: 'FIELD_NOT_GRANTED' }, 'a narrower re-grant: the next call');
  t.same((await ask()).fields, ['code'], 'and everything it may see is the narrower grant');
  await ledger.submit(c.patient, 'Relationship', 'revoke', [rel, pid(c.viewer)]);
  t.match(await ask(), { allowed: false, code: 'GRANT_REVOKED' }, 'a revoke: the next call');
  await grant(['code']);
  t.match(await ask(), { allowed: true });
  await ledger.submit(c.patient, 'Relationship', 'remove', [rel]);
  t.match(await ask(), { allowed: false, code: 'RELATIONSHIP_DELETED' }, 'a delete: the next call');

  // Decisions racing a commit: any call that began after the revoke's commit resolved sees it.
  const rel2 = JSON.parse(str((await ledger.submit(c.provider1, 'Relationship', 'create', [pid(c.patient2), 'https://gk.example'])).result)).relationshipId as string;
  await ledger.submit(c.provider1, 'Relationship', 'putPointer', [rel2, 'Observation', hex('y')]);
  await ledger.submit(c.patient2, 'Relationship', 'accept', [rel2]);
  await ledger.submit(c.patient2, 'Relationship', 'grant', [rel2, pid(c.viewer), JSON.stringify({ items: [{ category: 'Observation', fields: ['code'] }], validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(), purpose: 'TREAT' })]);
  const question = { relationshipId: rel2, requesterIdentityId: iid(c.viewer), category: 'Observation', fieldsJson: '[]' };
  let committed = false;
  const late: Promise<{ code: string }>[] = [];
  const revoke = ledger.submit(c.patient2, 'Relationship', 'revoke', [rel2, pid(c.viewer)]).then(() => {
    committed = true;
  });
  while (!committed) {
    await new Promise((r) => setImmediate(r));
    if (committed) late.push(ledger.checkAccess(c.records1, question));
    else void ledger.checkAccess(c.records1, question);
  }
  await revoke;
  late.push(ledger.checkAccess(c.records1, question));
  for (const d of await Promise.all(late)) t.equal(d.code, 'GRANT_REVOKED', 'began after the commit: revoked');

  // The asker's own certificate revoked at its CA (a configuration block): refused as evaluate refuses it.
  await org1.ca.revoke(org1.admin, 'records', 'keyCompromise');
  await ledger.updateMember(await org1.ca.channelMember());
  const both = await Promise.all([
    outcome(ledger.evaluate(c.records1, 'Relationship', 'checkAccess', [rel2, iid(c.viewer), 'Observation', '[]']).then(str)),
    outcome(ledger.checkAccess(c.records1, question).then((d) => JSON.stringify(d))),
  ]);
  t.match(both[1], { error: { name: 'AccessDeniedError', code: 'CERTIFICATE_REVOKED' } }, 'a revoked asker is refused at once');
  t.same(both[1], both[0], 'as the chaincode path refuses it');
});
