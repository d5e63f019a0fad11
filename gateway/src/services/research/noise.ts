import { randomBytes } from 'node:crypto';

/**
 * Randomness for the disclosure mechanism. The product draws from the operating system's CSPRNG;
 * tests may hand in a seeded source to compare answers computed on different data with the same noise.
 */
export interface NoiseSource {
  /** a uniform draw from (0, 1] with 53 random bits */
  uniform(): number;
}

const TWO_53 = 2 ** 53;

/** The CSPRNG, read 8 KiB at a time (one syscall per ~1000 draws). */
export function cryptoNoise(): NoiseSource {
  let pool = Buffer.alloc(0);
  let at = 0;
  return {
    uniform() {
      if (at + 8 > pool.length) {
        pool = randomBytes(8192);
        at = 0;
      }
      const high = pool.readUInt32BE(at) >>> 11; // 21 bits
      const low = pool.readUInt32BE(at + 4); // 32 bits
      at += 8;
      return (high * 2 ** 32 + low + 1) / TWO_53;
    },
  };
}

/**
 * The discrete Laplace (two-sided geometric) distribution: P(k) ∝ exp(-|k| / scale) over the
 * integers (Ghosh, Roughgarden & Sundararajan 2009). Integer-valued, so the low-order bits of a
 * floating-point Laplace sample (Mironov 2012) have nothing to leak; drawn as the difference of two
 * geometric variables by inversion.
 */
export function discreteLaplace(noise: NoiseSource, scale: number): number {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError('scale must be a positive number');
  const logAlpha = -1 / scale;
  const geometric = () => Math.floor(Math.log(noise.uniform()) / logAlpha);
  return geometric() - geometric();
}

/** Its variance, 2α / (1 − α)² with α = exp(−1 / scale) (≈ 2·scale² for large scales). */
export function discreteLaplaceVariance(scale: number): number {
  const alpha = Math.exp(-1 / scale);
  return (2 * alpha) / (1 - alpha) ** 2;
}

/** P(X ≥ k) for k ≥ 1: α^k / (1 + α). What the noisy small-cell threshold is set from. */
export function discreteLaplaceTail(scale: number, k: number): number {
  const alpha = Math.exp(-1 / scale);
  return alpha ** k / (1 + alpha);
}
