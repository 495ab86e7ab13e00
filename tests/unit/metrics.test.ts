/**
 * Metrics on hand-computed ranks, and the popularity baseline's ranks against a brute-force
 * O(numItems)-per-user reference on random small cases (ties, repeated and seen items, seen targets).
 */
import { describe, it, expect } from 'vitest';
import { hitRate, mrr, ndcg } from '../../lib/eval/metrics.js';
import { popularityRanks } from '../../lib/eval/popularity.js';
import type { EvalSet } from '../../lib/data/dataset.js';
import { SeqrecError } from '../../lib/errors.js';
import { i32 } from '../helpers/arrays.js';

describe('hitRate / ndcg / mrr', () => {
  const ranks = i32([1, 2, 5, 11]);

  it('hitRate is the share of ranks <= k', () => {
    expect(hitRate(ranks, 1)).toBe(0.25);
    expect(hitRate(ranks, 5)).toBe(0.75);
    expect(hitRate(ranks, 10)).toBe(0.75);
    expect(hitRate(ranks, 11)).toBe(1);
  });

  it('ndcg gives 1/log2(rank+1) inside the cut-off', () => {
    expect(ndcg(i32([1]), 10)).toBe(1);
    expect(ndcg(i32([3]), 10)).toBeCloseTo(0.5, 12);
    expect(ndcg(ranks, 10)).toBeCloseTo((1 + 1 / Math.log2(3) + 1 / Math.log2(6) + 0) / 4, 12);
    expect(ndcg(ranks, 1)).toBe(0.25);
    expect(ndcg(i32([7, 15]), 15)).toBeCloseTo((1 / 3 + 1 / 4) / 2, 12);
  });

  it('mrr is the mean reciprocal rank without cut-off', () => {
    expect(mrr(ranks)).toBeCloseTo((1 + 0.5 + 0.2 + 1 / 11) / 4, 12);
    expect(mrr(i32([4]))).toBe(0.25);
  });

  it('throws E_INVALID_DATA on empty input and bad ranks, E_INVALID_OPTION on bad k', () => {
    for (const fn of [() => hitRate(i32([]), 10), () => ndcg(i32([]), 10), () => mrr(i32([]))]) {
      expect(fn).toThrowError(SeqrecError);
      expect(fn).toThrowError(/no users to evaluate/);
    }
    expect(() => mrr(i32([1, 0]))).toThrowError(expect.objectContaining({ code: 'E_INVALID_DATA', details: { field: 'ranks', index: 1 } }));
    expect(() => hitRate(ranks, 0)).toThrowError(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
    expect(() => ndcg(ranks, 2.5)).toThrowError(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
  });
});

/** O(numItems) per user: compare the target with every candidate directly. */
function bruteRanks(counts: Int32Array, s: EvalSet): Int32Array {
  const out = new Int32Array(s.targets.length);
  for (let e = 0; e < s.targets.length; e++) {
    const t = s.targets[e]!;
    const seen = new Set(s.items.subarray(s.offsets[e]!, s.offsets[e + 1]!));
    seen.delete(t);
    let rank = 1;
    for (let i = 1; i <= s.numItems; i++) {
      if (i !== t && !seen.has(i) && counts[i]! >= counts[t]!) rank++;
    }
    out[e] = rank;
  }
  return out;
}

function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 4294967296;
  };
}

describe('popularityRanks', () => {
  it('matches a hand-computed case', () => {
    // counts: item1=5, item2=3, item3=3, item4=1, item5=0
    const counts = i32([0, 5, 3, 3, 1, 0]);
    const s: EvalSet = {
      users: i32([0, 1, 2, 3]),
      offsets: i32([0, 0, 1, 3, 5]),
      // user0: no history; user1 saw item1; user2 saw items 2,3 (target 3 stays a candidate); user3 saw 1,1
      items: i32([1, 2, 3, 1, 1]),
      targets: i32([3, 3, 3, 5]),
      numItems: 5,
    };
    // user0: target 3 (count 3): higher {1}, equal {2} → 3
    // user1: item1 excluded → higher {}, equal {2} → 2
    // user2: item2 excluded → higher {1} → 2
    // user3: target 5 (count 0): item1 excluded; higher {2,3,4} → 4
    expect([...popularityRanks(counts, s)]).toEqual([3, 2, 2, 4]);
  });

  it('matches brute force on random cases with ties and seen items', () => {
    const rand = makeRng(7);
    for (let trial = 0; trial < 200; trial++) {
      const numItems = 1 + Math.floor(rand() * 20);
      const maxCount = 1 + Math.floor(rand() * 4); // few distinct counts → many ties
      const counts = new Int32Array(numItems + 1);
      for (let i = 1; i <= numItems; i++) counts[i] = Math.floor(rand() * maxCount);
      const E = Math.floor(rand() * 6);
      const offsets = new Int32Array(E + 1);
      const hist: number[] = [];
      const targets = new Int32Array(E);
      for (let e = 0; e < E; e++) {
        const len = Math.floor(rand() * 8);
        for (let j = 0; j < len; j++) hist.push(1 + Math.floor(rand() * numItems));
        offsets[e + 1] = hist.length;
        targets[e] = 1 + Math.floor(rand() * numItems);
      }
      const s: EvalSet = { users: Int32Array.from({ length: E }, (_, e) => e), offsets, items: i32(hist), targets, numItems };
      expect([...popularityRanks(counts, s)]).toEqual([...bruteRanks(counts, s)]);
    }
  });

  it('rejects mis-sized counts and out-of-range targets', () => {
    const s: EvalSet = { users: i32([0]), offsets: i32([0, 0]), items: i32([]), targets: i32([3]), numItems: 2 };
    expect(() => popularityRanks(i32([0, 1]), s)).toThrowError(expect.objectContaining({ code: 'E_INVALID_DATA' }));
    const badTarget = expect.objectContaining({ code: 'E_INVALID_DATA', details: { field: 'targets', index: 0 } });
    expect(() => popularityRanks(i32([0, 1, 1]), s)).toThrowError(badTarget);
  });
});
