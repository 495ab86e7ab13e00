/**
 * Pointwise metrics (lib/eval/pointwise.ts) on hand-computed cases, AUC against counting every
 * (positive, negative) pair, and their place in the metric registry.
 */
import { describe, expect, it } from 'vitest';
import { auc, computeMetrics, logLoss, mae, rmse, seededRandom } from '../../lib/index.js';

describe('pointwise metrics', () => {
  it('rmse and mae by hand, unrated pairs left out', () => {
    const p = [3, 4, 5, 2];
    const y = [4, 4, 3, Number.NaN];
    expect(rmse(p, y)).toBeCloseTo(Math.sqrt((1 + 0 + 4) / 3), 12);
    expect(mae(p, y)).toBeCloseTo((1 + 0 + 2) / 3, 12);
  });

  it('auc is the share of (positive, negative) pairs ordered right, ties counting one half', () => {
    const rand = seededRandom(7);
    for (let trial = 0; trial < 20; trial++) {
      const n = 30 + trial;
      const scores = Array.from({ length: n }, () => Math.floor(rand() * 6)); // many ties
      const labels = Array.from({ length: n }, (_, i) => (i < 2 ? i : rand() < 0.4 ? 1 : 0));
      let pairs = 0;
      let right = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++)
          if (labels[i] === 1 && labels[j] === 0) {
            pairs++;
            right += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
          }
      expect(auc(scores, labels)).toBeCloseTo(right / pairs, 12);
    }
    expect(auc([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
    expect(auc([0.1, 0.2, 0.9], [1, 1, 0])).toBe(0);
  });

  it('logloss by hand; predictions clamped away from 0 and 1', () => {
    expect(logLoss([0.8, 0.3], [1, 0])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 12);
    expect(logLoss([0, 1], [0, 1])).toBeCloseTo(-Math.log(1 - 1e-7), 9);
    expect(Number.isFinite(logLoss([0], [1]))).toBe(true);
  });

  it('refuses what has no answer, naming it', () => {
    expect(() => auc([0.1, 0.2], [1, 1])).toThrow(/both classes/);
    expect(() => logLoss([0.5], [2])).toThrow(/0 or 1/);
    expect(() => logLoss([1.5], [1])).toThrow(/probabilities/);
    expect(() => rmse([1], [Number.NaN])).toThrow(/no labelled pair/);
    expect(() => rmse([1, 2], [1])).toThrow(/2 predictions for 1 labels/);
  });

  it('are registry metrics over predictions and ratings (liked = rating >= likeThreshold)', () => {
    const inputs = { predictions: Float32Array.of(0.9, 0.2, 0.6), ratings: Float32Array.of(5, 2, 3) };
    const m = computeMetrics(['auc', 'logloss', 'rmse'], { ...inputs, likeThreshold: 3 });
    expect(m.auc).toBe(1); // liked: 5 and 3
    expect(m.logloss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.6)) / 3, 6);
    expect(computeMetrics(['auc'], inputs).auc).toBe(1); // default threshold 4: liked 5 only
    expect(() => computeMetrics(['rmse'], { predictions: inputs.predictions })).toThrow(/needs inputs\.ratings/);
  });
});
