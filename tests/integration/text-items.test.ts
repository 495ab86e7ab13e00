/**
 * Items represented by id embedding + learned projection of their text (ModelOptions.textDim):
 * with zero text the model trains bit for bit like the id-only one (the text path adds exactly
 * nothing), for BERT4Rec too; items absent from training keep a text-only row (idActive 0 in the checkpoint) until a
 * fit trains on them; the item text travels in checkpoints; on data where text names behaviour, cold
 * items are ranked far above random and above an id-only model's cold rows; and bad input is refused.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BERT4Rec, HashingTextEncoder, SASRec, hitRate, randomRanks, readSafetensors } from '../../lib/index.js';
import { rejection } from '../helpers/errors.js';
import { GROUPS, PER_GROUP, V, plantedGroups } from '../helpers/planted-groups.js';
import { tempDir } from '../helpers/temp.js';

const { data, texts } = plantedGroups(5);
const split = data.split('cold-items', { fraction: 0.1, seed: 1 });
const vectors = new HashingTextEncoder({ dim: 128 }).encode(texts);
const ARCH = { items: V, dim: 32, layers: 1, heads: 2, maxLen: 20, seed: 3, threads: 1 } as const;
const FIT = { epochs: 15, batchSize: 64, lr: 5e-3, warmupSteps: 5 } as const;

const root = tempDir('text-items');

async function refused(p: PromiseLike<unknown>, code: string, message: RegExp): Promise<void> {
  const e = await rejection(p);
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
}

async function savedTensor(model: SASRec | BERT4Rec, name: string): Promise<Float32Array> {
  const path = join(root, `${name}-${Math.random().toString(36).slice(2)}.safetensors`);
  await model.save(path);
  const t = (await readSafetensors(path)).tensors.find((e) => e.name === name);
  if (!t) throw new Error(`no tensor ${name} in the checkpoint`);
  return new Float32Array(t.data.slice().buffer);
}

describe('items from id embedding + projected text', () => {
  it('with zero text, trains bit for bit like the id-only model', async () => {
    await using plain = await SASRec.create(ARCH);
    await using text = await SASRec.create({ ...ARCH, textDim: 16 });
    await text.setItemText({ data: new Float32Array((V + 1) * 16), dim: 16 });
    const a = await plain.fit(data, { ...FIT, epochs: 2 });
    const b = await text.fit(data, { ...FIT, epochs: 2, idDropout: 0 });
    expect(b.losses.length).toBeGreaterThan(10);
    expect(Buffer.compare(Buffer.from(b.losses.buffer), Buffer.from(a.losses.buffer))).toBe(0);
    expect(b.parameterGroups.decay.parameters - a.parameterGroups.decay.parameters).toBe(16 * 32); // the projection
  });

  it('BERT4Rec: with zero text, trains bit for bit like the id-only model ([mask] keeps its id row and is no softmax class)', async () => {
    await using plain = await BERT4Rec.create(ARCH);
    await using text = await BERT4Rec.create({ ...ARCH, textDim: 16 });
    await text.setItemText({ data: new Float32Array((V + 1) * 16), dim: 16 });
    expect((await savedTensor(text, 'model.idActive'))[V + 1]).toBe(1);
    const a = await plain.fit(data, { ...FIT, epochs: 2 });
    const b = await text.fit(data, { ...FIT, epochs: 2, idDropout: 0 });
    expect(b.losses.length).toBeGreaterThan(10);
    expect(Buffer.compare(Buffer.from(b.losses.buffer), Buffer.from(a.losses.buffer))).toBe(0);
  });

  it('keeps items absent from training text-only, saves the text, and ranks cold items from it', async () => {
    await using model = await SASRec.create({ ...ARCH, textDim: vectors.dim });
    await model.setItemText(vectors);
    await model.fit(split.train, FIT); // idDropout 0.5 by default
    const active = await savedTensor(model, 'model.idActive');
    const counts = split.train.itemCounts();
    expect(active.length).toBe(V + 1);
    for (let i = 1; i <= V; i++) expect(active[i], `item ${i}`).toBe(counts[i]! > 0 ? 1 : 0);
    const stored = await savedTensor(model, 'model.itemText');
    expect(Array.from(stored.subarray(vectors.dim))).toEqual(Array.from(vectors.data.subarray(vectors.dim)));

    await using idOnly = await SASRec.create(ARCH);
    await idOnly.fit(split.train, FIT);
    const metrics = ['hr@10'];
    const fromText = (await model.evaluate(split.test, { metrics })).metrics['hr@10']!;
    const idRows = (await idOnly.evaluate(split.test, { metrics })).metrics['hr@10']!;
    const random = hitRate(randomRanks(split.test, { seed: 0 }), 10);
    console.log(
      `cold HR@10 (${split.test.targets.length} users): text model ${fromText.toFixed(3)}, id-only ${idRows.toFixed(3)}, random ${random.toFixed(3)}`,
    );
    expect(fromText).toBeGreaterThan(3 * random);
    expect(fromText).toBeGreaterThan(idRows + 0.2);
    // recommend() offers a cold item after an item of the preceding group
    const coldItem = split.coldItems[0]!;
    const previous = 1 + ((coldItem - 1 + GROUPS - 1) % GROUPS);
    expect((await model.recommend([previous], { k: 2 * PER_GROUP })).map((r) => r.item)).toContain(coldItem);

    // the checkpoint restores the same model, text and active ids included
    const path = join(root, 'text-model.safetensors');
    await model.save(path);
    await using again = await SASRec.load(path);
    expect(again.config.textDim).toBe(vectors.dim);
    expect(Array.from(await again.rank(split.test))).toEqual(Array.from(await model.rank(split.test)));

    // a fit that trains on the cold items gives them their id rows
    await again.fit(data, { ...FIT, epochs: 1 });
    expect(Array.from((await savedTensor(again, 'model.idActive')).subarray(1)).every((x) => x === 1)).toBe(true);
  });

  it('refuses text where there is none, wrong shapes, and fit before setItemText', async () => {
    await using plain = await SASRec.create(ARCH);
    await refused(plain.setItemText(vectors), 'E_INVALID_OPTION', /create the model with options.textDim/);
    await refused(plain.fit(data, { idDropout: 0.2 }), 'E_INVALID_OPTION', /options.idDropout/);
    await using text = await SASRec.create({ ...ARCH, textDim: 128 });
    await refused(text.fit(data, FIT), 'E_INVALID_OPTION', /no item text yet; call setItemText/);
    await refused(text.setItemText({ data: vectors.data, dim: 64 }), 'E_INVALID_OPTION', /vectors.dim/);
    await refused(text.setItemText({ data: vectors.data.subarray(128), dim: 128 }), 'E_INVALID_OPTION', /vectors.data/);
    const nan = Float32Array.from(vectors.data);
    nan[128 * 7 + 3] = Number.NaN;
    await refused(text.setItemText({ data: nan, dim: 128 }), 'E_INVALID_DATA', /item 7/);
    await text.setItemText(vectors);
    await refused(text.fit(data, { idDropout: 1 }), 'E_INVALID_OPTION', /options.idDropout/);
    await refused(SASRec.create({ ...ARCH, textDim: -1 }), 'E_INVALID_OPTION', /options.textDim/);
  });
});
