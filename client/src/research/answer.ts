/**
 * A hospital gatekeeper's research answer as it travels, the hash the ledger's release record holds,
 * and how a researcher combines several hospitals' answers (docs/research.md). The gateway builds
 * answers of this shape and hashes them with this code; the researcher's device checks and combines
 * them with the same code.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '../bytes.js';
import { canonicalJson } from '../canonical.js';

export type CellKey = { sex?: string; ageBand?: string };

export interface ReleasedCell {
  cell: CellKey;
  suppressed: false;
  /** noisy number of patients */
  count: number;
  /** a mean's noisy sum of the patients' clamped values, and the mean it gives */
  sum?: number;
  mean?: number;
  /** noise variances: a count's, a sum's, their covariance (the sum includes the count), a mean's (delta method) */
  countVariance: number;
  sumVariance?: number;
  sumCountCovariance?: number;
  meanVariance?: number;
}

export interface SuppressedCell {
  cell: CellKey;
  suppressed: true;
  /** `small`: below the threshold; `complementary`: hidden so a total cannot reveal a small cell */
  reason: 'small' | 'complementary';
}

export type AnswerCell = ReleasedCell | SuppressedCell;

export interface NoiseReport {
  mechanism: 'discrete-laplace';
  epsilon: number;
  countEpsilon: number;
  sumEpsilon: number | null;
  delta: number;
  /** how many released figures one patient can change (a cell and the total) */
  contributions: number;
  countScale: number;
  sumScale: number | null;
  minCell: number;
  threshold: number;
}

export interface ResearchAnswer {
  queryId: string;
  kind: 'study' | 'bounty';
  /** the hospital that answered */
  mspId: string;
  template: string;
  code: string | null;
  unit: string | null;
  measure: 'count' | 'mean';
  groupBy: string[];
  cells: AnswerCell[];
  /** over every cell, when the answer is grouped */
  total: AnswerCell | null;
  noise: NoiseReport;
  computedAt: string;
}

/** What the gatekeeper sends: the answer, its hash, and the ledger transaction that recorded its release. */
export interface ReleasedAnswer {
  answer: ResearchAnswer;
  answerHash: string;
  release: { txId: string; blockNumber: string };
}

/** SHA-256 (hex) of the answer's canonical JSON: the value in the ledger's release record. */
export function answerHash(answer: ResearchAnswer): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(answer))));
}

export function isReleasedAnswer(body: unknown): body is ReleasedAnswer {
  const b = body as Partial<ReleasedAnswer> | undefined;
  return (
    typeof b?.answerHash === 'string' &&
    typeof b.release?.txId === 'string' &&
    typeof b.answer?.queryId === 'string' &&
    Array.isArray(b.answer.cells)
  );
}

export interface CombinedCell {
  cell: CellKey;
  /** hospitals whose figures are in it */
  hospitals: string[];
  /** hospitals that suppressed this cell: the combined figure leaves their patients out */
  suppressedAt: string[];
  count: number | null;
  countVariance: number | null;
  sum: number | null;
  mean: number | null;
  sumVariance: number | null;
  sumCountCovariance: number | null;
  meanVariance: number | null;
}

export interface CombinedAnswer {
  queryId: string;
  measure: 'count' | 'mean';
  hospitals: string[];
  cells: CombinedCell[];
  total: CombinedCell | null;
}

const cellId = (c: CellKey) => `${c.sex ?? ''}|${c.ageBand ?? ''}`;

function combineCells(cell: CellKey, parts: { mspId: string; cell: AnswerCell }[]): CombinedCell {
  const shown = parts.filter((p): p is { mspId: string; cell: ReleasedCell } => !p.cell.suppressed);
  const sumOf = (f: (c: ReleasedCell) => number | undefined) => (shown.length === 0 ? null : shown.reduce((s, p) => s + (f(p.cell) ?? 0), 0));
  const count = sumOf((c) => c.count);
  const sum = shown.some((p) => p.cell.sum !== undefined) ? sumOf((c) => c.sum) : null;
  const countVariance = sumOf((c) => c.countVariance);
  const sumVariance = sum === null ? null : sumOf((c) => c.sumVariance);
  const covariance = sum === null ? null : sumOf((c) => c.sumCountCovariance);
  const mean = sum !== null && count !== null && count > 0 ? sum / count : null;
  // the delta method over independent hospitals: Var(S/N) ≈ (Var S − 2·mean·Cov(S, N) + mean²·Var N) / N²
  const meanVariance = mean === null ? null : (sumVariance! - 2 * mean * covariance! + mean ** 2 * countVariance!) / count! ** 2;
  return {
    cell,
    hospitals: shown.map((p) => p.mspId),
    suppressedAt: parts.filter((p) => p.cell.suppressed).map((p) => p.mspId),
    count,
    countVariance,
    sum,
    mean,
    sumVariance,
    sumCountCovariance: covariance,
    meanVariance,
  };
}

/**
 * One study's answers from several hospitals as one table: counts and sums added cell by cell, means
 * weighted by the (noisy) counts, noise variances added (the hospitals' noise is independent). A cell
 * suppressed somewhere is combined from the others and says where it is missing.
 */
export function combineAnswers(answers: readonly ResearchAnswer[]): CombinedAnswer {
  if (answers.length === 0) throw new Error('no answers to combine');
  const first = answers[0]!;
  if (answers.some((a) => a.queryId !== first.queryId)) throw new Error('answers to different queries cannot be combined');
  const cells = new Map<string, { cell: CellKey; parts: { mspId: string; cell: AnswerCell }[] }>();
  for (const a of answers) {
    for (const c of a.cells) {
      const entry = cells.get(cellId(c.cell)) ?? { cell: c.cell, parts: [] };
      entry.parts.push({ mspId: a.mspId, cell: c });
      cells.set(cellId(c.cell), entry);
    }
  }
  const totals = answers.flatMap((a) => (a.total ? [{ mspId: a.mspId, cell: a.total }] : []));
  return {
    queryId: first.queryId,
    measure: first.measure,
    hospitals: answers.map((a) => a.mspId),
    cells: [...cells.values()].map((e) => combineCells(e.cell, e.parts)),
    total: totals.length > 0 ? combineCells({}, totals) : null,
  };
}
