/**
 * generate(): greedy decoding equals recommending one item at a time; beam search as wide as the
 * catalogue finds the most probable continuation, checked by brute force over every pair of items;
 * sampling repeats with its seed and, near temperature 0, is greedy; noRepeat holds; bad options are
 * refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BERT4Rec, SASRec, syntheticDataset } from '../../lib/index.js';
import { rejection } from '../helpers/errors.js';

const V = 40;
const data = syntheticDataset({ users: 400, items: V, seed: 8, minLength: 6, maxLength: 20 });
let model: SASRec;
beforeAll(async () => {
  model = await SASRec.create({ items: V, dim: 16, layers: 1, heads: 2, maxLen: 20, seed: 1, threads: 1 });
  await model.fit(data, { epochs: 4, batchSize: 64, lr: 5e-3 });
  return () => model.dispose();
}, 60_000);

const history = [3, 7, 11, 2];
/** log p(item | seq) for every allowed item, from the full ranking recommend() returns. */
async function logProbs(seq: number[]): Promise<Map<number, number>> {
  const all = await model.recommend(seq, { k: V });
  const max = all[0]!.score;
  const logZ = max + Math.log(all.reduce((s, r) => s + Math.exp(r.score - max), 0));
  return new Map(all.map((r) => [r.item, r.score - logZ]));
}

describe('generate', () => {
  it('greedy (beams 1) adds the top item each step, as recommend would', async () => {
    const g = await model.generate(history, { length: 5 });
    const seq = [...history];
    let logProb = 0;
    for (let i = 0; i < 5; i++) {
      const lp = await logProbs(seq);
      const [top] = [...lp.entries()].sort((a, b) => b[1] - a[1]);
      seq.push(top![0]);
      logProb += top![1];
    }
    expect(g.items).toEqual(seq.slice(history.length));
    expect(g.logProb).toBeCloseTo(logProb, 4);
  });

  it('beam search over the whole catalogue finds the most probable pair (brute force)', async () => {
    const first = await logProbs(history);
    let best = { pair: [0, 0], logProb: -Infinity };
    for (const [a, lpa] of first) {
      for (const [b, lpb] of await logProbs([...history, a])) {
        if (lpa + lpb > best.logProb) best = { pair: [a, b], logProb: lpa + lpb };
      }
    }
    const g = await model.generate(history, { length: 2, beams: V });
    expect(g.items).toEqual(best.pair);
    expect(g.logProb).toBeCloseTo(best.logProb, 4);
    const greedy = await model.generate(history, { length: 2 });
    expect(g.logProb).toBeGreaterThanOrEqual(greedy.logProb - 1e-9);
  });

  it('samples repeat with their seed, and near temperature 0 are greedy; noRepeat holds', async () => {
    const a = await model.generate(history, { length: 8, temperature: 1, seed: 5 });
    expect((await model.generate(history, { length: 8, temperature: 1, seed: 5 })).items).toEqual(a.items);
    const others = await Promise.all([6, 7, 8].map((seed) => model.generate(history, { length: 8, temperature: 1, seed })));
    expect(others.some((o) => o.items.join() !== a.items.join())).toBe(true);
    expect((await model.generate(history, { length: 6, temperature: 1e-3 })).items).toEqual((await model.generate(history, { length: 6 })).items);
    for (const g of [a, ...others]) {
      expect(new Set(g.items).size).toBe(g.items.length);
      for (const item of g.items) expect(history).not.toContain(item);
    }
  });

  it('refuses beams with temperature, too long a run without repeats, and BERT4Rec', async () => {
    expect((await rejection(model.generate(history, { beams: 2, temperature: 1 }))).code).toBe('E_INVALID_OPTION');
    expect((await rejection(model.generate(history, { length: V }))).message).toContain('options.length');
    expect((await rejection(model.generate([1, V + 1]))).message).toContain('history[1]');
    await using bert = await BERT4Rec.create({ items: V, dim: 16, layers: 1, heads: 2, maxLen: 20 });
    expect((await rejection(bert.generate(history))).code).toBe('E_INVALID_OPTION');
  });
});
