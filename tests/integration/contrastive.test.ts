/**
 * fit({ contrastive }) (CL4SRec's auxiliary InfoNCE; maths and augmentations in
 * tests/parity/contrastive.test.ts): the two views of a sequence learn to agree (InfoNCE falls far below
 * its chance value log(2B − 1)), the next-item model still learns as well as without it, the run is a
 * pure function of its seed, and bad options name their field.
 */
import { describe, expect, it } from 'vitest';
import { BERT4Rec, SASRec, syntheticDataset, type FitOptions, type FitProgress } from '../../lib/index.js';
import { rejection } from '../helpers/errors.js';

const data = syntheticDataset({ users: 600, items: 300, tastes: 8, seed: 2, minLength: 4, maxLength: 10, markov: 0 });
const { train, test } = data.split('leave-one-out');

async function run(options: FitOptions, architecture: 'sasrec' | 'bert4rec' = 'sasrec') {
  const Model = architecture === 'sasrec' ? SASRec : BERT4Rec;
  await using model = await Model.create({ items: 300, dim: 32, layers: 1, heads: 2, maxLen: 10, seed: 5, threads: 1 });
  const reports: FitProgress[] = [];
  const summary = await model.fit(train, { epochs: 20, batchSize: 60, lr: 3e-3, progressEvery: 5, onProgress: (p) => reports.push(p), ...options });
  const ndcg = (await model.evaluate(test, { metrics: ['ndcg@10'] })).metrics['ndcg@10']!;
  return { reports, ndcg, losses: summary.losses };
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('contrastive auxiliary loss', () => {
  it('views learn to agree and the next-item model learns as well as without it', async () => {
    const plain = await run({});
    const cl = await run({ contrastive: { weight: 0.3, temperature: 0.5 } });
    expect(plain.reports.every((p) => p.contrastiveLoss === 0)).toBe(true);
    const info = cl.reports.map((p) => p.contrastiveLoss);
    // chance: log(2·60 − 1) = 4.78; measured while building it: first two reports 3.96, last ten 3.62;
    // NDCG@10 0.404 plain, 0.406 with it
    expect(mean(info.slice(0, 2))).toBeGreaterThan(3.8);
    expect(mean(info.slice(-10))).toBeLessThan(mean(info.slice(0, 2)) - 0.25);
    expect(cl.ndcg).toBeGreaterThan(plain.ndcg - 0.03);
    expect(plain.ndcg).toBeGreaterThan(0.1);
  }, 60_000);

  it('is a pure function of the seed, for BERT4Rec too', async () => {
    const a = await run({ epochs: 3, contrastive: {} }, 'bert4rec');
    const b = await run({ epochs: 3, contrastive: {} }, 'bert4rec');
    expect(a.losses).toEqual(b.losses);
    expect(a.reports.map((p) => p.contrastiveLoss)).toEqual(b.reports.map((p) => p.contrastiveLoss));
    expect(a.reports.at(-1)!.contrastiveLoss).toBeGreaterThan(0);
  }, 60_000);

  it('refuses bad options, naming the field', async () => {
    await using model = await SASRec.create({ items: 300, dim: 16, layers: 1, heads: 2, maxLen: 8, threads: 1 });
    const fit = (contrastive: unknown) => rejection(() => model.fit(train, { epochs: 1, contrastive: contrastive as FitOptions['contrastive'] }));
    expect((await fit({ weight: 0 })).message).toMatch(/options\.contrastive\.weight/);
    expect((await fit({ temperature: -1 })).message).toMatch(/options\.contrastive\.temperature/);
    expect((await fit({ crop: 1.5 })).message).toMatch(/options\.contrastive\.crop/);
    expect((await fit({ crop: 0, mask: 0, reorder: 0 })).message).toMatch(/at least one of crop, mask and reorder/);
    expect((await fit({ views: 3 })).message).toMatch(/views/);
  });
});
