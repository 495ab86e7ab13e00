/**
 * LoRA maths against independent references.
 *  - LoraLinear (y = x·Wᵀ + b + s·B(A·x)) vs the explicit merged-weight form x·(W + s·B·A)ᵀ + b, both under
 *    LibTorch autograd (native/check/lora_parity.cpp): outputs and dL/dx, dL/dW, dL/db, dL/dA, dL/dB. Tolerance:
 *    float64 1e-12 absolute; float32 2e-6 + 1e-6·max|ref| (the two forms round differently: (xAᵀ)Bᵀ vs x(BA)ᵀ).
 *  - merge: W + s·B·A gives the unmerged output within 1e-5; unmerge restores W bit for bit.
 *  - the scale s = alpha/r, or alpha/√r with rsLoRA, recomputed on the reference side, never shared.
 *  - the base hash (native SHA-256) equals node:crypto's over exportState() with the documented recipe.
 *  - initialisation as PEFT: B = 0 (a new adapter leaves every score unchanged), A ~ U(±1/√in).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addon } from '../../lib/native/loader.js';
import type { AddonModelConfig, AddonTensorEntry } from '../../lib/native/raw.js';
import { expectClose, maxAbsDiff } from '../helpers/compare.js';
import { rawFitRequest } from '../helpers/raw-requests.js';
import { plainList } from '../../lib/models/inference.js';

const maxAbs = (xs: ArrayLike<number>) => Array.from(xs).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

const shapes = [
  { batch: 2, length: 5, inFeatures: 16, outFeatures: 16, r: 4, alpha: 8, rslora: false, dropout: 0 },
  { batch: 3, length: 4, inFeatures: 16, outFeatures: 64, r: 8, alpha: 16, rslora: true, dropout: 0.3 }, // eval ignores dropout
  { batch: 1, length: 7, inFeatures: 64, outFeatures: 16, r: 1, alpha: 3, rslora: false, dropout: 0 },
  { batch: 2, length: 5, inFeatures: 16, outFeatures: 32, r: 4, alpha: 8, rslora: false, dropout: 0, dora: true },
  { batch: 3, length: 4, inFeatures: 32, outFeatures: 16, r: 2, alpha: 4, rslora: true, dropout: 0.2, dora: true },
  { batch: 2, length: 5, inFeatures: 16, outFeatures: 32, r: 4, alpha: 8, rslora: false, dropout: 0, bottleneck: true },
  { batch: 3, length: 4, inFeatures: 64, outFeatures: 16, r: 8, alpha: 4, rslora: false, dropout: 0.2, bottleneck: true },
];

describe.each([true, false])('LoraLinear (LoRA, DoRA, bottleneck) vs their explicit forms under autograd, float64=%s', (float64) => {
  for (const shape of shapes) {
    const kind = shape.dora ? 'DoRA' : shape.bottleneck ? 'bottleneck' : 'LoRA';
    it(`${kind} in=${shape.inFeatures} out=${shape.outFeatures} r=${shape.r} alpha=${shape.alpha} rslora=${shape.rslora}`, async () => {
      const { r: rank, alpha, rslora, dropout, dora = false, bottleneck = false, ...sizes } = shape;
      const r = await addon().parityLora({ ...sizes, lora: { r: rank, alpha, rslora, dropout, dora, bottleneck, prefix: false }, seed: 7, float64 });
      expect(r.y.length).toBe(shape.batch * shape.length * shape.outFeatures);
      expect(r.gradA.length).toBe(shape.r * (bottleneck ? shape.outFeatures : shape.inFeatures));
      expect(r.gradB.length).toBe(shape.outFeatures * shape.r);
      const diffs: Record<string, number> = {};
      for (const [name, ours, ref] of [
        ['output', r.y, r.yRef],
        ['dL/dx', r.gradX, r.gradXRef],
        ['dL/dW', r.gradW, r.gradWRef],
        ['dL/db', r.gradBias, r.gradBiasRef],
        ['dL/dA', r.gradA, r.gradARef],
        ['dL/dB', r.gradB, r.gradBRef],
        ...(dora ? ([['dL/dm (DoRA)', r.gradMagnitude, r.gradMagnitudeRef]] as const) : []),
      ] as const) {
        expect(maxAbs(ref), `${name} is not trivially zero`).toBeGreaterThan(1e-3);
        const atol = float64 ? 1e-12 : 2e-6 + 1e-6 * maxAbs(ref);
        diffs[name] = expectClose(name, ours, ref, { atol }).maxAbs;
      }
      console.log(
        `float64=${float64} ${JSON.stringify(shape)} max |ours − ref|: ${Object.entries(diffs)
          .map(([k, v]) => `${k} ${v.toExponential(2)}`)
          .join(', ')}`,
      );

      if (bottleneck) return; // not linear: nothing to merge
      // merge: one weight W + s·B·A gives the same output; the base path then includes it too
      const merged = expectClose('merged vs unmerged output', r.yMerged, r.y, { atol: 1e-5 }).maxAbs;
      expectClose('base path while merged', r.yMergedBase, r.yMerged, { atol: 0 });
      expect(r.unmergeExact).toBe(true);
      expectClose('adapter path after unmerge', r.yAfterUnmerge, r.y, { atol: 0 });
      console.log(`  merged vs unmerged max |diff| ${merged.toExponential(2)}`);
    });
  }
});

// ---- whole-model checks on a small raw model ----------------------------------------------------

const V = 30;
const config: AddonModelConfig = {
  numItems: V,
  dim: 16,
  layers: 2,
  heads: 2,
  maxLen: 8,
  ffnDim: 32,
  dropout: 0.1,
  attnDropout: 0,
  causal: true,
  useSdpa: true,
  device: 'cpu',
  seed: 4,
  threads: 1,
  textDim: 0,
  startPositions: false,
  pointwise: '',
  attributes: 0,
};

/** The recipe of native/model/base_hash.cpp, from exportState()'s "model.*" tensors, with node:crypto. */
function referenceBaseHash(tensors: AddonTensorEntry[]): string {
  const h = createHash('sha256');
  for (const t of tensors) {
    if (!t.name.startsWith('model.')) continue;
    h.update(t.name.slice('model.'.length)).update('\0').update(t.dtype).update('\0').update(t.shape.join(',')).update('\0').update(t.data);
  }
  return h.digest('hex');
}

describe('adapters on a whole model', () => {
  it('the native base hash equals node:crypto over exportState, and ignores adapters', async () => {
    const m = new (addon().NativeModel)(config);
    try {
      const state = await m.exportState();
      const hash = await m.baseHash();
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).toBe(referenceBaseHash(state.tensors));
      await m.addAdapter({
        name: 'a',
        lora: { r: 2, alpha: 4, dropout: 0, rslora: false, dora: false, bottleneck: false, prefix: false },
        modules: m.linearModules(),
      });
      expect(await m.baseHash()).toBe(hash);
      const other = new (addon().NativeModel)({ ...config, seed: 5 });
      expect(await other.baseHash()).not.toBe(hash);
      other.dispose();
    } finally {
      m.dispose();
    }
  });

  it('a new adapter is PEFT-initialised (B = 0, A within ±1/√in) and changes no score', async () => {
    const m = new (addon().NativeModel)(config);
    try {
      const layers = m.linearModules();
      expect(layers.map((l) => l.name)).toEqual([
        'blocks.0.attention.query',
        'blocks.0.attention.key',
        'blocks.0.attention.value',
        'blocks.0.attention.out',
        'blocks.0.ffnIn',
        'blocks.0.ffnOut',
        'blocks.1.attention.query',
        'blocks.1.attention.key',
        'blocks.1.attention.value',
        'blocks.1.attention.out',
        'blocks.1.ffnIn',
        'blocks.1.ffnOut',
      ]);
      const histories = {
        offsets: Int32Array.of(0, 3, 7),
        items: Int32Array.of(1, 2, 3, 4, 5, 6, 7),
        batchSize: 2,
      };
      const list = (adapter: string) => plainList(V, false, adapter);
      const before = await m.topK({ ...histories, list: list('') });
      const info = await m.addAdapter({
        name: 'init',
        lora: { r: 4, alpha: 8, dropout: 0, rslora: false, dora: false, bottleneck: false, prefix: false },
        modules: layers,
      });
      expect(info.scale).toBe(2);
      expect(info.parameters).toBe(layers.reduce((n, l) => n + 4 * (l.inFeatures + l.outFeatures), 0));
      const state = await m.exportAdapter('init');
      expect(state.tensors).toHaveLength(2 * layers.length);
      for (const t of state.tensors) {
        const values = new Float32Array(t.data.slice().buffer);
        const layer = layers.find((l) => t.name.startsWith(`${l.name}.`))!;
        if (t.name.endsWith('.lora_B')) {
          expect(t.shape).toEqual([layer.outFeatures, 4]);
          expect(maxAbs(values)).toBe(0);
        } else {
          expect(t.shape).toEqual([4, layer.inFeatures]);
          const bound = 1 / Math.sqrt(layer.inFeatures);
          expect(maxAbs(values)).toBeLessThanOrEqual(bound);
          expect(maxAbs(values)).toBeGreaterThan(0.5 * bound); // drawn, not zero
        }
      }
      const after = await m.topK({ ...histories, list: list('init') });
      expect(maxAbsDiff(after.scores, before.scores).maxAbs).toBe(0);
      // deterministic: the same seed gives the same factors
      const twin = new (addon().NativeModel)(config);
      await twin.addAdapter({
        name: 'init',
        lora: { r: 4, alpha: 8, dropout: 0, rslora: false, dora: false, bottleneck: false, prefix: false },
        modules: layers.slice().reverse(),
      });
      const twinState = await twin.exportAdapter('init');
      expect(twinState.tensors.map((t) => Buffer.from(t.data).toString('hex'))).toEqual(state.tensors.map((t) => Buffer.from(t.data).toString('hex')));
      twin.dispose();
    } finally {
      m.dispose();
    }
  });

  it('an adapter fit trains only lora_A/lora_B: optimizer list, counts, bit-identical base', async () => {
    const m = new (addon().NativeModel)(config);
    try {
      const layers = m.linearModules().filter((l) => /attention\.(query|value)$/.test(l.name));
      const info = await m.addAdapter({
        name: 'eu',
        lora: { r: 2, alpha: 4, dropout: 0.1, rslora: false, dora: false, bottleneck: false, prefix: false },
        modules: layers,
      });
      const base = await m.exportState();
      const offsets = Int32Array.from({ length: 21 }, (_, i) => i * 6);
      const items = Int32Array.from({ length: 120 }, (_, i) => 1 + ((i * 7 + Math.floor(i / 6)) % V));
      const request = rawFitRequest(offsets, items, { maxSteps: 6, batchSize: 8, lr: 1e-2, adapter: 'eu' });
      const result = await m.fit(request, () => undefined);
      expect(result.steps).toBe(6);
      const expectedNames = layers.flatMap((l) => [`${l.name}.lora_A.eu.weight`, `${l.name}.lora_B.eu.weight`]);
      expect(result.trainable.map((t) => t.name).sort()).toEqual(expectedNames.sort());
      expect(result.decayParameters + result.noDecayParameters).toBe(info.parameters);
      expect(result.frozenParameters).toBe(m.info().parameters);
      // base bit-identical, and no optimizer state in the base checkpoint
      const after = await m.exportState();
      expect(after.hasOptimizer).toBe(false);
      expect(after.tensors.map((t) => t.name)).toEqual(base.tensors.map((t) => t.name));
      after.tensors.forEach((t, i) => expect(Buffer.compare(Buffer.from(t.data), Buffer.from(base.tensors[i]!.data)), t.name).toBe(0));
      // the factors moved (B away from 0)
      const trained = await m.exportAdapter('eu');
      const b = trained.tensors.find((t) => t.name.endsWith('.lora_B'))!;
      expect(maxAbs(new Float32Array(b.data.slice().buffer))).toBeGreaterThan(0);
      // resuming with another scope is refused
      const resume = m.fit({ ...request, adapter: '', resume: true }, () => undefined);
      await expect(resume).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    } finally {
      m.dispose();
    }
  });
});
