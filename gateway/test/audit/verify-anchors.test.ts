import t from 'tap';
import { GENESIS_HASH, recordHash, type AuditEntry, type AuditRecord } from '../../src/services/audit/record.js';
import { verifyAgainstAnchors } from '../../src/services/audit/verify-anchors.js';

const entry = (i: number): AuditEntry => ({
  at: `2026-01-01T00:00:0${i}.000Z`, requester: 'a'.repeat(64), mspId: 'H1', role: 'patient', relationshipId: 'b'.repeat(64),
  category: 'Observation', fields: null, decision: 'ALLOWED_PATIENT', status: 200, hashMatches: true, jti: `j${i}`, exp: 1,
});

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const e = entry(seq);
    const hash = recordHash(seq, prev, e);
    out.push({ ...e, seq, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

t.test('a whole chain and contiguous anchors agree', async (t) => {
  const log = chain(6);
  const anchors = [{ fromSeq: 1, toSeq: 3, headHash: log[2]!.hash }, { fromSeq: 4, toSeq: 5, headHash: log[4]!.hash }];
  const report = verifyAgainstAnchors([...log].reverse(), anchors);
  t.same({ ok: report.ok, records: report.records, head: report.head.seq, anchoredTo: report.anchoredTo }, { ok: true, records: 6, head: 6, anchoredTo: 5 });
});

t.test('each way a log can disagree with the ledger is a finding', async (t) => {
  const log = chain(6);
  const anchors = [{ fromSeq: 1, toSeq: 3, headHash: log[2]!.hash }];
  const edited = log.map((r) => (r.seq === 2 ? { ...r, status: 403 } : r));
  t.same(verifyAgainstAnchors(edited, anchors).findings, [{ kind: 'edited', seq: 2 }]);
  t.same(verifyAgainstAnchors(log.filter((r) => r.seq !== 4), anchors).findings, [{ kind: 'missing', seq: 4, count: 1 }]);
  // a rewritten history that is self-consistent still fails its anchor
  const forged = chain(3).map((r) => ({ ...r }));
  forged[0] = { ...forged[0]!, decision: 'DENIED' };
  let prev = GENESIS_HASH;
  for (const r of forged) {
    r.prevHash = prev;
    r.hash = recordHash(r.seq, prev, r);
    prev = r.hash;
  }
  t.same(verifyAgainstAnchors(forged, anchors).findings, [{ kind: 'anchor-mismatch', toSeq: 3 }]);
  t.same(verifyAgainstAnchors(log, [{ fromSeq: 2, toSeq: 3, headHash: log[2]!.hash }]).findings, [{ kind: 'anchor-gap', fromSeq: 2 }]);
  t.same(verifyAgainstAnchors(log.slice(0, 2), anchors).findings, [{ kind: 'anchor-beyond-log', toSeq: 3 }]);
  const relinked = log.map((r) => (r.seq === 5 ? { ...r, prevHash: 'f'.repeat(64), hash: recordHash(5, 'f'.repeat(64), r) } : r));
  t.match(verifyAgainstAnchors(relinked, []).findings, [{ kind: 'relinked', seq: 5 }]);
});
