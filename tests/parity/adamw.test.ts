/**
 * seqrec's AdamW (native/train/adamw.cpp) against torch::optim::AdamW over 100 steps with a
 * warmup + cosine learning rate, a decay and a no-decay group, with and without gradient clipping,
 * in the single-tensor and the multi-tensor (_foreach_) form. Tolerance: max abs diff <= 1e-6
 * after every step and on the final parameters.
 */
import { describe, it, expect } from 'vitest';
import { addon } from '../../lib/native/loader.js';
import { expectClose, maxAbsDiff } from '../helpers/compare.js';

const SEED = 11;
const TOL = { atol: 1e-6 };

describe('AdamW vs torch::optim::AdamW, 100 steps (atol 1e-6)', () => {
  for (const foreach of [false, true]) {
    for (const clipNorm of [0, 1.0]) {
      it(`foreach=${foreach} clipNorm=${clipNorm}`, async () => {
        const r = await addon().parityAdamW({ steps: 100, seed: SEED, foreach, clipNorm });
        expect(r.maxAbsDiffPerStep.length).toBe(100);
        expectClose('max |ours − torch| per step', r.maxAbsDiffPerStep, new Float64Array(100), TOL);
        expectClose('final parameters', r.ours, r.reference, TOL);

        // The run is not trivially equal: the parameters travelled far from where step 1 left them.
        const first = await addon().parityAdamW({ steps: 1, seed: SEED, foreach, clipNorm });
        expect(maxAbsDiff(r.ours, first.ours).maxAbs).toBeGreaterThan(1e-3);
      });
    }
  }

  it('the single-tensor and multi-tensor forms agree', async () => {
    for (const clipNorm of [0, 1.0]) {
      const single = await addon().parityAdamW({ steps: 100, seed: SEED, foreach: false, clipNorm });
      const multi = await addon().parityAdamW({ steps: 100, seed: SEED, foreach: true, clipNorm });
      expectClose(`ours, foreach vs single-tensor (clipNorm=${clipNorm})`, multi.ours, single.ours, TOL);
    }
  });
});
