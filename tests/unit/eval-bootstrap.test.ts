/** Percentile bootstrap: determinism for a seed, coverage of the mean, narrowing with n, edge cases. */
import { describe, it, expect } from 'vitest';
import { bootstrapCI } from '../../lib/eval/bootstrap.js';

/** n hits/misses with a fixed 30% hit share, spread evenly. */
const hits = (n: number) => Float64Array.from({ length: n }, (_, i) => ((i * 3) % 10 < 3 ? 1 : 0));

describe('bootstrapCI', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const v = hits(200);
    expect(bootstrapCI(v, { seed: 7 })).toEqual(bootstrapCI(v, { seed: 7 }));
    expect(bootstrapCI(v, { seed: 7 })).not.toEqual(bootstrapCI(v, { seed: 8 }));
  });

  it('contains the mean and is about ±1.96 standard errors wide', () => {
    const v = hits(1000);
    const ci = bootstrapCI(v);
    expect(ci.mean).toBeCloseTo(0.3, 12);
    expect(ci.lower).toBeLessThan(0.3);
    expect(ci.upper).toBeGreaterThan(0.3);
    // se = sqrt(0.3·0.7/1000) ≈ 0.01449 → half-width ≈ 0.0284 (within sampling noise of B = 1000)
    expect((ci.upper - ci.lower) / 2).toBeGreaterThan(0.024);
    expect((ci.upper - ci.lower) / 2).toBeLessThan(0.033);
    expect(ci).toMatchObject({ confidence: 0.95, resamples: 1000 });
  });

  it('narrows with more users and with lower confidence', () => {
    const width = (n: number, confidence = 0.95) => {
      const ci = bootstrapCI(hits(n), { confidence, seed: 3 });
      return ci.upper - ci.lower;
    };
    expect(width(10_000)).toBeLessThan(width(100) / 5); // ∝ 1/√n: 10× narrower expected
    expect(width(1000, 0.5)).toBeLessThan(width(1000, 0.95));
  });

  it('collapses on one value or constant values, and rejects bad input', () => {
    expect(bootstrapCI([0.7])).toMatchObject({ mean: 0.7, lower: 0.7, upper: 0.7 });
    expect(bootstrapCI([2, 2, 2], { resamples: 10 })).toMatchObject({ lower: 2, upper: 2 });
    const opt = expect.objectContaining({ code: 'E_INVALID_OPTION' });
    expect(() => bootstrapCI([1], { confidence: 1 })).toThrowError(opt);
    expect(() => bootstrapCI([1], { resamples: 0 })).toThrowError(opt);
    expect(() => bootstrapCI([1], { sed: 1 } as never)).toThrowError(/did you mean options.seed/);
    expect(() => bootstrapCI([])).toThrowError(expect.objectContaining({ code: 'E_INVALID_DATA' }));
    expect(() => bootstrapCI([1, Infinity])).toThrowError(expect.objectContaining({ code: 'E_INVALID_DATA' }));
  });
});
