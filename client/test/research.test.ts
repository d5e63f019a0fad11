/**
 * A researcher's side of research answers (docs/research.md): the answer hash the ledger's release
 * record holds, and the combination of several hospitals' answers.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import { answerHash, canonicalJson, combineAnswers, isReleasedAnswer, type ResearchAnswer } from '../src/protocol.js';

const noise = {
  mechanism: 'discrete-laplace' as const, epsilon: 1, countEpsilon: 0.5, sumEpsilon: 0.5, delta: 1e-6, contributions: 2,
  countScale: 4, sumScale: 720, minCell: 11, threshold: 67,
};

function answer(mspId: string, female: [number, number] | null, male: [number, number] | null): ResearchAnswer {
  const cell = (sex: string, v: [number, number] | null) =>
    v === null
      ? { cell: { sex }, suppressed: true as const, reason: 'small' as const }
      : { cell: { sex }, suppressed: false as const, count: v[0], sum: v[0] * v[1], mean: v[1], countVariance: 32, sumVariance: 1000, sumCountCovariance: 100, meanVariance: 0.5 };
  return {
    queryId: 'q'.repeat(64), kind: 'study', mspId, template: 'lab-mean', code: '2345-7', unit: 'mg/dL', measure: 'mean', groupBy: ['sex'],
    cells: [cell('female', female), cell('male', male)], total: null, noise, computedAt: '2026-01-01T00:00:00.000Z',
  };
}

t.test('the answer hash is SHA-256 of the canonical JSON, whatever the key order', async (t) => {
  const a = answer('H1', [100, 120], [80, 110]);
  t.equal(answerHash(a), createHash('sha256').update(canonicalJson(a)).digest('hex'));
  const reordered = Object.fromEntries(Object.entries(a).reverse()) as unknown as ResearchAnswer;
  t.equal(answerHash(reordered), answerHash(a));
  t.not(answerHash({ ...a, cells: [a.cells[1]!, a.cells[0]!] }), answerHash(a), 'cell order is part of the answer');
  t.ok(isReleasedAnswer({ answer: a, answerHash: answerHash(a), release: { txId: 'x', blockNumber: '1' } }));
  t.notOk(isReleasedAnswer({ answer: a }));
});

t.test('combining hospitals: counts and sums add, means are weighted, variances add, suppression is reported', async (t) => {
  const combined = combineAnswers([answer('H1', [100, 120], [80, 110]), answer('H2', [300, 100], null)]);
  t.same(combined.hospitals, ['H1', 'H2']);
  const [female, male] = combined.cells;
  t.match(female, { cell: { sex: 'female' }, hospitals: ['H1', 'H2'], suppressedAt: [], count: 400, sum: 12_000 + 30_000, countVariance: 64, sumVariance: 2000, sumCountCovariance: 200 });
  t.equal(female!.mean, 105, 'the count-weighted mean of 120 (100 patients) and 100 (300)');
  // delta method with the covariance: (Var S − 2·m·Cov + m²·Var N) / N²
  t.equal(female!.meanVariance, (2000 - 2 * 105 * 200 + 105 ** 2 * 64) / 400 ** 2);
  t.match(male, { hospitals: ['H1'], suppressedAt: ['H2'], count: 80, mean: 110 });
  const nowhere = combineAnswers([answer('H1', null, null)]);
  t.same(nowhere.cells.map((c) => [c.count, c.mean]), [[null, null], [null, null]]);
  t.throws(() => combineAnswers([]), /no answers/);
  t.throws(() => combineAnswers([answer('H1', null, null), { ...answer('H2', null, null), queryId: 'r'.repeat(64) }]), /different queries/);
});
