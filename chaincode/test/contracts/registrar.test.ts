import t from 'tap';
import { identityId } from '../../src/domain/ids';
import type { HistoryEntry, IdentityRecord, ResolveResult } from '../../src/domain/types';
import { cast, externalIdHash, H, H1, H2, lastEvent, refused, World } from '../support/world';

t.test('register writes identity, participant and external index, and announces the pid', async (t) => {
  const w = new World();
  const reg = await w.person('reggie', H1, 'registrar');
  const rec = await w.submit<IdentityRecord>(reg, 'Registrar:register', reg.hash, reg.enrollmentId, 'registrar');
  t.equal(rec.identityId, identityId(H1, reg.enrollmentId), 'iid is sha256(msp/enrollmentId)');
  t.match(rec.participantId, /^[0-9a-f]{64}$/);
  t.same({ mspId: rec.mspId, role: rec.role, status: rec.status, supersededBy: rec.supersededBy }, { mspId: H1, role: 'registrar', status: 'active', supersededBy: null });
  t.same(lastEvent(w), { name: 'IdentityRegistered', notifications: [{ participantId: rec.participantId, status: 'active' }] });
  const who = await w.evaluate<IdentityRecord>(reg, 'Registrar:whoami');
  t.same(who, rec, 'whoami returns the same record');
});

t.test('the registrar registers into its own msp, whatever it is', async (t) => {
  const c = await cast();
  t.equal(c.provider2.mspId, H2);
  const who = await c.w.evaluate<IdentityRecord>(c.provider2, 'Registrar:whoami');
  t.equal(who.mspId, H2);
  t.equal(who.identityId, identityId(H2, c.provider2.enrollmentId));
});

t.test('re-registration is refused: same external id, or same enrollment id', async (t) => {
  const c = await cast();
  await refused(t, c.w, c.registrar1, 'Registrar:register', [c.patient.hash, 'someone.else', 'patient'], 'CONFLICT');
  await refused(t, c.w, c.registrar1, 'Registrar:register', [H('e'), c.patient.enrollmentId, 'patient'], 'CONFLICT');
  // the same person registered by the other hospital is still the same external id
  await refused(t, c.w, c.registrar2, 'Registrar:register', [c.patient.hash, 'alice.elsewhere', 'patient'], 'CONFLICT');
});

t.test('register refuses bad input with INVALID_ARGUMENT', async (t) => {
  const c = await cast();
  const r = c.registrar1;
  const cases: [string, string[]][] = [
    ['plain MRN instead of a hash', ['MRN-12345', 'x1', 'patient']],
    ['uppercase hex', [H('A'), 'x1', 'patient']],
    ['65 hex', [H('a') + 'a', 'x1', 'patient']],
    ['missing hash', ['', 'x1', 'patient']],
    ['missing enrollment id', [H('a'), '', 'patient']],
    ['enrollment id with spaces', [H('a'), 'Alice Smith', 'patient']],
    ['oversized enrollment id', [H('a'), 'x'.repeat(65), 'patient']],
    ['unknown role', [H('a'), 'x1', 'superuser']],
    ['missing role', [H('a'), 'x1', '']],
  ];
  for (const [name, args] of cases) {
    t.comment(name);
    await refused(t, c.w, r, 'Registrar:register', args, 'INVALID_ARGUMENT');
  }
});

t.test('registerBatch is all or nothing', async (t) => {
  const c = await cast();
  const items = Array.from({ length: 3 }, (_, i) => ({ externalIdHash: externalIdHash('mrn', `B-${i}`), enrollmentId: `batch${i}`, role: 'patient' }));
  const pids = await c.w.submit<string[]>(c.registrar1, 'Registrar:registerBatch', JSON.stringify(items));
  t.equal(pids.length, 3);
  t.ok(pids.every((p) => /^[0-9a-f]{64}$/.test(p)), 'the result is the new pids only');
  t.equal(new Set(pids).size, 3, 'distinct pids from one transaction');
  const ev = lastEvent(c.w);
  t.equal(ev.name, 'BatchRegistered');
  t.same(ev.notifications.map((n) => n.participantId), pids);
  for (const [i, item] of items.entries()) {
    const resolved = await c.w.evaluate<ResolveResult>(c.provider1, 'Registrar:resolve', item.externalIdHash);
    t.same(resolved, { participantId: pids[i], role: 'patient', mspId: H1, status: 'active' }, `pid ${i} is in item order`);
  }

  // one item clashing with the state spoils the whole batch
  const clash = [{ externalIdHash: H('d'), enrollmentId: 'fresh1', role: 'patient' }, { externalIdHash: c.patient.hash, enrollmentId: 'fresh2', role: 'patient' }];
  await refused(t, c.w, c.registrar1, 'Registrar:registerBatch', [JSON.stringify(clash)], 'CONFLICT');
  await refused(t, c.w, c.provider1, 'Registrar:resolve', [H('d')], 'NOT_FOUND');
  const clashIid = [{ externalIdHash: H('d'), enrollmentId: c.viewer.enrollmentId, role: 'viewer' }];
  await refused(t, c.w, c.registrar1, 'Registrar:registerBatch', [JSON.stringify(clashIid)], 'CONFLICT');

  // duplicates inside the batch are caught in memory: the transaction cannot read its own writes
  const dupHash = [{ externalIdHash: H('d'), enrollmentId: 'a1', role: 'patient' }, { externalIdHash: H('d'), enrollmentId: 'a2', role: 'patient' }];
  await refused(t, c.w, c.registrar1, 'Registrar:registerBatch', [JSON.stringify(dupHash)], 'INVALID_ARGUMENT');
  const dupEnrol = [{ externalIdHash: H('d'), enrollmentId: 'a1', role: 'patient' }, { externalIdHash: H('f'), enrollmentId: 'a1', role: 'patient' }];
  await refused(t, c.w, c.registrar1, 'Registrar:registerBatch', [JSON.stringify(dupEnrol)], 'INVALID_ARGUMENT');
  // a bad item anywhere refuses them all
  const bad = [{ externalIdHash: H('d'), enrollmentId: 'a1', role: 'patient' }, { externalIdHash: 'Jane Doe', enrollmentId: 'a2', role: 'patient' }];
  await refused(t, c.w, c.registrar1, 'Registrar:registerBatch', [JSON.stringify(bad)], 'INVALID_ARGUMENT');
});

t.test('registerBatch bounds and shapes', async (t) => {
  const c = await cast();
  const many = (n: number) =>
    JSON.stringify(Array.from({ length: n }, (_, i) => ({ externalIdHash: externalIdHash('mrn', `M-${i}`), enrollmentId: `m${i}`, role: 'patient' })));
  await refused(t, c.w, c.registrar1, 'Registrar:registerBatch', [many(501)], 'LIMIT_EXCEEDED');
  const pids = await c.w.submit<string[]>(c.registrar1, 'Registrar:registerBatch', many(500));
  t.equal(pids.length, 500, '500 items in one transaction');
  for (const [name, text] of [
    ['not JSON', '[{'],
    ['empty', '[]'],
    ['object', '{}'],
    ['item not an object', '["x"]'],
    ['unknown property (free text)', JSON.stringify([{ externalIdHash: H('1'), enrollmentId: 'z', role: 'patient', name: 'Jane Doe' }])],
    ['wrong type', JSON.stringify([{ externalIdHash: 42, enrollmentId: 'z', role: 'patient' }])],
    ['oversized', JSON.stringify([{ externalIdHash: H('1'), enrollmentId: 'z', role: 'patient', pad: 'x'.repeat(1_048_576) }])],
    ['missing', ''],
  ] as const) {
    t.comment(name);
    await refused(t, c.w, c.registrar1, 'Registrar:registerBatch', [text], 'INVALID_ARGUMENT');
  }
});

t.test('remap: key recovery points a new identity at the same pid', async (t) => {
  const c = await cast();
  const renewed = await c.w.reenrol(c.patient, 'v2');
  const rec = await c.w.submit<IdentityRecord>(c.registrar1, 'Registrar:remap', c.patient.hash, renewed.enrollmentId);
  t.equal(rec.participantId, c.patient.pid, 'same pid');
  t.equal(rec.identityId, renewed.iid);
  t.same(lastEvent(c.w), { name: 'IdentityRemapped', notifications: [{ participantId: c.patient.pid, status: 'active' }] });

  const who = await c.w.evaluate<IdentityRecord>(renewed, 'Registrar:whoami');
  t.equal(who.participantId, c.patient.pid, 'the new certificate speaks for the patient');
  await refused(t, c.w, c.patient, 'Registrar:whoami', [], 'FORBIDDEN');
  await refused(t, c.w, c.patient, 'Summary:mine', [], 'FORBIDDEN');

  const resolved = await c.w.evaluate<ResolveResult>(c.registrar1, 'Registrar:resolve', c.patient.hash);
  t.same(resolved, { participantId: c.patient.pid, role: 'patient', mspId: H1, status: 'active' });

  const hist = await c.w.evaluate<HistoryEntry[]>(c.auditor, 'Registrar:history', c.patient.hash);
  t.equal(hist.length, 2, 'registration and remap');
  t.same(
    hist.map((h) => (h.value as { identityId: string }).identityId),
    [renewed.iid, c.patient.iid],
    'newest first, as Fabric returns history',
  );
  t.match(hist[0], { isDelete: false, txId: /^tx/, timestamp: /^2026-/ });

  // the old iid is superseded, its enrollment id cannot come back, nor the new one twice
  await refused(t, c.w, c.registrar1, 'Registrar:remap', [c.patient.hash, renewed.enrollmentId], 'CONFLICT');
  await refused(t, c.w, c.registrar1, 'Registrar:remap', [c.patient.hash, c.patient.enrollmentId], 'CONFLICT');
  await refused(t, c.w, c.registrar1, 'Registrar:register', [H('9'), c.patient.enrollmentId, 'patient'], 'CONFLICT');
});

t.test('remap refusals', async (t) => {
  const c = await cast();
  await refused(t, c.w, c.registrar2, 'Registrar:remap', [c.patient.hash, 'alice.h2'], 'FORBIDDEN');
  await refused(t, c.w, c.registrar1, 'Registrar:remap', [H('7'), 'nobody.v2'], 'NOT_FOUND');
  await refused(t, c.w, c.registrar1, 'Registrar:remap', ['not-a-hash', 'nobody.v2'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.registrar1, 'Registrar:remap', [c.patient.hash, 'bad id!'], 'INVALID_ARGUMENT');
});

t.test('resolve and history refusals', async (t) => {
  const c = await cast();
  await refused(t, c.w, c.provider1, 'Registrar:resolve', [H('7')], 'NOT_FOUND');
  await refused(t, c.w, c.provider1, 'Registrar:resolve', ['Jane Doe'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.auditor, 'Registrar:history', [H('7')], 'NOT_FOUND');
  await refused(t, c.w, c.provider1, 'Registrar:history', [c.patient.hash], 'FORBIDDEN');
});

t.test('the role comes from the certificate only', async (t) => {
  const w = new World();
  const reg = await w.register(await w.person('reggie', H1, 'registrar'), await w.person('reggie', H1, 'registrar'));
  // a certificate whose role attribute differs from the registered role
  const p = await w.register(reg, await w.person('pat', H1, 'patient'));
  const forged = await w.person('pat', H1, 'provider', { 'hf.EnrollmentID': p.enrollmentId, role: 'provider' });
  await refused(t, w, forged, 'Registrar:whoami', [], 'FORBIDDEN');
  await refused(t, w, forged, 'Relationship:create', [p.pid, 'https://h1.example/gk'], 'FORBIDDEN');
  // no role attribute at all, or an unknown one
  const none = await w.person('norole', H1, 'patient', { 'hf.EnrollmentID': 'norole.h1' });
  await refused(t, w, none, 'Registrar:register', [H('1'), 'x1', 'patient'], 'FORBIDDEN');
  const odd = await w.person('odd', H1, 'root', { 'hf.EnrollmentID': 'odd.h1', role: 'root' });
  await refused(t, w, odd, 'Registrar:register', [H('1'), 'x1', 'patient'], 'FORBIDDEN');
  // a registrar cannot make itself something else by argument
  await refused(t, w, p, 'Registrar:register', [H('2'), 'x2', 'registrar'], 'FORBIDDEN');
});

t.test('without hf.EnrollmentID the enrollment id is the subject CN', async (t) => {
  const w = new World();
  const reg = await w.person('reggie', H1, 'registrar', { role: 'registrar' });
  const rec = await w.submit<IdentityRecord>(reg, 'Registrar:register', reg.hash, reg.enrollmentId, 'registrar');
  t.equal(rec.identityId, identityId(H1, 'reggie.h1'));
});

t.test('unknown transactions are NOT_FOUND', async (t) => {
  const c = await cast();
  for (const fn of ['Registrar:nope', 'Relationship:nope', 'Summary:nope', 'Audit:nope']) {
    await refused(t, c.w, c.patient, fn, [], 'NOT_FOUND');
  }
});

t.test('registerPanel is idempotent per patient and names those registered otherwise', async (t) => {
  const c = await cast();
  type Result = { participantId: string; outcome: string; role: string };
  const item = (i: number) => ({ externalIdHash: externalIdHash('mrn', `P-${i}`), enrollmentId: `panel${i}`, role: 'patient' });
  const first = await c.w.submit<Result[]>(c.registrar1, 'Registrar:registerPanel', JSON.stringify([item(0), item(1)]));
  t.same(first.map((r) => r.outcome), ['created', 'created']);
  t.equal(lastEvent(c.w).name, 'BatchRegistered');
  // a resumed batch: two already there, one new, in item order
  const again = await c.w.submit<Result[]>(c.registrar1, 'Registrar:registerPanel', JSON.stringify([item(1), item(2), item(0)]));
  t.same(again.map((r) => r.outcome), ['present', 'created', 'present']);
  t.equal(again[0]!.participantId, first[1]!.participantId, 'the same participant, not a second one');
  t.equal(again[2]!.participantId, first[0]!.participantId);
  const resolved = await c.w.evaluate<ResolveResult>(c.provider1, 'Registrar:resolve', item(2).externalIdHash);
  t.equal(resolved.participantId, again[1]!.participantId);
  // the same external id under another enrollment id, or at another hospital: `other`, with its role, and nothing written
  const other = await c.w.submit<Result[]>(c.registrar2, 'Registrar:registerPanel', JSON.stringify([{ ...item(0), enrollmentId: 'elsewhere0' }, item(3)]));
  t.same(other.map((r) => [r.outcome, r.role]), [['other', 'patient'], ['created', 'patient']]);
  t.equal(other[0]!.participantId, first[0]!.participantId);
  t.same(await c.w.evaluate<ResolveResult>(c.provider1, 'Registrar:resolve', item(0).externalIdHash), { participantId: first[0]!.participantId, role: 'patient', mspId: H1, status: 'active' });
  const staff = await c.w.submit<Result[]>(c.registrar1, 'Registrar:registerPanel', JSON.stringify([{ externalIdHash: c.provider1.hash, enrollmentId: 'x1', role: 'patient' }]));
  t.same(staff.map((r) => [r.outcome, r.role]), [['other', 'provider']]);
  // an enrollment id taken by another external id refuses the batch; so does a non-registrar
  await refused(t, c.w, c.registrar1, 'Registrar:registerPanel', [JSON.stringify([item(5), { ...item(4), enrollmentId: 'panel0' }])], 'CONFLICT');
  await refused(t, c.w, c.provider1, 'Registrar:resolve', [item(5).externalIdHash], 'NOT_FOUND');
  await refused(t, c.w, c.provider1, 'Registrar:registerPanel', [JSON.stringify([item(4)])], 'FORBIDDEN');
});
