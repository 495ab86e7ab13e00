/**
 * Accuracy metrics over 1-based ranks (one target per user): recall, precision, MAP, MRR@K and the per-user
 * values behind them, each on a hand-computed case; hr/ndcg/mrr basics are in metrics.test.ts.
 */
import { describe, it, expect } from 'vitest';
import { hitRate, meanAveragePrecision, mrr, ndcg, perUser, precision, recall } from '../../lib/eval/metrics.js';
import { i32 } from '../helpers/arrays.js';

const ranks = i32([1, 2, 5, 11]);

describe('precision / MAP / recall / MRR@K', () => {
  it('precision@K is hit/K averaged over users', () => {
    // @5: hits at ranks 1, 2, 5 → (1/5 + 1/5 + 1/5 + 0) / 4 = 0.15
    expect(precision(ranks, 5)).toBeCloseTo(0.15, 12);
    // @1: only rank 1 → (1/1) / 4 = 0.25
    expect(precision(ranks, 1)).toBe(0.25);
    // K larger than any rank (and than a tiny catalogue): one hit in 20 slots → 1/20
    expect(precision(i32([1]), 20)).toBe(0.05);
  });

  it('MAP@K is 1/rank inside the cut-off, equal to MRR@K with one target', () => {
    // @5: (1 + 1/2 + 1/5 + 0) / 4 = 1.7 / 4 = 0.425
    expect(meanAveragePrecision(ranks, 5)).toBeCloseTo(0.425, 12);
    expect(mrr(ranks, 5)).toBeCloseTo(0.425, 12);
    // no cut-off: (1 + 1/2 + 1/5 + 1/11) / 4
    expect(mrr(ranks)).toBeCloseTo((1 + 0.5 + 0.2 + 1 / 11) / 4, 12);
    // @11 includes the last user again
    expect(meanAveragePrecision(ranks, 11)).toBeCloseTo(mrr(ranks), 12);
  });

  it('recall@K equals hitRate with one relevant item', () => {
    expect(recall(ranks, 5)).toBe(0.75); // 3 of 4 users
    expect(recall(ranks, 5)).toBe(hitRate(ranks, 5));
  });
});

describe('perUser', () => {
  it('returns one value per user whose mean is the metric', () => {
    // ndcg@5: [1, 1/log2(3), 1/log2(6), 0]
    const v = perUser(ranks, 'ndcg', 5);
    expect(v).toBeInstanceOf(Float64Array);
    expect([...v]).toEqual([1, 1 / Math.log2(3), 1 / Math.log2(6), 0]);
    expect(v.reduce((a, b) => a + b) / 4).toBeCloseTo(ndcg(ranks, 5), 12);
    expect([...perUser(ranks, 'hr', 2)]).toEqual([1, 1, 0, 0]);
    expect([...perUser(ranks, 'precision', 2)]).toEqual([0.5, 0.5, 0, 0]);
    expect([...perUser(ranks, 'map', 2)]).toEqual([1, 0.5, 0, 0]);
    expect([...perUser(ranks, 'mrr')]).toEqual([1, 0.5, 0.2, 1 / 11]);
  });

  it('needs k except for mrr, and rejects unknown metrics and bad ranks', () => {
    const opt = expect.objectContaining({ code: 'E_INVALID_OPTION' });
    expect(() => perUser(ranks, 'ndcg')).toThrowError(opt);
    expect(() => perUser(ranks, 'foo' as never, 5)).toThrowError(opt);
    expect(() => precision(ranks, 0)).toThrowError(opt);
    expect(() => meanAveragePrecision(i32([]), 5)).toThrowError(/no users to evaluate/);
    expect(() => perUser(i32([3, 0]), 'hr', 5)).toThrowError(expect.objectContaining({ code: 'E_INVALID_DATA', details: { field: 'ranks', index: 1 } }));
  });
});
