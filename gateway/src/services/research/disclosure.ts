import { AGE_BANDS, RESEARCH_LIMITS, SEXES, type AgeBand, type Dimension, type LabBounds, type Measure, type Sex } from '@medrec/chaincode/domain';
import type { AnswerCell, CellKey, NoiseReport, ReleasedCell, SuppressedCell } from '@medrec/client/protocol';
import { discreteLaplace, discreteLaplaceTail, discreteLaplaceVariance, type NoiseSource } from './noise.js';

/**
 * Disclosure control, enforced by the gatekeeper (docs/research.md, "Disclosure rules"): one bounded
 * contribution per patient, discrete Laplace noise calibrated to it, the CMS small-cell rule on the
 * true counts with a noisy threshold above it, complementary suppression so a total cannot reveal a
 * suppressed cell, and nothing released but noisy counts and means of released cells. Pure: the
 * noise comes from the NoiseSource handed in.
 */

/** One consenting patient as the query sees them: the cell they fall in and, for a mean, their value. */
export interface PatientRow {
  sex: Sex;
  /** unknown when the birth date is: such a patient is counted only where age does not matter */
  ageBand?: AgeBand;
  /** the patient's own value (e.g. the mean of their results), for a mean */
  value?: number;
}

export interface DisclosureSpec {
  measure: Measure;
  groupBy: readonly Dimension[];
  /** the values each dimension may take (the query's criteria restrict them) */
  sexes?: readonly Sex[];
  ageBands?: readonly AgeBand[];
  epsilon: number;
  /** a mean's clamping bounds and precision */
  bounds?: LabBounds;
  delta?: number;
  minCell?: number;
}

export type { AnswerCell, CellKey, NoiseReport, ReleasedCell, SuppressedCell };

export interface Disclosure {
  cells: AnswerCell[];
  total: AnswerCell | null;
  noise: NoiseReport;
}

/** The exact aggregate of one cell, before noise: what a test compares, never what leaves. */
export interface ExactCell {
  cell: CellKey;
  count: number;
  /** the sum of clamped, centred values in integer units of the answer's precision */
  centredUnits: number;
}

function cellDomain(spec: DisclosureSpec): CellKey[] {
  const values: Record<Dimension, readonly string[]> = { sex: spec.sexes ?? SEXES, ageBand: spec.ageBands ?? AGE_BANDS };
  let cells: CellKey[] = [{}];
  for (const dim of spec.groupBy) cells = cells.flatMap((c) => values[dim].map((v) => ({ ...c, [dim]: v })));
  return cells;
}

const keyOf = (cell: CellKey, groupBy: readonly Dimension[]) => groupBy.map((d) => cell[d]).join('|');

/** Integer units of the answer's precision, so sums and their noise are integers. */
function units(bounds: LabBounds | undefined): { scale: number; mid: number; half: number } {
  if (!bounds) return { scale: 1, mid: 0, half: 0 };
  const scale = 10 ** bounds.digits;
  return { scale, mid: (bounds.lo + bounds.hi) / 2, half: Math.ceil(((bounds.hi - bounds.lo) / 2) * scale) };
}

/** Each cell's true count and sum of clamped, centred values: one bounded contribution per patient. */
export function exactCells(rows: readonly PatientRow[], spec: DisclosureSpec): { cells: ExactCell[]; total: ExactCell } {
  const { scale, mid, half } = units(spec.bounds);
  const cells = new Map(cellDomain(spec).map((cell) => [keyOf(cell, spec.groupBy), { cell, count: 0, centredUnits: 0 }]));
  const total: ExactCell = { cell: {}, count: 0, centredUnits: 0 };
  for (const row of rows) {
    const cell = cells.get(keyOf({ sex: row.sex, ageBand: row.ageBand }, spec.groupBy));
    if (!cell) continue; // outside the criteria: the caller filtered it already
    let contribution = 0;
    if (spec.measure === 'mean') {
      if (row.value === undefined || !Number.isFinite(row.value)) continue;
      const clamped = Math.min(spec.bounds!.hi, Math.max(spec.bounds!.lo, row.value));
      contribution = Math.max(-half, Math.min(half, Math.round((clamped - mid) * scale)));
    }
    cell.count++;
    cell.centredUnits += contribution;
    total.count++;
    total.centredUnits += contribution;
  }
  return { cells: [...cells.values()], total };
}

/** The noise plan of an answer: scales from the epsilon, the contributions per patient and the bounds. */
export function noisePlan(spec: DisclosureSpec, cellCount: number): NoiseReport {
  const delta = spec.delta ?? RESEARCH_LIMITS.delta;
  const minCell = spec.minCell ?? RESEARCH_LIMITS.minCell;
  const contributions = spec.groupBy.length > 0 && cellCount > 1 ? 2 : 1;
  const mean = spec.measure === 'mean';
  const countEpsilon = mean ? spec.epsilon / 2 : spec.epsilon;
  const sumEpsilon = mean ? spec.epsilon / 2 : null;
  const countScale = contributions / countEpsilon;
  const { scale, half } = units(spec.bounds);
  const sumScale = sumEpsilon === null ? null : (contributions * half) / scale / sumEpsilon;
  // The smallest margin k above minCell with P(noise ≥ k) ≤ delta / contributions: a cell whose true
  // count just reached minCell is released with at most that chance, whatever else is in the data.
  let k = 0;
  while (contributions * discreteLaplaceTail(countScale, k + 1) > delta) k++;
  return {
    mechanism: 'discrete-laplace',
    epsilon: spec.epsilon,
    countEpsilon,
    sumEpsilon,
    delta,
    contributions,
    countScale,
    sumScale,
    minCell,
    threshold: minCell + k + 1,
  };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

export function disclose(rows: readonly PatientRow[], spec: DisclosureSpec, noise: NoiseSource): Disclosure {
  const exact = exactCells(rows, spec);
  const plan = noisePlan(spec, exact.cells.length);
  const { scale, mid } = units(spec.bounds);
  const digits = spec.bounds?.digits ?? 0;
  const countVariance = discreteLaplaceVariance(plan.countScale);
  const sumUnitsScale = plan.sumScale === null ? null : plan.sumScale * scale;

  const noisy = (e: ExactCell) => {
    const count = e.count + discreteLaplace(noise, plan.countScale);
    const centred = sumUnitsScale === null ? 0 : e.centredUnits + discreteLaplace(noise, sumUnitsScale);
    const passes = e.count >= plan.minCell && count >= plan.threshold;
    return { exact: e, count, centred, passes };
  };
  const release = (n: ReturnType<typeof noisy>): ReleasedCell => {
    const out: ReleasedCell = { cell: n.exact.cell, suppressed: false, count: n.count, countVariance };
    if (sumUnitsScale !== null) {
      // sum = mid·count + centred: its noise is the centred sum's plus mid times the count's, so it
      // co-varies with the count; the mean's variance (delta method) takes that into account.
      const centredVariance = discreteLaplaceVariance(sumUnitsScale) / scale ** 2;
      const sum = mid * n.count + n.centred / scale;
      const mean = sum / n.count;
      out.sum = round(sum, digits);
      out.mean = round(mean, digits);
      out.sumVariance = centredVariance + mid ** 2 * countVariance;
      out.sumCountCovariance = mid * countVariance;
      out.meanVariance = (centredVariance + (mean - mid) ** 2 * countVariance) / n.count ** 2;
    }
    return out;
  };

  const cells = exact.cells.map(noisy);
  const hasTotal = plan.contributions === 2;
  const total = hasTotal ? noisy(exact.total) : null;
  // Complementary suppression, decided on noisy counts only (post-processing): the total minus the
  // released cells is the suppressed cells' sum, so the total is released only when that sum covers
  // at least two cells and itself passes the threshold; otherwise the total is suppressed (never a
  // cell that passed: the cells are what a researcher combines across hospitals).
  const small = cells.filter((c) => !c.passes);
  const hidden = small.reduce((sum, c) => sum + c.count, 0);
  const hideTotal = small.length > 0 && (small.length < 2 || hidden < plan.threshold);
  const shown = (c: ReturnType<typeof noisy>, complementary = false): AnswerCell =>
    !c.passes ? { cell: c.exact.cell, suppressed: true, reason: 'small' } : complementary ? { cell: c.exact.cell, suppressed: true, reason: 'complementary' } : release(c);
  return { cells: cells.map((c) => shown(c)), total: total ? shown(total, hideTotal) : null, noise: plan };
}
