import t from 'tap';
import { KeyEndorsementPolicy } from 'fabric-shim';
import { keys } from '../../src/domain/keys';
import type { AuditAnchor } from '../../src/domain/types';
import { cast, H, H1, H2, lastEvent, refused } from '../support/world';

t.test('anchors tile each hospital audit log in order', async (t) => {
  const c = await cast();
  const a1 = await c.w.submit<AuditAnchor>(c.records1, 'Audit:anchor', '1', '100', H('1'));
  t.match(a1, { mspId: H1, fromSeq: 1, toSeq: 100, headHash: H('1'), anchoredBy: c.records1.pid, txId: /^tx/ });
  t.same(lastEvent(c.w), { name: 'AuditAnchored', notifications: [{ participantId: c.records1.pid }] });
  t.same(new KeyEndorsementPolicy(c.w.ledger.validation.get(keys.anchor(H1, 100))).listOrgs(), [H1], 'only the anchoring org endorses');
  await c.w.submit(c.records1, 'Audit:anchor', '101', '101', H('2'));
  await c.w.submit(c.provider1, 'Audit:anchor', '102', '1000', H('3'));
  await c.w.submit(c.provider2, 'Audit:anchor', '1', '5', H('4'));
  const list = await c.w.evaluate<AuditAnchor[]>(c.auditor, 'Audit:list', H1);
  t.same(list.map((a) => [a.fromSeq, a.toSeq]), [[1, 100], [101, 101], [102, 1000]], 'in sequence order');
  t.same(await c.w.evaluate<AuditAnchor[]>(c.records1, 'Audit:list', H1), list, 'a provider reads its own org');
  t.same((await c.w.evaluate<AuditAnchor[]>(c.auditor, 'Audit:list', H2)).map((a) => a.toSeq), [5]);
  t.same(await c.w.evaluate<AuditAnchor[]>(c.auditor, 'Audit:list', 'Hospital9MSP'), []);

  await refused(t, c.w, c.records1, 'Audit:anchor', ['1001', '1000', H('5')], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.records1, 'Audit:anchor', ['900', '2000', H('5')], 'CONFLICT');
  await refused(t, c.w, c.records1, 'Audit:anchor', ['1002', '2000', H('5')], 'CONFLICT');
  for (const [name, args] of [
    ['negative', ['-1', '5', H('5')]],
    ['not a number', ['one', '5', H('5')]],
    ['leading zero', ['01', '5', H('5')]],
    ['fraction', ['1.5', '5', H('5')]],
    ['oversized', ['1', '9'.repeat(20), H('5')]],
    ['bad hash', ['1001', '1002', 'deadbeef']],
    ['missing', ['', '5', H('5')]],
  ] as const) {
    t.comment(name);
    await refused(t, c.w, c.records1, 'Audit:anchor', [...args], 'INVALID_ARGUMENT');
  }
  await refused(t, c.w, c.provider2, 'Audit:list', [H1], 'FORBIDDEN');
  await refused(t, c.w, c.auditor, 'Audit:list', ['Hospital 1'], 'INVALID_ARGUMENT');
  await refused(t, c.w, c.auditor, 'Audit:list', [''], 'INVALID_ARGUMENT');
});
