import { loadavg } from 'node:os';

/** Names the step a benchmark is in, so that its failure can say which one failed. */
export type Stage = (name: string) => void;

/**
 * Runs a benchmark so that a failure ends it with a non-zero exit and, as its last line, the JSON line
 * every benchmark ends with, saying what failed: `{"bench":…,"ok":false,"failed":<step>,"error":…}`.
 * Not left to Node: fabric-contract-api, loaded with the chaincode, logs uncaught exceptions and
 * unhandled rejections (winston, exitOnError false) without exiting, so a benchmark whose top-level
 * code threw used to exit 0.
 */
export async function runBench(bench: string, main: (stage: Stage) => Promise<void>): Promise<void> {
  let step = 'start';
  try {
    await main((name) => {
      step = name;
    });
  } catch (err) {
    process.stderr.write(`bench:${bench} failed (${step}): ${(err as Error).stack ?? String(err)}\n`);
    const error = err instanceof Error ? err.message : String(err);
    process.stdout.write(`${JSON.stringify({ bench, ok: false, failed: step, error, load: loadavg().map((l) => Number(l.toFixed(2))) })}\n`);
    // Open ledger connections would keep the process alive: exit now, with the failure's status.
    process.exit(1);
  }
}

/** A benchmark setting that lists sizes: positive integers, comma-separated; anything else is refused. */
export function positiveIntegers(name: string, value: string): number[] {
  const sizes = value.split(',').map((s) => Number(s.trim()));
  if (sizes.length === 0 || !sizes.every((n) => Number.isSafeInteger(n) && n > 0)) {
    throw new Error(`${name} must list positive integers separated by commas, not "${value}"`);
  }
  return sizes;
}
