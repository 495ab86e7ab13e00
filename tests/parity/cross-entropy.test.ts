/**
 * The fused chunked cross-entropy (native/train/fused_ce.cpp, hand-written backward) against
 * LibTorch's cross_entropy on full logits with autograd, and against central finite differences.
 * Tolerances: fp32 loss, dH and dW within 1e-5 absolute; float64 fused vs autograd within 1e-10;
 * float64 finite differences within 1e-6 absolute + 1e-6 relative.
 */
import { describe, it, expect } from 'vitest';
import { addon } from '../../lib/native/loader.js';
import type { AddonParityCeRequest, AddonParityCeResult } from '../../lib/native/raw.js';
import { expectClose } from '../helpers/compare.js';

const SMALL_BUDGET = (items: number) => items * 8 * 3; // fusedChunkRows: 3 rows per chunk
const ONE_CHUNK_BUDGET = 1 << 30;

function request(shape: Partial<AddonParityCeRequest>): AddonParityCeRequest {
  return {
    batch: 3,
    length: 10,
    dim: 16,
    items: 60,
    seed: 1,
    budgetBytes: ONE_CHUNK_BUDGET,
    padShare: 0.3,
    float64: false,
    probes: 0,
    groupGapWeight: 0,
    ...shape,
  };
}

/** Rows of dH (one per (b, l) position) that carry a gradient, i.e. the number of targets N. */
function targetRows(grad: Float64Array, dim: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r < grad.length / dim; r++) if (grad.subarray(r * dim, (r + 1) * dim).some((x) => x !== 0)) rows.push(r);
  return rows;
}

function expectFusedMatchesAutograd(r: AddonParityCeResult, atol: number) {
  expectClose('loss', [r.fusedLoss], [r.referenceLoss], { atol });
  expectClose('dL/dhidden', r.fusedGradHidden, r.referenceGradHidden, { atol });
  expectClose('dL/dweight', r.fusedGradWeight, r.referenceGradWeight, { atol });
}

describe('fused cross-entropy vs autograd, fp32 (atol 1e-5)', () => {
  const shapes = [
    { batch: 2, length: 8, dim: 8, items: 20 },
    { batch: 4, length: 12, dim: 16, items: 97 },
    { batch: 3, length: 25, dim: 32, items: 500 },
  ];
  for (const shape of shapes) {
    const name = `B=${shape.batch} L=${shape.length} d=${shape.dim} V=${shape.items}`;

    it(`${name}, many chunks`, async () => {
      const r = await addon().parityCrossEntropy(request({ ...shape, budgetBytes: SMALL_BUDGET(shape.items) }));
      const rows = targetRows(r.referenceGradHidden, shape.dim).length;
      expect(r.chunkRows).toBeLessThan(rows);
      expect(Math.ceil(rows / r.chunkRows)).toBeGreaterThanOrEqual(3);
      expectFusedMatchesAutograd(r, 1e-5);
    });

    it(`${name}, one chunk`, async () => {
      const r = await addon().parityCrossEntropy(request({ ...shape, budgetBytes: ONE_CHUNK_BUDGET }));
      expect(r.chunkRows).toBeGreaterThanOrEqual(targetRows(r.referenceGradHidden, shape.dim).length);
      expectFusedMatchesAutograd(r, 1e-5);
    });
  }

  it('padded positions get exactly zero gradient, on both sides', async () => {
    const r = await addon().parityCrossEntropy(request({ batch: 4, length: 12, budgetBytes: SMALL_BUDGET(60) }));
    const positions = 4 * 12;
    const fused = targetRows(r.fusedGradHidden, 16);
    expect(fused).toEqual(targetRows(r.referenceGradHidden, 16));
    expect(fused.length).toBeGreaterThan(0);
    expect(fused.length).toBeLessThan(positions); // padShare 0.3 left some positions without a target
  });

  it('every target is padding except the forced one at (0, L−1)', async () => {
    const length = 9;
    const dim = 16;
    const r = await addon().parityCrossEntropy(request({ length, dim, padShare: 1, budgetBytes: SMALL_BUDGET(60) }));
    expect(targetRows(r.fusedGradHidden, dim)).toEqual([length - 1]);
    expect(Number.isFinite(r.fusedLoss)).toBe(true);
    expectFusedMatchesAutograd(r, 1e-5);
  });
});

describe('fused cross-entropy in float64', () => {
  const shape = { batch: 3, length: 10, dim: 12, items: 40, float64: true, probes: 24 };

  for (const [label, budgetBytes] of [
    ['many chunks', SMALL_BUDGET(40)],
    ['one chunk', ONE_CHUNK_BUDGET],
  ] as const) {
    it(`${label}: fused matches autograd within 1e-10`, async () => {
      const r = await addon().parityCrossEntropy(request({ ...shape, budgetBytes }));
      expectFusedMatchesAutograd(r, 1e-10);
    });

    it(`${label}: analytic gradient matches central differences at 24 coordinates within 1e-6 abs + 1e-6 rel`, async () => {
      const r = await addon().parityCrossEntropy(request({ ...shape, budgetBytes, seed: 5 }));
      expect(r.probeAnalytic.length).toBe(24);
      expectClose('finite differences', r.probeAnalytic, r.probeNumeric, { atol: 1e-6, rtol: 1e-6 });
    });
  }
});

describe('fairness-aware loss (GroupGapLoss: mean + λ·|L̄₀ − L̄₁|) vs autograd', () => {
  for (const [lambda, budget, float64] of [
    [0.5, ONE_CHUNK_BUDGET, false],
    [0.5, SMALL_BUDGET(97), false],
    [3, SMALL_BUDGET(97), true], // λ above a group's share: negative row weights
  ] as const) {
    it(`λ ${lambda}, ${budget === ONE_CHUNK_BUDGET ? 'one chunk' : 'many chunks'}, ${float64 ? 'float64' : 'fp32'}`, async () => {
      const atol = float64 ? 1e-10 : 1e-5;
      const shape = { batch: 6, length: 12, dim: 16, items: 97, budgetBytes: budget, float64, groupGapWeight: lambda };
      const r = await addon().parityCrossEntropy(request(shape));
      expectFusedMatchesAutograd(r, atol);
      const plain = await addon().parityCrossEntropy(request({ ...shape, groupGapWeight: 0 }));
      expect(Math.abs(r.referenceLoss - plain.referenceLoss)).toBeGreaterThan(1e-3); // the penalty is there
    });
  }
});
