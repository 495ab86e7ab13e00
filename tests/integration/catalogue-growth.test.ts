/**
 * New items join the catalogue: growCatalogue keeps every existing answer (the network and the old rows exactly,
 * BERT4Rec's [mask] row moved to the table's end; the same lists, their scores to fp32 rounding), scores a text
 * model's new item from its text alone, survives a checkpoint, and update() grows the catalogue itself from fresh
 * data whose vocabulary extends the model's (InteractionLog.toDataset({ itemIds })) and then learns the new items.
 */
import { describe, expect, it } from 'vitest';
import { BERT4Rec, Dataset, InteractionLog, SASRec, loadModel, syntheticDataset } from '../../lib/index.js';
import { rejection } from '../helpers/errors.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('catalogue-growth');

/** The synthetic data as string-id events (`u<user>`, `i<item>`) through an InteractionLog. */
function logOf(data: Dataset, userPrefix: string): InteractionLog {
  const log = new InteractionLog();
  for (let u = 0; u < data.numUsers; u++) data.sequence(u).forEach((item, t) => log.add(`${userPrefix}${u}`, `i${item}`, t));
  return log;
}

const histories = [
  [3, 7, 9],
  [12, 5, 38, 39, 2],
];
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('catalogue growth', () => {
  it('keeps every existing answer, then update() learns the new items from fresh data over a larger vocabulary', async () => {
    const past = logOf(syntheticDataset({ users: 300, items: 60, tastes: 6, seed: 1, minLength: 8, maxLength: 16 }), 'p').toDataset().dataset;
    const model = await SASRec.create({ items: past.numItems, dim: 32, layers: 1, heads: 2, maxLen: 16, seed: 3, threads: 2, positions: 'start' });
    await model.fit(past, { epochs: 5, batchSize: 64, lr: 5e-3 });
    const V = model.config.items;
    await using session = model.session(histories[1]);
    await session.recommend({ k: 10 }); // its keys and values are cached now
    const users = await model.userStates(histories);
    const rows = await model.itemStates();
    const lists = await model.recommend(histories, { k: 10 });

    // fresh events over 90 items: the model's ids keep their dense ids, the 30 new ones come after
    const freshLog = logOf(syntheticDataset({ users: 300, items: 90, tastes: 6, seed: 2, minLength: 8, maxLength: 16 }), 'f');
    const fresh = freshLog.toDataset({ itemIds: model.itemIds }).dataset;
    expect(fresh.itemIds!.slice(0, V + 1)).toEqual(model.itemIds);
    expect(fresh.numItems).toBe(90);

    await model.growCatalogue({ items: fresh.numItems, itemIds: fresh.itemIds });
    expect(model.config.items).toBe(90);
    expect(model.itemIds).toEqual(fresh.itemIds);
    expect(await model.userStates(histories)).toEqual(users);
    const grown = await model.itemStates();
    expect(grown.subarray(0, rows.length)).toEqual(rows);
    const added = grown.subarray(rows.length);
    const std = Math.sqrt(added.reduce((s, x) => s + x * x, 0) / added.length);
    expect(std).toBeGreaterThan(0.01); // drawn as at creation, N(0, 0.02)
    expect(std).toBeLessThan(0.03);
    // the same lists; scores equal but for fp32 rounding (the BLAS kernel, and so its order of sums, may change with V)
    const again = await model.recommend(histories, { k: 10, deny: range(V + 1, 90) });
    expect(again.map((l) => l.map(({ item, id }) => ({ item, id })))).toEqual(lists.map((l) => l.map(({ item, id }) => ({ item, id }))));
    again.forEach((l, u) => l.forEach((r, i) => expect(r.score).toBeCloseTo(lists[u]![i]!.score, 6)));
    session.append(7);
    const [incremental, full] = [await session.recommend({ k: 10 }), await model.recommend([...histories[1]!, 7], { k: 10 })]; // over the grown catalogue
    expect(incremental.map((r) => r.item)).toEqual(full.map((r) => r.item));
    incremental.forEach((r, i) => expect(r.score).toBeCloseTo(full[i]!.score, 5));

    await model.save(`${dir}/grown.safetensors`);
    await using loaded = await loadModel(`${dir}/grown.safetensors`, { threads: 1 });
    expect(loaded.config.items).toBe(90);
    expect(loaded.itemIds).toEqual(fresh.itemIds);
    expect(await loaded.itemStates()).toEqual(grown);

    // a second model grows inside update() and learns the new items: the fresh test's next items that are new
    // are found well above chance
    await model.dispose();
    const updated = await SASRec.create({ items: past.numItems, dim: 32, layers: 1, heads: 2, maxLen: 16, seed: 3, threads: 2 });
    await updated.fit(past, { epochs: 5, batchSize: 64, lr: 5e-3 });
    const split = fresh.split('leave-one-out');
    await updated.update(split.train, { epochs: 20, lr: 3e-3, batchSize: 64, replay: past, replayShare: 0.3 });
    expect(updated.config.items).toBe(90);
    const newTargets = Array.from(split.test.targets, (t, u) => (t > V ? u : -1)).filter((u) => u >= 0);
    const { offsets, items } = split.test;
    const found = await updated.recommend(
      newTargets.map((u) => items.subarray(offsets[u]!, offsets[u + 1]!)),
      { k: 10 },
    );
    const hits = found.filter((list, j) => list.some((r) => r.item === split.test.targets[newTargets[j]!])).length / newTargets.length;
    expect(newTargets.length).toBeGreaterThan(50);
    // measured: 0.245 of the 110 (chance: 10 of the ~80 unseen items, 0.125; a fresh model on the fresh data alone
    // finds 0.73 of all its targets, this one 0.62 after one short update)
    expect(hits).toBeGreaterThan(0.18);
    expect((await updated.evaluate(split.test, { metrics: ['hr@10'] })).metrics['hr@10']).toBeGreaterThan(0.5);
    await updated.dispose();
  }, 120_000);

  it("scores a text model's new item from its text alone, and moves BERT4Rec's [mask] row", async () => {
    // item 41 is never trained on, so its row is its text's projection; item 42 joins with the same text
    const synthetic = syntheticDataset({ users: 100, items: 40, seed: 4, minLength: 5, maxLength: 10 });
    const data = Dataset.fromSequences(
      Array.from({ length: synthetic.numUsers }, (_, u) => synthetic.sequence(u)),
      40,
    ); // no item ids
    const T = 8;
    const vectors = (V: number) => {
      const v = new Float32Array((V + 1) * T);
      for (let i = 1; i <= V; i++) for (let j = 0; j < T; j++) v[i * T + j] = Math.sin(Math.min(i, 41) * (j + 1));
      return { data: v, dim: T };
    };
    await using text = await SASRec.create({ items: 41, textDim: T, dim: 16, layers: 1, heads: 2, maxLen: 10, seed: 5, threads: 1 });
    await text.setItemText(vectors(41));
    await text.fit(data, { epochs: 2, batchSize: 32 });
    const users = await text.userStates(histories);
    await text.growCatalogue({ items: 42, itemVectors: vectors(42) });
    expect(await text.userStates(histories)).toEqual(users);
    const [cold, joined] = [await text.itemStates([41]), await text.itemStates([42])];
    expect(Array.from(joined)).toEqual(Array.from(cold));
    expect(Math.hypot(...joined)).toBeGreaterThan(0.01);

    await using bert = await BERT4Rec.create({ items: 40, dim: 16, layers: 1, heads: 2, maxLen: 10, seed: 6, threads: 1 });
    await bert.fit(data, { epochs: 2, batchSize: 32 });
    const before = { users: await bert.userStates(histories), rows: await bert.itemStates() };
    await bert.growCatalogue({ items: 45 });
    expect(await bert.userStates(histories)).toEqual(before.users); // reads [mask] from its new row
    expect((await bert.itemStates()).subarray(0, before.rows.length)).toEqual(before.rows);
  }, 60_000);

  it('refuses growth that would break the vocabulary, the text or the sizes, naming the field', async () => {
    const past = logOf(syntheticDataset({ users: 50, items: 20, seed: 7, minLength: 4, maxLength: 8 }), 'p').toDataset().dataset;
    await using model = await SASRec.create({ items: past.numItems, dim: 16, layers: 1, heads: 2, maxLen: 8, threads: 1 });
    await model.fit(past, { epochs: 1 });
    const V = model.config.items;
    expect((await rejection(model.growCatalogue({ items: V }))).message).toMatch(/options\.items/);
    expect((await rejection(model.growCatalogue({ items: V + 2 }))).message).toMatch(/options brings items .* has no itemIds/);
    const wrong = ['', 'x', ...model.itemIds!.slice(2), 'new1', 'new2'];
    expect((await rejection(model.growCatalogue({ items: V + 2, itemIds: wrong }))).message).toMatch(/differ from the model's at dense id 1/);
    const twice = [...model.itemIds!, 'new1', 'new1'];
    expect((await rejection(model.growCatalogue({ items: V + 2, itemIds: twice }))).message).toMatch(/options\.itemIds\[\d+\]/);
    expect(
      (await rejection(model.growCatalogue({ items: V + 1, itemIds: [...model.itemIds!, 'n'], itemVectors: { data: new Float32Array(1), dim: 1 } }))).message,
    ).toMatch(/options\.itemVectors/);
    // fresh data numbered apart from the model's vocabulary
    const fresh = logOf(syntheticDataset({ users: 50, items: 30, seed: 8, minLength: 4, maxLength: 8 }), 'f').toDataset().dataset;
    expect((await rejection(() => model.update(fresh))).message).toMatch(/fresh brings items .* differ from the model's/);
    expect(model.config.items).toBe(V); // nothing changed

    await using text = await SASRec.create({ items: 20, textDim: 4, dim: 16, layers: 1, heads: 2, maxLen: 8, threads: 1 });
    expect((await rejection(text.growCatalogue({ items: 21, itemIds: Array.from({ length: 22 }, (_, i) => `${i}`) }))).message).toMatch(
      /options\.itemVectors is required/,
    );
  });
});
