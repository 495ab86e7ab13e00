/**
 * The whole encoder with scaled_dot_product_attention (LibTorch 1.13: at::_scaled_dot_product_attention)
 * against the same weights with explicit softmax(QKᵀ/√dh)V attention (native/model/attention.cpp),
 * causal (SASRec) and bidirectional (BERT4Rec), with left-padded rows; and the last-position-only pass
 * inference runs (lastOnly) against the full pass's last position. Tolerance: encoder outputs within
 * 1e-5 absolute. Item-embedding gradients within 1e-5 + 2e-6·max|g| absolute: they reach |g| ≈ 100–350
 * here (embeddings scaled by √d, small init, final LayerNorm), one fp32 ulp of 200 is 1.5e-5, and
 * small entries come from cancelling sums of large terms, so the two paths differ by up to
 * 3e-5 ≈ 3e-7·max|g| (worst of 200 seeds × shapes) even in entries near zero. No NaN or Inf anywhere.
 */
import { describe, it, expect } from 'vitest';
import { addon } from '../../lib/native/loader.js';
import { expectClose } from '../helpers/compare.js';

/** SDPA exists from LibTorch 1.13 (as _scaled_dot_product_attention) on. */
function torchHasSdpa(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major >= 2 || (major === 1 && minor >= 13);
}

function expectFinite(name: string, xs: Float32Array) {
  const bad = xs.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new Error(`${name}: non-finite value ${xs[bad]} at index ${bad}`);
}

const shapes = [
  { batch: 3, length: 7, dim: 16, heads: 1 },
  { batch: 4, length: 9, dim: 16, heads: 2 },
  { batch: 6, length: 5, dim: 32, heads: 4 }, // batch > length: row b has b mod L left pads
];

describe.each([true, false])('SDPA (_scaled_dot_product_attention on 1.13) vs explicit attention, causal=%s', (causal) => {
  for (const shape of shapes) {
    it(`B=${shape.batch} L=${shape.length} d=${shape.dim} H=${shape.heads}`, async () => {
      const r = await addon().parityAttention({ ...shape, causal, seed: 3 });
      expect(r.sdpaUsed).toBe(torchHasSdpa(addon().versions().torch));
      expect(r.sdpa.length).toBe(shape.batch * shape.length * shape.dim);
      for (const [name, xs] of Object.entries({ sdpa: r.sdpa, explicit: r.explicitPath, sdpaGrad: r.sdpaGrad, explicitGrad: r.explicitGrad })) {
        expectFinite(name, xs);
      }
      expectClose('encoder output', r.sdpa, r.explicitPath, { atol: 1e-5 });
      const scale = r.explicitGrad.reduce((m, x) => Math.max(m, Math.abs(x)), 0); // max|g|
      expectClose('item-embedding gradient', r.sdpaGrad, r.explicitGrad, { atol: 1e-5 + 2e-6 * scale });
      // inference's last-position-only pass equals the full pass's last position, on both paths
      const last = (hidden: Float32Array) =>
        Float32Array.from(
          { length: shape.batch * shape.dim },
          (_, i) => hidden[(Math.floor(i / shape.dim) * shape.length + shape.length - 1) * shape.dim + (i % shape.dim)]!,
        );
      expectClose('last position, SDPA', r.sdpaLast, last(r.sdpa), { atol: 1e-5 });
      expectClose('last position, explicit', r.explicitLast, last(r.explicitPath), { atol: 1e-5 });
    });
  }
});
