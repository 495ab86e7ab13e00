/**
 * The CPU dropout mask (native/model/dropout.h: SplitMix64 of the element index, 16 bits per element)
 * checked against what dropout means, statistically: each element is 0 with probability p and else
 * exactly 1/(1-p); the drop rate matches p within 5 binomial standard deviations; elements are
 * independent (pairs of neighbours, which share one hash, and elements 4 apart, which do not, are
 * both dropped with probability p², and whether one is dropped tells nothing of the next); the mask
 * is the same on 1 and 2 threads and changes with the seed.
 */
import { describe, expect, it } from 'vitest';
import { addon } from '../../lib/native/loader.js';

const N = 1 << 20;
const mask = (p: number, seed: number, threads = 2, numel = N) => addon().parityDropout({ numel, p, seed, threads });

describe.each([0.1, 0.2, 0.5])('dropout mask, p = %s', (p) => {
  it('drops each element with probability p and scales the rest by exactly 1/(1-p)', async () => {
    const m = await mask(p, 1);
    const kept = Math.fround(1 / (1 - p));
    let dropped = 0;
    let other = 0; // neither 0 nor exactly 1/(1-p)
    for (const x of m) {
      if (x === 0) dropped++;
      else if (x !== kept) other++;
    }
    expect(other).toBe(0);
    const sd = Math.sqrt((p * (1 - p)) / N);
    expect(Math.abs(dropped / N - p)).toBeLessThan(5 * sd);
  });

  it('draws elements independently: neighbours (same hash) and elements 4 apart (different hashes)', async () => {
    const m = await mask(p, 2);
    for (const gap of [1, 2, 3, 4, 5]) {
      let both = 0;
      for (let i = 0; i + gap < N; i++) if (m[i] === 0 && m[i + gap] === 0) both++;
      const pairs = N - gap;
      const sd = Math.sqrt((p * p * (1 - p * p)) / pairs);
      expect(Math.abs(both / pairs - p * p), `gap ${gap}`).toBeLessThan(6 * sd);
    }
  });
});

describe('dropout mask determinism', () => {
  it('is the same on 1 and 2 threads, for any length, and differs for another seed', async () => {
    for (const numel of [N, 4 * 4096 + 3, 5]) {
      const [one, two] = [await mask(0.3, 7, 1, numel), await mask(0.3, 7, 2, numel)];
      expect(Buffer.from(one.buffer).equals(Buffer.from(two.buffer)), `numel ${numel}`).toBe(true);
    }
    const [a, b] = [await mask(0.3, 7), await mask(0.3, 8)];
    let same = 0;
    for (let i = 0; i < N; i++) if (a[i] === b[i]) same++;
    expect(same / N).toBeLessThan(0.7); // independent masks agree on p² + (1-p)² = 58% of elements
  });
});
