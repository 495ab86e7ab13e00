/**
 * recommend() for one history or many, with allow / deny lists applied inside the native top-K and a
 * LoRA adapter per call, and explain(): leave-one-out contributions, checked on data with a planted
 * cause (trigger item t is followed 1–3 events later by its effect t + T; everything else is noise):
 * explaining the effect, the trigger must rank first in ≥ 95 % of histories.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Dataset, SASRec, seededRandom } from '../../lib/index.js';
import { addon } from '../../lib/native/loader.js';
import { rejection } from '../helpers/errors.js';
import { plainList } from '../../lib/models/inference.js';

const T = 10; // triggers 1..T, effects T+1..2T, noise 2T+1..V
const V = 60;
const random = seededRandom(11);
const noise = () => 2 * T + 1 + Math.floor(random() * (V - 2 * T));

/** A noise sequence of `length` with trigger → (0..2 noise) → effect pairs planted in it. */
function plantedSequence(length: number): number[] {
  const seq: number[] = [];
  while (seq.length < length) {
    if (random() < 0.3) {
      const t = 1 + Math.floor(random() * T);
      seq.push(t);
      for (let g = Math.floor(random() * 3); g > 0; g--) seq.push(noise());
      seq.push(t + T);
    } else seq.push(noise());
  }
  return seq;
}

let model: SASRec;
beforeAll(async () => {
  const data = Dataset.fromSequences(
    Array.from({ length: 3000 }, () => plantedSequence(20)),
    V,
  );
  model = await SASRec.create({ items: V, dim: 32, layers: 2, heads: 2, maxLen: 20, seed: 2, threads: 2, dropout: 0.1 });
  await model.fit(data, { epochs: 8, batchSize: 128, lr: 5e-3, warmupSteps: 20 });
  return () => model.dispose();
}, 120_000);

describe('recommend', () => {
  it('for many histories at once gives what it gives each alone (one GEMM for the batch, a scan of the table alone)', async () => {
    const hs = [plantedSequence(12), plantedSequence(7), [1, 2, 3], plantedSequence(3), plantedSequence(15), [4]];
    const batch = await model.recommend(hs, { k: 5 });
    expect(batch).toHaveLength(6);
    for (const [u, h] of hs.entries()) {
      const alone = await model.recommend(h, { k: 5 });
      expect(batch[u]!.map((r) => r.item)).toEqual(alone.map((r) => r.item));
      batch[u]!.forEach((r, j) => expect(r.score).toBeCloseTo(alone[j]!.score, 5));
    }
  });

  it('allow and deny act inside the top-K: the lists are the full ranking restricted, never short', async () => {
    const h = plantedSequence(10);
    const full = (await model.recommend(h, { k: V })).map((r) => r.item); // every unseen item, best first
    const deny = full.slice(0, 5);
    expect((await model.recommend(h, { k: 8, deny })).map((r) => r.item)).toEqual(full.filter((i) => !deny.includes(i)).slice(0, 8));
    const allow = Array.from({ length: 20 }, (_, i) => 2 * i + 1);
    const allowed = full.filter((i) => allow.includes(i));
    expect((await model.recommend(h, { k: 8, allow })).map((r) => r.item)).toEqual(allowed.slice(0, 8));
    expect((await model.recommend(h, { k: 8, allow, deny })).map((r) => r.item)).toEqual(allowed.filter((i) => !deny.includes(i)).slice(0, 8));
    const few = await model.recommend(h, { k: 10, allow: [h[0]!, full[3]!] }); // a seen item is still excluded
    expect(few.map((r) => r.item)).toEqual([full[3]]);
  });

  it('many concurrent calls (batched natively when they arrive together) answer as each would alone', async () => {
    const hs = Array.from({ length: 64 }, (_, i) => plantedSequence(3 + (i % 15)));
    const options = (i: number) => (i % 3 === 0 ? { k: 4, deny: [i % V || 1] } : { k: i % 2 ? 5 : 7 });
    const together = await Promise.all(hs.map((h, i) => model.recommend(h, options(i))));
    for (const [i, h] of hs.entries()) {
      const alone = await model.recommend(h, options(i));
      expect(together[i]!.map((r) => r.item)).toEqual(alone.map((r) => r.item));
      together[i]!.forEach((r, j) => expect(r.score).toBeCloseTo(alone[j]!.score, 5));
    }
  });

  it('refuses bad lists and histories naming the element', async () => {
    expect((await rejection(model.recommend([1, 2], { allow: [1, V + 1] }))).message).toContain('options.allow[1]');
    expect((await rejection(model.recommend([1, 2], { deny: [0] }))).message).toContain('options.deny[0]');
    expect(
      (
        await rejection(
          model.recommend([
            [1, 2],
            [3, 0],
          ]),
        )
      ).message,
    ).toContain('history[1][1]');
    expect((await rejection(model.recommend([1], { filter: 'drama' } as never))).message).toContain('options.filter');
  });

  it('the native item scores are the scores top-K ranks by', async () => {
    const native = new (addon().NativeModel)({
      numItems: 20,
      dim: 8,
      layers: 1,
      heads: 2,
      maxLen: 6,
      ffnDim: 16,
      dropout: 0,
      attnDropout: 0,
      causal: true,
      useSdpa: true,
      device: 'cpu',
      seed: 1,
      threads: 1,
      textDim: 0,
      startPositions: false,
      pointwise: '',
      attributes: 0,
    });
    const hist = { offsets: Int32Array.of(0, 3, 5), items: Int32Array.of(1, 2, 3, 4, 5) };
    const top = await native.topK({
      ...hist,
      batchSize: 1,
      list: plainList(20, false, ''),
    });
    const scores = await native.scoreItems({ ...hist, candidates: top.items, batchSize: 2, adapter: '' }); // (2·20)
    for (let j = 0; j < 40; j++) expect(scores[j]).toBeCloseTo(top.scores[j]!, 5);
    native.dispose();
  });
});

describe('explain', () => {
  it('finds the planted cause: the trigger ranks first for its effect in >= 95% of histories', async () => {
    let first = 0;
    const cases = 100;
    for (let c = 0; c < cases; c++) {
      const t = 1 + Math.floor(random() * T);
      const gap = Math.floor(random() * 3);
      const history = [...Array.from({ length: 6 }, noise), t, ...Array.from({ length: gap }, noise)];
      const because = await model.explain(history, t + T);
      expect(because).toHaveLength(history.length);
      if (because[0]!.item === t && because[0]!.position === 6) first++;
    }
    console.log(`explain: the planted trigger ranks first in ${first} of ${cases} histories`);
    expect(first / cases).toBeGreaterThanOrEqual(0.95);
  });

  it('recommend({ explain: true }) attaches the same contributions to each item', async () => {
    const h = plantedSequence(8);
    const recs = await model.recommend(h, { k: 3, explain: true });
    for (const r of recs) {
      const alone = await model.explain(h, r.item);
      expect(r.because!.map((b) => b.position)).toEqual(alone.map((b) => b.position));
      r.because!.forEach((b, i) => expect(b.contribution).toBeCloseTo(alone[i]!.contribution, 5));
    }
  });
});
