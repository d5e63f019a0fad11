/**
 * Disclosure control as pure functions (src/services/research/disclosure.ts, noise.ts): the small-cell
 * rule, complementary suppression, the noise's distribution, and the differencing attack of
 * docs/research.md run thousands of times against the documented bound.
 */
import t from 'tap';
import { RESEARCH_LABS, RESEARCH_LIMITS, charge, emptyBudget, type Sex } from '@medrec/chaincode/domain';
import { disclose, exactCells, noisePlan, type DisclosureSpec, type PatientRow } from '../../src/services/research/disclosure.js';
import { cryptoNoise, discreteLaplace, discreteLaplaceTail, discreteLaplaceVariance } from '../../src/services/research/noise.js';
import { estimateValue, guessMember, valueErrorStd, type Pair } from '../support/differencing.js';
import { seededNoise } from '../support/noise.js';

const GLUCOSE = RESEARCH_LABS['2345-7'];
const MID = (GLUCOSE.lo + GLUCOSE.hi) / 2;
const RANGE = GLUCOSE.hi - GLUCOSE.lo;
const mean = (epsilon: number): DisclosureSpec => ({ measure: 'mean', groupBy: [], epsilon, bounds: GLUCOSE });
const count = (epsilon: number, groupBy: DisclosureSpec['groupBy'] = [], sexes?: Sex[]): DisclosureSpec => ({
  measure: 'count',
  groupBy,
  epsilon,
  ...(sexes ? { sexes } : {}),
});
const people = (n: number, sex: Sex = 'female', value?: (i: number) => number): PatientRow[] =>
  Array.from({ length: n }, (_, i) => ({ sex, ageBand: '40-64', ...(value ? { value: value(i) } : {}) }));

t.test('the noisy threshold: a cell that just reached the CMS minimum passes with probability at most delta', async (t) => {
  for (const spec of [count(0.1), count(0.5), count(1), count(1, ['sex']), mean(0.1), mean(1)]) {
    const plan = noisePlan(spec, spec.groupBy.length > 0 ? 4 : 1);
    const k = plan.threshold - plan.minCell;
    t.ok(plan.contributions * discreteLaplaceTail(plan.countScale, k) <= RESEARCH_LIMITS.delta, `${spec.measure} ε=${spec.epsilon}: threshold ${plan.threshold} holds delta`);
    t.ok(plan.contributions * discreteLaplaceTail(plan.countScale, k - 1) > RESEARCH_LIMITS.delta, 'and is the smallest that does');
    t.ok(plan.threshold > 11);
  }
  const plan = noisePlan(mean(1), 1);
  t.same([plan.countEpsilon, plan.sumEpsilon, plan.countScale, plan.sumScale], [0.5, 0.5, 2, RANGE], 'a mean spends half on counts, half on sums');
  t.equal(noisePlan(count(1, ['sex']), 4).contributions, 2, 'a grouped answer has a total: two figures per patient');
  t.equal(noisePlan(count(1, ['sex']), 1).contributions, 1, 'one cell needs no total');
});

t.test('exact aggregates: one clamped, centred contribution per patient, every cell of the domain', async (t) => {
  const rows: PatientRow[] = [{ sex: 'female', ageBand: '40-64', value: 1000 }, { sex: 'male', ageBand: '18-39', value: 10 }, { sex: 'male', value: 100 }];
  const { cells, total } = exactCells(rows, { ...mean(1), groupBy: ['sex'] });
  t.same(cells.map((c) => c.cell.sex), ['female', 'male', 'other', 'unknown'], 'the cells do not depend on the data');
  t.same(cells.map((c) => [c.count, c.centredUnits]), [[1, GLUCOSE.hi - MID], [2, GLUCOSE.lo - MID + (100 - MID)], [0, 0], [0, 0]], 'clamped into [lo, hi], centred on the midpoint');
  t.same([total.count, total.centredUnits], [3, GLUCOSE.hi - MID + GLUCOSE.lo - MID + 100 - MID]);
  const byAge = exactCells(rows, { ...count(1, ['ageBand']) });
  t.equal(byAge.cells.reduce((s, c) => s + c.count, 0), 2, 'a patient of unknown age is in no age cell');
});

t.test('cells 1-10 never appear: 3000 random tables, every released count is at least the threshold and every released cell has ≥ 11 patients', async (t) => {
  const noise = seededNoise('cells');
  let released = 0;
  let shownTotals = 0;
  const violations: string[] = [];
  for (let trial = 0; trial < 3000; trial++) {
    const sizes = [Math.floor(noise.uniform() * 120), Math.floor(noise.uniform() * 60), Math.floor(noise.uniform() * 12)];
    const rows = [...people(sizes[0]!, 'female'), ...people(sizes[1]!, 'male'), ...people(sizes[2]!, 'other')];
    const spec = count(noise.uniform() < 0.5 ? 1 : 0.3, ['sex'], ['female', 'male', 'other']);
    const out = disclose(rows, spec, noise);
    for (const [i, c] of out.cells.entries()) {
      if (c.suppressed) continue;
      released++;
      if (c.count < out.noise.threshold || sizes[i]! < 11) violations.push(`trial ${trial} cell ${i}: shown ${c.count}, true ${sizes[i]}`);
    }
    if (out.total && !out.total.suppressed) {
      shownTotals++;
      const hidden = out.cells.filter((c) => c.suppressed).length;
      if (hidden === 1) violations.push(`trial ${trial}: a total beside exactly one suppressed cell`);
    }
  }
  t.same(violations, [], 'no violations');
  t.ok(released > 1500 && shownTotals > 500, `the rule does release (${released} cells, ${shownTotals} totals)`);
});

t.test('complementary suppression hides the total, never a cell that passed', async (t) => {
  const spec = count(1, ['sex'], ['female', 'male']);
  const one = disclose([...people(300, 'female'), ...people(4, 'male')], spec, seededNoise('c1'));
  t.match(one.cells, [{ suppressed: false }, { suppressed: true, reason: 'small' }]);
  t.match(one.total, { suppressed: true, reason: 'complementary' }, 'total − female would be the small male cell');
  const both = disclose([...people(300, 'female'), ...people(300, 'male')], spec, seededNoise('c2'));
  t.match(both.total, { suppressed: false });
  t.equal((both.total as { count: number }).count > 550, true);
  const three = count(1, ['sex'], ['female', 'male', 'other']);
  const hiddenPair = disclose([...people(300, 'female'), ...people(35, 'male'), ...people(35, 'other')], three, seededNoise('c3'));
  const small = hiddenPair.cells.filter((c) => c.suppressed).length;
  t.equal(small, 2, 'two cells below the threshold (35 < 40)');
  t.match(hiddenPair.total, { suppressed: false }, 'the total reveals only their sum, itself above the threshold');
});

t.test('means: the released sum and mean, and variances that match the noise', async (t) => {
  const rows = people(500, 'female', (i) => 80 + (i % 50));
  const runs = Array.from({ length: 400 }, (_, i) => disclose(rows, mean(1), seededNoise(`m${i}`)).cells[0]!);
  const shown = runs.filter((c) => !c.suppressed) as Extract<(typeof runs)[number], { suppressed: false }>[];
  t.equal(shown.length, 400);
  const truth = rows.reduce((s, r) => s + r.value!, 0) / rows.length;
  const avg = shown.reduce((s, c) => s + c.mean!, 0) / shown.length;
  t.ok(Math.abs(avg - truth) < 1, `unbiased: ${avg.toFixed(2)} vs ${truth.toFixed(2)}`);
  const empirical = shown.reduce((s, c) => s + (c.mean! - truth) ** 2, 0) / shown.length;
  const reported = shown[0]!.meanVariance!;
  t.ok(empirical / reported > 0.8 && empirical / reported < 1.25, `reported mean variance ${reported.toFixed(2)} vs empirical ${empirical.toFixed(2)}`);
});

t.test('the discrete Laplace sampler: variance and tail as documented, integers only', async (t) => {
  const noise = cryptoNoise();
  for (const scale of [0.5, 2, 40]) {
    const draws = Array.from({ length: 100_000 }, () => discreteLaplace(noise, scale));
    t.ok(draws.every(Number.isInteger));
    const variance = draws.reduce((s, x) => s + x * x, 0) / draws.length;
    t.ok(Math.abs(variance / discreteLaplaceVariance(scale) - 1) < 0.05, `scale ${scale}: variance ${variance.toFixed(2)} vs ${discreteLaplaceVariance(scale).toFixed(2)}`);
    const k = Math.ceil(2 * scale);
    const tail = draws.filter((x) => x >= k).length / draws.length;
    t.ok(Math.abs(tail - discreteLaplaceTail(scale, k)) < 0.01, `P(X ≥ ${k}) ${tail.toFixed(4)} vs ${discreteLaplaceTail(scale, k).toFixed(4)}`);
  }
  t.throws(() => discreteLaplace(noise, 0), RangeError);
});

/**
 * The scripted differencing attack, many times: cohort A (300 patients) and cohort B (A and the target),
 * in both orders, repeated while the researcher's budget at this hospital lasts (each answer charged
 * exactly as the chaincode charges it). The attacker's error must follow the documented distribution.
 */
t.test('a differencing attack on one patient\'s value fails within the documented bound', async (t) => {
  const target = 380; // near the top of glucose's bounds: far from what a guess of the midpoint gives
  const cohort = people(300, 'female', (i) => 70 + ((i * 37) % 110));
  for (const epsilon of [0.25, 0.5, 1]) {
    const errors: number[] = [];
    for (let trial = 0; trial < 2000; trial++) {
      const noise = seededNoise(`attack:${epsilon}:${trial}`);
      let budget = emptyBudget('attacker');
      const pairs: Pair[] = [];
      for (let round = 0; ; round++) {
        try {
          budget = charge(charge(budget, epsilon), epsilon);
        } catch {
          break; // the ledger refuses the next release: LIMIT_EXCEEDED
        }
        const a = () => disclose(cohort, mean(epsilon), noise).cells[0]!;
        const b = () => disclose([...cohort, { sex: 'female', ageBand: '40-64', value: target }], mean(epsilon), noise).cells[0]!;
        // several orderings: with first, without first
        if (round % 2 === 0) pairs.push({ with: b(), without: a() });
        else {
          const without = a();
          pairs.push({ without, with: b() });
        }
      }
      errors.push(estimateValue(pairs, MID) - target);
    }
    const std = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
    const documented = valueErrorStd(RANGE, epsilon, RESEARCH_LIMITS.budget);
    t.ok(Math.abs(std / documented - 1) < 0.08, `ε=${epsilon}: error std ${std.toFixed(0)} mg/dL vs documented ${documented.toFixed(0)} (range ${RANGE})`);
    const within = errors.filter((e) => Math.abs(e) <= RANGE / 10).length / errors.length;
    // Gaussian bound of docs/research.md: P(|E| ≤ R/10) ≈ 2Φ(R/(10σ)) − 1 ≤ 0.08 for every ε ≤ 1 at B = 5
    t.ok(within < 0.1, `ε=${epsilon}: the attacker lands within ±${RANGE / 10} mg/dL in ${(within * 100).toFixed(1)} % of attacks`);
  }
});

t.test('a differencing attack on one patient\'s membership stays near a coin flip', async (t) => {
  const cohort = people(80);
  let right = 0;
  const trials = 4000;
  for (let trial = 0; trial < trials; trial++) {
    const noise = seededNoise(`member:${trial}`);
    const member = trial % 2 === 0;
    const pairs: Pair[] = [];
    let budget = emptyBudget('attacker');
    for (;;) {
      try {
        budget = charge(charge(budget, 1), 1);
      } catch {
        break;
      }
      const without = disclose(cohort, count(1), noise).cells[0]!;
      const withTarget = disclose(member ? [...cohort, ...people(1)] : cohort, count(1), noise).cells[0]!;
      pairs.push({ without, with: withTarget });
    }
    if (guessMember(pairs) === member) right++;
  }
  const accuracy = right / trials;
  t.ok(accuracy < 0.7, `membership guessed right ${(accuracy * 100).toFixed(1)} % of the time (documented about 2 in 3, a coin 50 %)`);
  t.ok(accuracy > 0.5, 'and the attack is a real one (better than a coin): the bound is about the noise, not a broken estimator');
});
