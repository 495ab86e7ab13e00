/**
 * recommend(..., { compute: 'bf16' }): the transformer forward under bf16 autocast gives the fp32 lists
 * up to bf16 rounding (measured on a trained synthetic model: 99.9% of top-10 slots shared, 246 of 256
 * lists identical), for one history and a batch; sessions refuse it; a bad value names the option.
 */
import { describe, expect, it } from 'vitest';
import { SASRec, syntheticDataset } from '../../lib/index.js';
import { rejection } from '../helpers/errors.js';

describe("compute: 'bf16'", () => {
  it('keeps the fp32 top-10 lists up to rounding', async () => {
    const data = syntheticDataset({ users: 300, items: 500, tastes: 8, seed: 1, minLength: 30, maxLength: 60 });
    await using model = await SASRec.create({ items: 500, dim: 64, layers: 2, heads: 2, maxLen: 50, seed: 3, threads: 1 });
    await model.fit(data, { epochs: 5, batchSize: 64, lr: 3e-3 });
    const histories = Array.from({ length: 256 }, (_, u) => data.sequence(u));
    const [exact, bf16] = [await model.recommend(histories, { k: 10 }), await model.recommend(histories, { k: 10, compute: 'bf16' })];
    const shared = exact.reduce((s, list, u) => s + list.filter((r) => bf16[u]!.some((b) => b.item === r.item)).length, 0) / (10 * histories.length);
    expect(shared).toBeGreaterThan(0.97);
    expect(bf16.some((list, u) => list.some((r, i) => r.score !== exact[u]![i]!.score))).toBe(true); // it did run in bf16
    const one = await model.recommend(histories[0]!, { k: 10, compute: 'bf16' });
    expect(one.map((r) => r.item)).toEqual(bf16[0]!.map((r) => r.item));

    await using session = model.session(histories[0]);
    expect((await rejection(session.recommend({ k: 10, compute: 'bf16' }))).message).toMatch(/one-position steps run in fp32/);
    expect((await rejection(model.recommend(histories[0]!, { compute: 'fp16' as never }))).message).toMatch(/options\.compute/);
  }, 60_000);
});
