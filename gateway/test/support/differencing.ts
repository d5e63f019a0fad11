import type { AnswerCell, ReleasedCell } from '@medrec/client/protocol';

/**
 * The differencing attacker of docs/research.md, "What an attacker gets": two queries whose cohorts
 * differ by one patient (A without, B with), answered with independent noise, possibly in either
 * order and repeated while the budget lasts. From each pair it takes the difference of the centred
 * sums (sum − mid·count, both released), averages over the pairs and adds mid back.
 */
export interface Pair {
  without: AnswerCell;
  with: AnswerCell;
}

const released = (c: AnswerCell): ReleasedCell => {
  if (c.suppressed) throw new Error('the attack needs both cells released');
  return c;
};

/** The attacker's estimate of the target's (clamped) value from pairs of released mean cells. */
export function estimateValue(pairs: readonly Pair[], mid: number): number {
  const centred = (c: ReleasedCell) => c.sum! - mid * c.count;
  const diffs = pairs.map((p) => centred(released(p.with)) - centred(released(p.without)));
  return mid + diffs.reduce((a, b) => a + b, 0) / diffs.length;
}

/** The attacker's membership guess from pairs of released count cells: is the target in cohort B? */
export function guessMember(pairs: readonly Pair[]): boolean {
  const diffs = pairs.map((p) => released(p.with).count - released(p.without).count);
  return diffs.reduce((a, b) => a + b, 0) / diffs.length > 0.5;
}

/**
 * The documented bound on a value estimate: the averaged difference of k pairs of discrete-Laplace
 * sums has standard deviation 2·b/√k with b = range / epsilon (one contribution per patient, half the
 * epsilon on sums); within a budget B the attacker affords k = ⌊B / (2·epsilon)⌋ pairs at one hospital.
 */
export function valueErrorStd(range: number, epsilon: number, budget: number): number {
  const k = Math.floor(budget / (2 * epsilon) + 1e-9);
  return (2 * (range / epsilon)) / Math.sqrt(k);
}
