import { describe, expect, it } from 'vitest';
import {
  Dataset,
  SASRec,
  activityTertiles,
  computeMetrics,
  historyLengths,
  isSeqrecError,
  popularityRanks,
  sampleNegatives,
  syntheticDataset,
  type EvalSet,
} from '../../lib/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const data = syntheticDataset({ users: 240, items: 150, minLength: 10, maxLength: 20, seed: 11 });
const { train, test } = data.split('leave-one-out');
const modelOptions = { items: data.numItems, dim: 16, layers: 1, heads: 2, maxLen: 20, seed: 2, threads: 1 };

async function trainedModel() {
  const model = await SASRec.create(modelOptions);
  await model.fit(train, { epochs: 3, batchSize: 64, lr: 5e-3, warmupSteps: 2 });
  return model;
}

/** (E) every item's score for each evaluated user, from recommend() over the whole catalogue: the reference. */
async function allScores(model: SASRec, e: EvalSet): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let u = 0; u < e.targets.length; u++) {
    const scores = new Float32Array(e.numItems + 1);
    for (const r of await model.recommend(e.items.subarray(e.offsets[u]!, e.offsets[u + 1]!), { k: e.numItems, excludeSeen: false })) scores[r.item] = r.score;
    out.push(scores);
  }
  return out;
}

describe('evaluate()', () => {
  it('full ranking through the registry, with baselines, CIs and fairness', async () => {
    await using model = await trainedModel();
    const metrics = ['hr@10', 'ndcg@10', 'mrr', 'precision@5', 'coverage@10', 'novelty@10'];
    const groups = { activity: 'activity' as const, parity: Array.from(test.users, (u) => (u % 2 ? 'odd' : 'even')) };
    const ev = await model.evaluate(test, { metrics, train, groups });
    expect(ev.protocol).toBe('full');
    expect(Object.keys(ev.metrics)).toEqual(metrics);
    expect(ev.metrics).toEqual(computeMetrics(metrics, { ranks: ev.ranks, top: ev.top, trainCounts: train.itemCounts(), evalSet: test }));
    expect(ev.top!.width).toBe(10);
    const table = ev.table!;
    expect(table.map((r) => r.name)).toEqual(metrics);
    const popular = computeMetrics(['ndcg@10'], { ranks: popularityRanks(train.itemCounts(), test) })['ndcg@10'];
    expect(table[1]!.values.popularity).toBeCloseTo(popular!, 12);
    expect(table[1]!.ci!.model.lower).toBeLessThanOrEqual(ev.metrics['ndcg@10']!);
    expect(ev.fairness!.map((f) => f.attribute)).toEqual(['activity', 'parity']);
    expect(ev.fairness![0]!.metric).toBe('hr@10');
    const tertiles = activityTertiles(historyLengths(test));
    const low = ev.fairness![0]!.report.groups.find((g) => g.group === 'low')!;
    expect(low.count).toBe(tertiles.filter((t) => t === 'low').length);
  });

  it('full ranks match ranks recomputed from every item score (seen excluded, ties pessimistic)', async () => {
    await using model = await trainedModel();
    const few: EvalSet = {
      ...test,
      users: test.users.subarray(0, 20),
      offsets: test.offsets.subarray(0, 21),
      items: test.items.subarray(0, test.offsets[20]),
      targets: test.targets.subarray(0, 20),
    };
    const ranks = await model.rank(few);
    const scores = await allScores(model, few);
    scores.forEach((s, u) => {
      const seen = new Set(few.items.subarray(few.offsets[u]!, few.offsets[u + 1]!));
      const target = s[few.targets[u]!]!;
      let rank = 0;
      for (let i = 1; i <= few.numItems; i++) if ((i === few.targets[u] || !seen.has(i)) && s[i]! >= target) rank++;
      expect(ranks[u], `user ${u}`).toBe(rank);
    });
  });

  it('sampled-100 is named, draws valid negatives, and ranks among them exactly', async () => {
    await using model = await trainedModel();
    const ev = await model.evaluate(test, { protocol: 'sampled-100', ks: [10], train, seed: 4 });
    expect(ev.protocol).toBe('sampled-100');
    expect(Object.keys(ev.metrics)).toEqual(['hr@10/100neg', 'ndcg@10/100neg', 'mrr/100neg']);
    expect(ev.table!.map((r) => r.name)).toEqual(['hr@10/100neg', 'ndcg@10/100neg', 'mrr/100neg']);
    const full = await model.rank(test);
    for (let u = 0; u < full.length; u++) expect(ev.ranks[u]).toBeLessThanOrEqual(Math.min(full[u]!, 101));

    const candidates = sampleNegatives(test, { negatives: 'uniform', seed: 4 });
    expect(candidates).toEqual(sampleNegatives(test, { negatives: 'uniform', seed: 4 }));
    const scores = await allScores(model, test);
    for (let u = 0; u < test.targets.length; u++) {
      const row = candidates.subarray(u * 100, (u + 1) * 100);
      const history = new Set(test.items.subarray(test.offsets[u]!, test.offsets[u + 1]!));
      expect(new Set(row).size).toBe(100);
      for (const c of row) expect(c !== test.targets[u] && !history.has(c) && c >= 1 && c <= test.numItems).toBe(true);
      const target = scores[u]![test.targets[u]!]!;
      expect(ev.ranks[u], `user ${u}`).toBe(1 + row.filter((c) => scores[u]![c]! >= target).length);
    }
  });

  it('popularity-sampled negatives follow train popularity', () => {
    const counts = new Int32Array(151);
    counts[1] = 100000; // one item so popular it is almost always drawn
    const e: EvalSet = { users: Int32Array.of(0), offsets: Int32Array.of(0, 1), items: Int32Array.of(2), targets: Int32Array.of(3), numItems: 150 };
    let drawn = 0;
    for (let seed = 0; seed < 20; seed++) drawn += sampleNegatives(e, { negatives: 'popularity', trainCounts: counts, seed }).includes(1) ? 1 : 0;
    expect(drawn).toBe(20);
  });

  it('refuses list metrics under sampled-100, baselines without train, and bad group labels', async () => {
    await using model = await trainedModel();
    const cases: Array<[Parameters<typeof model.evaluate>[1], string]> = [
      [{ protocol: 'sampled-100', metrics: ['coverage@10'] }, 'options.metrics'],
      [{ baselines: true }, 'options.train'],
      [{ protocol: 'sampled-1000' as never }, 'options.protocol'],
      [{ groups: { gender: ['M'] } }, 'options.groups.gender'],
      [{ metrics: ['ndcg@10'], colour: 1 } as never, 'options.colour'],
    ];
    for (const [options, name] of cases) {
      const error = await model.evaluate(test, options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSeqrecError(error), String(error)).toBe(true);
      expect((error as Error).message).toContain(name);
    }
  });

  it('keeps the training data item ids, saves them, and answers in them', async () => {
    const seqs = [
      [1, 2, 3, 4],
      [2, 3, 4, 5],
      [3, 4, 5, 1],
    ];
    const ids = ['', 'tt01', 'tt02', 'tt03', 'tt04', 'tt05'];
    const base = Dataset.fromSequences(seqs, 5);
    const named = Dataset.fromCSR({ offsets: base.offsets, items: base.items, numItems: 5, itemIds: ids });
    await using model = await SASRec.create({ ...modelOptions, items: 5, maxLen: 4 });
    await model.fit(named, { epochs: 1, batchSize: 3 });
    expect(model.itemIds).toEqual(ids);
    expect(Array.from(model.itemsFromIds(['tt03', 'tt01']))).toEqual([3, 1]);
    expect(() => model.itemsFromIds(['tt09'])).toThrow(/ids\[0\] = "tt09"/);
    const recs = await model.recommend(model.itemsFromIds(['tt01', 'tt02']), { k: 3 });
    for (const r of recs) expect(r.id).toBe(ids[r.item]);
    const renamed = Dataset.fromCSR({ offsets: base.offsets, items: base.items, numItems: 5, itemIds: ['', 'a', 'b', 'c', 'd', 'e'] });
    const error = await model.fit(renamed, { epochs: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSeqrecError(error, 'E_INVALID_DATA')).toBe(true);
    const path = join(mkdtempSync(join(tmpdir(), 'seqrec-ids-')), 'm.safetensors');
    await model.save(path);
    await using loaded = await SASRec.load(path);
    expect(loaded.itemIds).toEqual(ids);
  });
});
