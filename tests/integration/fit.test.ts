/**
 * Training end to end on the embedded synthetic data: the loss falls, the models beat the
 * most-popular baseline, progress arrives through both channels, the AdamW parameter groups and the
 * learning-rate schedule are what the options say, runs are bit-reproducible on CPU, and
 * recommend()/evaluate() agree with each other and with the metric functions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BERT4Rec, SASRec, hitRate, mrr, ndcg, popularityRanks, syntheticDataset, type EvalSet, type FitProgress, type FitSummary } from '../../lib/index.js';

const V = 200;
const data = syntheticDataset({ users: 400, items: V, seed: 1, minLength: 10, maxLength: 30 });
const { train, test } = data.split('leave-one-out');
const popHr10 = hitRate(popularityRanks(train.itemCounts(), test), 10);

// threads: 1 keeps small models fast on a shared 2-core machine (two OpenMP threads competing
// with other processes for 2 cores can be 10× slower); one determinism test uses 2 threads.
const ARCH = { items: V, dim: 32, layers: 2, heads: 2, maxLen: 30, seed: 1, threads: 1 } as const;
const TRAIN = { epochs: 20, batchSize: 64, lr: 3e-3, warmupSteps: 10, progressEvery: 1 } as const;

function history(e: EvalSet, i: number): Int32Array {
  return e.items.subarray(e.offsets[i]!, e.offsets[i + 1]!);
}

function mean(xs: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i]!;
  return s / (to - from);
}

/** Parameter groups derived from the architecture (native/model/transformer.cpp, attention.cpp). */
function expectedGroups(o: { items: number; dim: number; layers: number; maxLen: number; ffnDim?: number }, arch: 'sasrec' | 'bert4rec') {
  const d = o.dim;
  const F = o.ffnDim ?? 4 * d;
  const rows = o.items + (arch === 'sasrec' ? 1 : 2); // padding (+ mask token)
  return {
    // item + position embeddings; per block q, k, v, out, ffnIn, ffnOut weights
    decay: { tensors: 2 + 6 * o.layers, parameters: rows * d + o.maxLen * d + o.layers * (4 * d * d + 2 * d * F) },
    // per block: 4 attention biases + 2 ffn biases + 2 LayerNorms × (weight, bias); final LayerNorm (weight, bias)
    noDecay: { tensors: o.layers * (4 + 2 + 4) + 2, parameters: o.layers * (4 * d + F + d + 2 * 2 * d) + 2 * d },
  };
}

describe('SASRec fit on synthetic data', () => {
  let model: SASRec;
  let summary: FitSummary;
  const progress: FitProgress[] = [];

  beforeAll(async () => {
    model = await SASRec.create(ARCH);
    summary = await model.fit(train, { ...TRAIN, onProgress: (p) => progress.push(p) });
  });

  it('lowers the loss from about ln(V)', () => {
    const { losses } = summary;
    expect(losses).toBeInstanceOf(Float32Array);
    expect(losses.length).toBe(summary.steps);
    expect(summary.steps).toBe(summary.totalSteps);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    // fresh weights (std 0.02) give near-uniform logits
    expect(Math.abs(losses[0]! - Math.log(V))).toBeLessThan(0.3);
    const first = mean(losses, 0, 5);
    const last = mean(losses, losses.length - 10, losses.length);
    console.log(`SASRec: ${summary.steps} steps in ${summary.elapsedSec.toFixed(2)} s, loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
    expect(last).toBeLessThan(first - 1.0);
  });

  it('beats the most-popular baseline on the test split', async () => {
    const ev = await model.evaluate(test);
    console.log(`SASRec HR@10 ${ev.metrics['hr@10']!.toFixed(3)} vs popularity ${popHr10.toFixed(3)}`);
    expect(ev.metrics['hr@10']!).toBeGreaterThan(popHr10 + 0.2);
    expect(ev.metrics['hr@10']!).toBeGreaterThan(2 * popHr10);
  });

  it('reports progress through onProgress: every step, increasing, finite', () => {
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: summary.steps }, (_, i) => i + 1));
    let lastElapsed = 0;
    for (const p of progress) {
      expect(p.totalSteps).toBe(summary.totalSteps);
      expect(Number.isFinite(p.loss)).toBe(true);
      expect(Number.isFinite(p.lr) && p.lr > 0).toBe(true);
      expect(Number.isFinite(p.gradNorm) && p.gradNorm >= 0).toBe(true);
      expect(Number.isFinite(p.sequencesPerSec) && p.sequencesPerSec > 0).toBe(true);
      expect(p.elapsedSec).toBeGreaterThanOrEqual(lastElapsed);
      lastElapsed = p.elapsedSec;
      // the reported loss is the loss of that step
      expect(Math.fround(p.loss)).toBe(summary.losses[p.step - 1]);
    }
    expect(progress.at(-1)!.epoch).toBe(TRAIN.epochs);
    expect(summary.sequencesPerSec).toBeGreaterThan(0);
  });

  it('follows linear warmup then cosine decay to zero', () => {
    const peak = TRAIN.lr;
    const w = TRAIN.warmupSteps;
    const T = summary.totalSteps;
    const lrs = progress.map((p) => p.lr);
    for (let s = 0; s < T; s++) {
      const want = s < w ? (peak * (s + 1)) / w : peak * 0.5 * (1 + Math.cos((Math.PI * (s - w)) / (T - w)));
      expect(Math.abs(lrs[s]! - want)).toBeLessThan(1e-12);
    }
    // shape: rises during warmup, peaks at the end of warmup, then never rises again and ends near 0
    for (let s = 1; s < w; s++) expect(lrs[s]!).toBeGreaterThan(lrs[s - 1]!);
    expect(Math.max(...lrs)).toBe(lrs[w - 1]);
    expect(lrs[w - 1]).toBeCloseTo(peak, 12);
    for (let s = w; s < T; s++) expect(lrs[s]!).toBeLessThanOrEqual(lrs[s - 1]!);
    expect(lrs.at(-1)!).toBeLessThan(0.01 * peak);
  });

  it('puts exactly the biases and LayerNorm parameters in the no-decay group', () => {
    const want = expectedGroups(ARCH, 'sasrec');
    expect(summary.parameterGroups).toEqual(want);
    expect(want.noDecay.tensors).toBe(22); // 2 blocks × (4 + 2 + 4) + 2
    expect(summary.parameterGroups.decay.parameters + summary.parameterGroups.noDecay.parameters).toBe(model.info().parameters);
  });

  it('recommend(history, { k }) returns k unseen items sorted by score', async () => {
    for (const i of [0, 1, 2, 3]) {
      const h = history(test, i);
      const seen = new Set(h);
      const recs = await model.recommend(h, { k: 10 });
      expect(recs).toHaveLength(10);
      expect(new Set(recs.map((r) => r.item)).size).toBe(10);
      for (const r of recs) {
        expect(Number.isInteger(r.item) && r.item >= 1 && r.item <= V).toBe(true);
        expect(seen.has(r.item)).toBe(false);
        expect(Number.isFinite(r.score)).toBe(true);
      }
      for (let j = 1; j < recs.length; j++) expect(recs[j]!.score).toBeLessThanOrEqual(recs[j - 1]!.score);
    }
    // excludeSeen: false may recommend history items, still k of them, still sorted
    const h = history(test, 0);
    const all = await model.recommend(h, { k: 15, excludeSeen: false });
    expect(all).toHaveLength(15);
    for (let j = 1; j < all.length; j++) expect(all[j]!.score).toBeLessThanOrEqual(all[j - 1]!.score);
    const unseen = await model.recommend(h, { k: 15 });
    const seen = new Set(h);
    // the unseen list is the full list with history items removed
    expect(unseen.slice(0, all.filter((r) => !seen.has(r.item)).length).map((r) => r.item)).toEqual(all.filter((r) => !seen.has(r.item)).map((r) => r.item));
  });

  it('recommend returns fewer than k items when fewer unseen items exist', async () => {
    const h = Int32Array.from({ length: V - 3 }, (_, i) => i + 1); // sees all but items V-2..V
    const recs = await model.recommend(h, { k: 10 });
    expect(recs.map((r) => r.item).sort((a, b) => a - b)).toEqual([V - 2, V - 1, V]);
  });

  it('evaluate() metrics are hitRate/ndcg/mrr of its ranks, and agree with recommend()', async () => {
    const ev = await model.evaluate(test, { ks: [1, 5, 10] });
    expect(ev.users).toBe(test.targets.length);
    expect(ev.ranks).toBeInstanceOf(Int32Array);
    expect(ev.ranks.length).toBe(test.targets.length);
    expect(Object.keys(ev.metrics).sort()).toEqual(['hr@1', 'hr@10', 'hr@5', 'mrr', 'ndcg@1', 'ndcg@10', 'ndcg@5']);
    for (const r of ev.ranks) expect(r >= 1 && r <= V).toBe(true);
    for (const k of [1, 5, 10]) {
      expect(ev.metrics[`hr@${k}`]).toBe(hitRate(ev.ranks, k));
      expect(ev.metrics[`ndcg@${k}`]).toBe(ndcg(ev.ranks, k));
      // independent recomputation
      let hits = 0;
      let gain = 0;
      for (const r of ev.ranks) {
        if (r > k) continue;
        hits++;
        gain += 1 / Math.log2(r + 1);
      }
      expect(ev.metrics[`hr@${k}`]).toBeCloseTo(hits / ev.ranks.length, 12);
      expect(ev.metrics[`ndcg@${k}`]).toBeCloseTo(gain / ev.ranks.length, 12);
    }
    expect(ev.metrics.mrr).toBe(mrr(ev.ranks));
    expect(ev.metrics['hr@1']!).toBeLessThanOrEqual(ev.metrics['hr@5']!);
    expect(ev.metrics['hr@5']!).toBeLessThanOrEqual(ev.metrics['hr@10']!);

    // default evaluate() = hr@10, ndcg@10, mrr with the same ranks; rank() gives the same ranks too
    const def = await model.evaluate(test);
    expect(Object.keys(def.metrics).sort()).toEqual(['hr@10', 'mrr', 'ndcg@10']);
    expect(def.ranks).toEqual(ev.ranks);
    expect(await model.rank(test)).toEqual(ev.ranks);

    // a target of rank r <= 10 (not in its own history) is the r-th recommendation
    let checked = 0;
    for (let i = 0; i < test.targets.length && checked < 25; i++) {
      const h = history(test, i);
      const target = test.targets[i]!;
      if (h.includes(target)) continue;
      const recs = (await model.recommend(h, { k: 10 })).map((r) => r.item);
      const r = ev.ranks[i]!;
      if (r <= 10) expect(recs[r - 1]).toBe(target);
      else expect(recs).not.toContain(target);
      checked++;
    }
    expect(checked).toBe(25);
  });

  it('evaluate() ranks do not depend on the scoring batch size', async () => {
    const a = await model.evaluate(test, { batchSize: 256 });
    const b = await model.evaluate(test, { batchSize: 7 });
    expect(b.ranks).toEqual(a.ranks);
  });
});

describe('step profile', () => {
  it('profile: true times each phase; they account for most of the call, and add up across validation segments', async () => {
    await using model = await SASRec.create(ARCH);
    const plain = await model.fit(train, { epochs: 1, batchSize: 64 });
    expect(plain.profile).toBeUndefined();
    const summary = await model.fit(train, { epochs: 4, batchSize: 64, profile: true, validation: { data: test, every: 2, patience: 0 } });
    const p = summary.profile!;
    for (const [phase, sec] of Object.entries(p)) expect(sec, phase).toBeGreaterThan(0);
    const total = p.sampleSec + p.forwardSec + p.lossSec + p.backwardSec + p.optimizerSec;
    expect(total).toBeLessThanOrEqual(summary.elapsedSec);
    expect(total).toBeGreaterThan(0.7 * summary.elapsedSec); // the rest: progress reports, set-up
    expect(summary.validation!.history).toHaveLength(2); // two native segments, one profile
  });
});

describe('progress by async iteration', () => {
  it('for await yields every report in order, then ends', async () => {
    const model = await SASRec.create({ ...ARCH, dim: 16, layers: 1 });
    try {
      const run = model.fit(train, { steps: 12, batchSize: 32, progressEvery: 2 });
      const seen: FitProgress[] = [];
      for await (const p of run) seen.push(p);
      const summary = await run;
      expect(seen.map((p) => p.step)).toEqual([2, 4, 6, 8, 10, 12]);
      for (const p of seen) {
        expect(p.totalSteps).toBe(12);
        expect(Number.isFinite(p.loss)).toBe(true);
        expect(Number.isFinite(p.lr) && p.lr > 0).toBe(true);
        expect(Number.isFinite(p.sequencesPerSec) && p.sequencesPerSec > 0).toBe(true);
      }
      expect(summary.steps).toBe(12);
      expect(summary.losses.length).toBe(12);
    } finally {
      await model.dispose();
    }
  });

  it('reports reach both onProgress and the iterator; iteration may start late', async () => {
    const model = await SASRec.create({ ...ARCH, dim: 16, layers: 1 });
    try {
      const viaCallback: number[] = [];
      const run = model.fit(train, { steps: 9, batchSize: 32, progressEvery: 3, onProgress: (p) => viaCallback.push(p.step) });
      await run; // training is over before iterating: the reports were buffered
      const viaIterator: number[] = [];
      for await (const p of run) viaIterator.push(p.step);
      expect(viaCallback).toEqual([3, 6, 9]);
      expect(viaIterator).toEqual([3, 6, 9]);
    } finally {
      await model.dispose();
    }
  });
});

describe('BERT4Rec', () => {
  it('trains (loss falls) and beats popularity', async () => {
    const model = await BERT4Rec.create(ARCH);
    try {
      const summary = await model.fit(train, { ...TRAIN, progressEvery: 20 });
      const { losses } = summary;
      for (const l of losses) expect(Number.isFinite(l)).toBe(true);
      const first = mean(losses, 0, 5);
      const last = mean(losses, losses.length - 10, losses.length);
      expect(last).toBeLessThan(first - 0.5);
      expect(summary.parameterGroups).toEqual(expectedGroups(ARCH, 'bert4rec'));
      const ev = await model.evaluate(test);
      console.log(`BERT4Rec loss ${first.toFixed(3)} -> ${last.toFixed(3)}; HR@10 ${ev.metrics['hr@10']!.toFixed(3)} vs popularity ${popHr10.toFixed(3)}`);
      expect(ev.metrics['hr@10']!).toBeGreaterThan(popHr10 + 0.1);
      expect(ev.metrics['hr@10']!).toBeGreaterThan(1.5 * popHr10);
      const recs = await model.recommend(history(test, 0), { k: 5 });
      expect(recs).toHaveLength(5);
    } finally {
      await model.dispose();
    }
  });
});

describe('determinism on CPU', () => {
  const arch = { items: V, dim: 16, layers: 2, heads: 2, maxLen: 20, dropout: 0.2, attnDropout: 0.1, threads: 1 } as const;
  const opts = { steps: 15, batchSize: 32, lr: 2e-3, warmupSteps: 3 } as const;

  async function run(seed: number, Cls: typeof SASRec | typeof BERT4Rec = SASRec, threads = 1, steps = 15) {
    const model = await Cls.create({ ...arch, seed, threads });
    try {
      const s = await model.fit(train, { ...opts, steps });
      const ev = await model.evaluate(test);
      return { losses: Array.from(s.losses), ranks: ev.ranks };
    } finally {
      await model.dispose();
    }
  }

  it('the same seed and options give bit-identical losses and ranks', async () => {
    const a = await run(5);
    const b = await run(5);
    expect(b.losses).toEqual(a.losses);
    expect(b.ranks).toEqual(a.ranks);
  });

  it('a different seed gives different losses', async () => {
    const a = await run(5);
    const c = await run(6);
    expect(c.losses).not.toEqual(a.losses);
    expect(c.losses.filter((l, i) => l === a.losses[i]).length).toBeLessThan(3);
  });

  it('is bit-identical with 2 LibTorch threads as well', async () => {
    const a = await run(5, SASRec, 2, 6);
    const b = await run(5, SASRec, 2, 6);
    expect(b.losses).toEqual(a.losses);
    expect(b.ranks).toEqual(a.ranks);
  });

  it('BERT4Rec (random masking) is reproducible too', async () => {
    const a = await run(9, BERT4Rec);
    const b = await run(9, BERT4Rec);
    expect(b.losses).toEqual(a.losses);
  });
});
