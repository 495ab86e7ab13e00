/**
 * The synthetic generator: determinism per seed, bounds, skewed popularity, option validation, and the
 * planted sequential structure (a previous-item bigram rule must beat most-popular by a wide margin).
 */
import { describe, it, expect } from 'vitest';
import { syntheticDataset } from '../../lib/data/synthetic.js';
import type { Dataset } from '../../lib/data/dataset.js';
import { hitRate } from '../../lib/eval/metrics.js';
import { popularityRanks } from '../../lib/eval/popularity.js';

const small = { users: 300, items: 200 };

describe('syntheticDataset', () => {
  it('is deterministic for a seed and differs for another seed', () => {
    const a = syntheticDataset({ ...small, seed: 1 });
    const b = syntheticDataset({ ...small, seed: 1 });
    const c = syntheticDataset({ ...small, seed: 2 });
    expect(b.offsets).toEqual(a.offsets);
    expect(b.items).toEqual(a.items);
    expect(c.items).not.toEqual(a.items);
  });

  it('uses the defaults and names ids', () => {
    const d = syntheticDataset();
    expect(d.numUsers).toBe(2000);
    expect(d.numItems).toBe(1000);
    expect(d.itemIds?.[1]).toBe('item-1');
    expect(d.itemIds?.length).toBe(1001);
    expect(d.userIds?.[1999]).toBe('user-1999');
  });

  it('keeps lengths within bounds, ids in range and no immediate repeats', () => {
    const d = syntheticDataset({ ...small, minLength: 5, maxLength: 9, seed: 3 });
    const lengths = new Set<number>();
    for (let u = 0; u < d.numUsers; u++) {
      const s = d.sequence(u);
      lengths.add(s.length);
      expect(s.length).toBeGreaterThanOrEqual(5);
      expect(s.length).toBeLessThanOrEqual(9);
      for (let j = 0; j < s.length; j++) {
        expect(s[j]).toBeGreaterThanOrEqual(1);
        expect(s[j]).toBeLessThanOrEqual(200);
        if (j > 0) expect(s[j]).not.toBe(s[j - 1]);
      }
    }
    expect(lengths.size).toBe(5); // every length in [5, 9] occurs
    expect(syntheticDataset({ users: 3, items: 2, tastes: 1, minLength: 4, maxLength: 4 }).numInteractions).toBe(12);
  });

  it('has skewed popularity', () => {
    const counts = [...syntheticDataset({ seed: 5 }).itemCounts().subarray(1)].sort((x, y) => y - x);
    const total = counts.reduce((s, x) => s + x, 0);
    const top10pct = counts.slice(0, 100).reduce((s, x) => s + x, 0);
    expect(top10pct / total).toBeGreaterThan(0.3); // uniform would give 0.1
    const flat = [...syntheticDataset({ seed: 5, popularityExponent: 0, markov: 0 }).itemCounts().subarray(1)];
    expect(Math.max(...flat) / (flat.reduce((s, x) => s + x, 0) / flat.length)).toBeLessThan(counts[0]! / (total / counts.length));
  });

  it('plants sequential structure: a bigram rule beats most-popular by far', () => {
    const { bigram, popular } = compare(syntheticDataset({ seed: 11 }));
    expect(bigram).toBeGreaterThan(0.5); // ~0.66 at seed 11
    expect(bigram).toBeGreaterThan(3 * popular); // popular ~0.12
    // Without the Markov component the previous item still reveals the user's taste, but much less.
    const noMarkov = compare(syntheticDataset({ seed: 11, markov: 0 }));
    expect(noMarkov.bigram).toBeLessThan(bigram - 0.15); // ~0.36
  });

  it('validates options', () => {
    const code = (o: unknown) => {
      try {
        syntheticDataset(o as never);
      } catch (e) {
        return [(e as { code: string }).code, (e as Error).message];
      }
      return undefined;
    };
    expect(code({ user: 10 })).toEqual(['E_INVALID_OPTION', expect.stringContaining('did you mean options.users?')]);
    expect(code({ items: 1 })?.[0]).toBe('E_INVALID_OPTION');
    expect(code({ markov: 1.5 })?.[0]).toBe('E_INVALID_OPTION');
    expect(code({ seed: -1 })?.[0]).toBe('E_INVALID_OPTION');
    expect(code({ minLength: 10, maxLength: 5 })?.[0]).toBe('E_INVALID_OPTION');
    expect(code({ items: 10, tastes: 11 })?.[0]).toBe('E_INVALID_OPTION');
    expect(code({ popularityExponent: Number.NaN })?.[0]).toBe('E_INVALID_OPTION');
    expect(code('big')?.[0]).toBe('E_INVALID_OPTION');
    expect(code({ items: 10 })).toBeUndefined(); // tastes defaults to min(16, items)
  });

  it('builds the default size quickly', () => {
    const t0 = performance.now();
    syntheticDataset({ seed: 9 });
    expect(performance.now() - t0).toBeLessThan(250); // well under 100 ms normally; slack for busy CI
  });
});

/** HR@10 on the test targets: top-10 train successors of the last history item vs the most-popular baseline. */
function compare(d: Dataset): { bigram: number; popular: number } {
  const { train, test } = d.split('leave-one-out');
  const bigrams = new Map<number, Map<number, number>>();
  for (let u = 0; u < train.numUsers; u++) {
    const s = train.sequence(u);
    for (let j = 1; j < s.length; j++) {
      const m = bigrams.get(s[j - 1]!) ?? new Map<number, number>();
      m.set(s[j]!, (m.get(s[j]!) ?? 0) + 1);
      bigrams.set(s[j - 1]!, m);
    }
  }
  let hits = 0;
  for (let e = 0; e < test.targets.length; e++) {
    const prev = test.items[test.offsets[e + 1]! - 1]!;
    const top = [...(bigrams.get(prev) ?? new Map<number, number>())].sort((a, b) => b[1] - a[1]).slice(0, 10);
    if (top.some(([item]) => item === test.targets[e])) hits++;
  }
  return { bigram: hits / test.targets.length, popular: hitRate(popularityRanks(train.itemCounts(), test), 10) };
}
