/**
 * Beyond-accuracy list metrics on one hand-computed case (V = 5, three lists of width 3) plus edge cases:
 * empty slots, all-empty lists, k beyond the width, equal and concentrated exposure, zero vectors, empty genres.
 */
import { describe, it, expect } from 'vitest';
import {
  coverage,
  embeddingDiversity,
  exposureCounts,
  exposureEntropy,
  genreDiversity,
  giniExposure,
  novelty,
  popularityLift,
  type TopKLists,
} from '../../lib/eval/beyond-accuracy.js';
import type { EvalSet } from '../../lib/data/dataset.js';
import { i32 } from '../helpers/arrays.js';

// rows: [1,2,3], [1,2,_], [1,4,_] → exposure@3: item1 3, item2 2, item3 1, item4 1, item5 0 (total 7)
const top: TopKLists = { lists: i32([1, 2, 3, 1, 2, 0, 1, 4, 0]), width: 3, numItems: 5 };
const trainCounts = i32([0, 5, 3, 1, 0, 1]); // N = 10
const dataErr = expect.objectContaining({ code: 'E_INVALID_DATA' });

describe('exposure: coverage, Gini, entropy', () => {
  it('counts exposure in the first k columns, skipping empty slots', () => {
    expect([...exposureCounts(top)]).toEqual([0, 3, 2, 1, 1, 0]);
    expect([...exposureCounts(top, 1)]).toEqual([0, 3, 0, 0, 0, 0]);
  });

  it('coverage is the share of catalogue items shown at least once', () => {
    expect(coverage(top)).toBe(0.8); // items 1..4 of 5
    expect(coverage(top, 1)).toBe(0.2); // item 1 only
    expect(coverage({ ...top, lists: new Int32Array(9) })).toBe(0); // all slots empty
  });

  it('Gini counts zero-exposure items and matches the mean-difference formula', () => {
    // sorted x = [0,1,1,2,3], V = 5, weights 2j−V−1 = [−4,−2,0,2,4]: (0 − 2 + 0 + 4 + 12) / (5·7) = 14/35 = 0.4
    // check: Σ_ij |x_i − x_j| = 28, 28 / (2·V²·mean) = 28 / (2·25·1.4) = 0.4
    expect(giniExposure(top)).toBeCloseTo(0.4, 12);
    // one item takes all exposure: x = [0,0,0,0,3] → 4·3 / (5·3) = 0.8 = (V−1)/V
    expect(giniExposure(top, 1)).toBeCloseTo(0.8, 12);
    // every item once: 0
    expect(giniExposure({ lists: i32([1, 2, 3, 4, 5]), width: 5, numItems: 5 })).toBe(0);
    // equal exposure twice over, spread across rows: still 0
    expect(giniExposure({ lists: i32([1, 2, 3, 4, 5, 0, 5, 4, 3, 2, 1, 0]), width: 6, numItems: 5 })).toBe(0);
  });

  it('entropy is in bits over the exposure distribution', () => {
    // p = 3/7, 2/7, 1/7, 1/7: H = log2 7 − (3·log2 3 + 2·log2 2 + 0 + 0)/7 ≈ 1.842371
    expect(exposureEntropy(top)).toBeCloseTo(Math.log2(7) - (3 * Math.log2(3) + 2) / 7, 12);
    expect(exposureEntropy(top, 1)).toBe(0); // one item
    expect(exposureEntropy({ lists: i32([1, 2, 3, 4, 5]), width: 5, numItems: 5 })).toBeCloseTo(Math.log2(5), 12);
  });

  it('throws on all-empty lists, k beyond the width, and bad ids', () => {
    const empty = { ...top, lists: new Int32Array(9) };
    for (const f of [() => giniExposure(empty), () => exposureEntropy(empty), () => novelty(empty, trainCounts)]) {
      expect(f).toThrowError(/no recommended items/);
    }
    expect(() => coverage(top, 4)).toThrowError(expect.objectContaining({ code: 'E_INVALID_OPTION', details: expect.objectContaining({ option: 'k' }) }));
    expect(() => coverage({ ...top, lists: i32([1, 2, 6]) })).toThrowError(expect.objectContaining({ details: { field: 'lists', index: 2 } }));
    expect(() => coverage({ ...top, lists: i32([1, 2, 3, 4]) })).toThrowError(dataErr); // not a multiple of width
  });
});

describe('novelty', () => {
  it('is the mean self-information of add-one-smoothed interaction shares', () => {
    // p_i = (c_i + 1) / (N + V) = (c_i + 1) / 15: item1 6/15, item2 4/15, item3 2/15, item4 1/15
    // (3·log2(15/6) + 2·log2(15/4) + log2(15/2) + log2(15/1)) / 7 ≈ 2.084764
    const expected = (3 * Math.log2(15 / 6) + 2 * Math.log2(15 / 4) + Math.log2(15 / 2) + Math.log2(15)) / 7;
    expect(novelty(top, trainCounts)).toBeCloseTo(expected, 12);
    // an item never seen in train stays finite: item 4 alone → log2(15)
    expect(novelty({ lists: i32([4]), width: 1, numItems: 5 }, trainCounts)).toBeCloseTo(Math.log2(15), 12);
    expect(() => novelty(top, i32([0, 1]))).toThrowError(dataErr);
  });
});

describe('intra-list diversity', () => {
  const genres = [[], ['A', 'B'], ['B'], ['C'], [], ['A']];
  it('genre ILD averages pairwise Jaccard distances per list, then over lists', () => {
    // [1,2,3]: d(1,2) = 1 − 1/2, d(1,3) = 1, d(2,3) = 1 → 5/6;  [1,2]: 1/2;  [1,4]: 1 − 0/2 = 1
    // (5/6 + 1/2 + 1) / 3 = 7/9
    expect(genreDiversity(top, genres)).toBeCloseTo(7 / 9, 12);
    // two items without genres count as identical (distance 0); a single-item list is skipped
    const rows = { lists: i32([4, 4, 5, 0]), width: 2, numItems: 5 };
    expect(genreDiversity(rows, [[], [], [], [], [], []])).toBe(0);
    expect(() => genreDiversity(top, genres, 1)).toThrowError(/intra-list diversity is undefined/);
    expect(() => genreDiversity(top, [[], ['A']])).toThrowError(dataErr);
  });

  it('embedding ILD uses cosine distance, with zero vectors at distance 1', () => {
    // d = 2: e1 (1,0), e2 (0,1), e3 (−1,0), e4 (0,0), e5 (1,1)
    const emb = Float32Array.from([0, 0, 1, 0, 0, 1, -1, 0, 0, 0, 1, 1]);
    // [1,2,3]: 1 − 0, 1 − (−1), 1 − 0 → 4/3;  [1,2]: 1;  [1,4]: zero vector → 1;  (4/3 + 1 + 1)/3 = 10/9
    expect(embeddingDiversity(top, emb)).toBeCloseTo(10 / 9, 6);
    // [1,5]: 1 − 1/√2
    expect(embeddingDiversity({ lists: i32([1, 5]), width: 2, numItems: 5 }, emb)).toBeCloseTo(1 - Math.SQRT1_2, 6);
    expect(() => embeddingDiversity(top, new Float32Array(7))).toThrowError(dataErr);
  });
});

describe('popularityLift', () => {
  // histories: user0 [4,5] → counts 0,1 (mean 0.5); user1 [3] → 1; user2 [2,3] → 3,1 (mean 2)
  const evalSet: EvalSet = { users: i32([0, 1, 2]), offsets: i32([0, 2, 3, 5]), items: i32([4, 5, 3, 2, 3]), targets: i32([5, 5, 5]), numItems: 5 };
  it('divides the mean list popularity by the mean history popularity (per-user means first)', () => {
    // lists: [1,2,3] → (5+3+1)/3 = 3; [1,2] → 4; [1,4] → 2.5 → recommended = 9.5/3; history = 3.5/3; lift = 19/7
    const r = popularityLift(top, trainCounts, evalSet);
    expect(r.recommended).toBeCloseTo(9.5 / 3, 12);
    expect(r.history).toBeCloseTo(3.5 / 3, 12);
    expect(r.lift).toBeCloseTo(19 / 7, 12);
  });

  it('skips users with an empty list or history, and checks the eval set matches', () => {
    // user1's list is emptied; user2's history is empty → only user0: 3 / 0.5 = 6
    const lists = { ...top, lists: i32([1, 2, 3, 0, 0, 0, 1, 4, 0]) };
    const s: EvalSet = { ...evalSet, offsets: i32([0, 2, 3, 3]), items: i32([4, 5, 3]) };
    expect(popularityLift(lists, trainCounts, s).lift).toBeCloseTo(6, 12);
    expect(() => popularityLift({ ...top, lists: i32([1, 2, 3]) }, trainCounts, evalSet)).toThrowError(dataErr);
  });
});
