/**
 * recommend(history, { query }): a text query steers the lists through the model's own text
 * projection. On planted-genre data (an item's text names its group; 10 % of items never trained on),
 * a query naming a group fills the list with that group's items whatever the history, cold items
 * included; weight 0 changes nothing; a query without item text or of the wrong width is refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { HashingTextEncoder, SASRec } from '../../lib/index.js';
import { rejection } from '../helpers/errors.js';
import { GROUPS, V, plantedGroups } from '../helpers/planted-groups.js';

const { data, texts } = plantedGroups(9);
const split = data.split('cold-items', { fraction: 0.1, seed: 2 });
const encoder = new HashingTextEncoder({ dim: 128 });
const groupOf = (item: number) => (item - 1) % GROUPS;
let model: SASRec;
let cold: Set<number>;

beforeAll(async () => {
  model = await SASRec.create({ items: V, dim: 32, layers: 1, heads: 2, maxLen: 20, seed: 3, threads: 1, textDim: 128 });
  await model.setItemText(encoder.encode(texts));
  await model.fit(split.train, { epochs: 15, batchSize: 64, lr: 5e-3, warmupSteps: 5 });
  const counts = split.train.itemCounts();
  cold = new Set(Array.from({ length: V }, (_, i) => i + 1).filter((i) => counts[i] === 0));
  return () => model.dispose();
}, 120_000);

describe('recommend with a text query', () => {
  it('a query naming a group (counting twice the history) fills the list with that group, cold items included', async () => {
    let inGroup = 0;
    let coldShown = 0;
    let total = 0;
    for (let g = 0; g < GROUPS; g++) {
      const history = [1 + ((g + 5) % GROUPS), 1 + ((g + 6) % GROUPS)]; // a history that points elsewhere
      const plain = await model.recommend(history, { k: 10 });
      const steered = await model.recommend(history, { k: 10, query: `genre${g}`, textEncoder: encoder, queryWeight: 2 });
      inGroup += steered.filter((r) => groupOf(r.item) === g).length;
      coldShown += steered.filter((r) => cold.has(r.item) && groupOf(r.item) === g).length;
      total += steered.length;
      expect(steered.filter((r) => groupOf(r.item) === g).length).toBeGreaterThan(plain.filter((r) => groupOf(r.item) === g).length);
    }
    console.log(`query: ${inGroup} of ${total} recommended items in the named group, ${coldShown} of them never trained on (${cold.size} cold items in all)`);
    expect(inGroup / total).toBeGreaterThanOrEqual(0.8);
    expect(coldShown).toBeGreaterThan(0);
  });

  it('weight 0 changes nothing; a vector works as the string does', async () => {
    const history = [3, 15, 27];
    expect(await model.recommend(history, { k: 10, query: 'genre3', textEncoder: encoder, queryWeight: 0 })).toEqual(await model.recommend(history, { k: 10 }));
    const vector = encoder.encode(['genre3']).data;
    expect(await model.recommend(history, { k: 10, query: vector })).toEqual(await model.recommend(history, { k: 10, query: 'genre3', textEncoder: encoder }));
  });

  it('refuses a string without its encoder, a vector of the wrong width, and a model without text', async () => {
    expect((await rejection(model.recommend([1], { query: 'genre1' }))).message).toContain('options.textEncoder');
    expect((await rejection(model.recommend([1], { query: [1, 2, 3] }))).message).toContain('options.query');
    await using plain = await SASRec.create({ items: V, dim: 16, layers: 1, heads: 2, maxLen: 8 });
    expect((await rejection(plain.recommend([1], { query: 'genre1', textEncoder: encoder }))).message).toContain('textDim');
  });
});
