import { createHash } from 'node:crypto';
import type { NoiseSource } from '../../src/services/research/noise.js';

/**
 * A reproducible noise source for tests that compare two answers computed with the same noise (the
 * product draws from the CSPRNG): SHA-256 in counter mode over a seed, 53 bits per draw.
 */
export function seededNoise(seed: string): NoiseSource {
  let counter = 0;
  let block = Buffer.alloc(0);
  let at = 0;
  return {
    uniform() {
      if (at + 8 > block.length) {
        block = createHash('sha256').update(`${seed}:${counter++}`).digest();
        at = 0;
      }
      const high = block.readUInt32BE(at) >>> 11;
      const low = block.readUInt32BE(at + 4);
      at += 8;
      return (high * 2 ** 32 + low + 1) / 2 ** 53;
    },
  };
}
