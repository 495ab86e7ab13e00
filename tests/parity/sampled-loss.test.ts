/**
 * The sampled objectives (native/train/sampled_loss.h: bce, gbce, sampled-softmax with logQ correction),
 * computed with LibTorch ops and autograd, against the same formulas written out in double loops over the
 * same drawn negatives (native/check/parity.cpp), and the autograd gradient against central differences
 * of the loops' loss. float64 throughout: loss within 1e-10, gradients within 1e-6.
 */
import { describe, expect, it } from 'vitest';
import { addon } from '../../lib/native/loader.js';
import type { AddonParitySampledLossRequest } from '../../lib/native/raw.js';
import { expectClose } from '../helpers/compare.js';

const base: AddonParitySampledLossRequest = { batch: 3, length: 6, dim: 8, items: 40, seed: 1, loss: 'bce', negatives: 1, gbceT: 0, probes: 16 };

describe('sampled losses vs the formula in loops', () => {
  const cases: Partial<AddonParitySampledLossRequest>[] = [
    { loss: 'bce', negatives: 1 },
    { loss: 'bce', negatives: 8 },
    { loss: 'gbce', negatives: 8, gbceT: 0.75 },
    { loss: 'gbce', negatives: 30, gbceT: 1 },
    { loss: 'sampled-softmax', negatives: 16 },
    { loss: 'sampled-softmax', negatives: 64, seed: 2 }, // many accidental hits at V = 40
  ];
  for (const c of cases) {
    it(`${c.loss}, ${c.negatives} negatives${c.gbceT ? `, t ${c.gbceT}` : ''}`, async () => {
      const r = await addon().paritySampledLoss({ ...base, ...c });
      expectClose('loss', [r.loss], [r.referenceLoss], { atol: 1e-10 });
      expectClose('gradient', r.probeAnalytic, r.probeNumeric, { atol: 1e-6, rtol: 1e-6 });
      expect(r.probeAnalytic.some((g) => Math.abs(g) > 1e-4)).toBe(true); // probes that see a gradient
    });
  }

  it('gbce with t = 0 is bce with the same negatives', async () => {
    const bce = await addon().paritySampledLoss({ ...base, loss: 'bce', negatives: 8 });
    const gbce = await addon().paritySampledLoss({ ...base, loss: 'gbce', negatives: 8, gbceT: 0 });
    expect(gbce.loss).toBeCloseTo(bce.loss, 12);
  });

  it('refuses an unknown loss', async () => {
    await expect(addon().paritySampledLoss({ ...base, loss: 'hinge' })).rejects.toThrow(/loss must be/);
  });
});
