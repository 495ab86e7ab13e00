/**
 * Cross-domain transfer by text (transferToCatalogue): a text model trained on one catalogue, moved to
 * another whose items have other ids and other noise words but the same kind of text. Zero-shot (no
 * training on the new catalogue) it ranks far above random and most-popular; what depends on the
 * catalogue is built anew and everything else (BERT4Rec's [mask] row too) is copied byte for byte;
 * and bad input is refused.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BERT4Rec,
  Dataset,
  HashingTextEncoder,
  SASRec,
  hitRate,
  popularityRanks,
  randomRanks,
  readSafetensors,
  seededRandom,
  transferToCatalogue,
} from '../../lib/index.js';
import { rejection } from '../helpers/errors.js';
import { V, plantedGroups } from '../helpers/planted-groups.js';
import { tempDir } from '../helpers/temp.js';

const encoder = new HashingTextEncoder({ dim: 128 });
const source = plantedGroups(5);
// The target catalogue: the same group structure under shuffled item ids, its own texts and users.
const other = plantedGroups(8, 300);
const rand = seededRandom(4);
const perm = Array.from({ length: V }, (_, i) => i + 1).sort(() => rand() - 0.5); // old id i → new id perm[i-1]
const targetTexts = new Array<string>(V + 1).fill('');
perm.forEach((to, i) => (targetTexts[to] = `${other.texts[i + 1]} `.replace(/word(\d+)/, (_, j) => `word${Number(j) + 40}`)));
const targetData = Dataset.fromCSR({ offsets: other.data.offsets, items: other.data.items.map((i) => perm[i - 1]!), numItems: V });
const ARCH = { items: V, dim: 32, layers: 1, heads: 2, maxLen: 20, seed: 3, threads: 1, textDim: 128 } as const;

const root = tempDir('transfer');

describe('transferToCatalogue', () => {
  it('recommends in a new catalogue from text alone, copying everything catalogue-free', async () => {
    await using base = await SASRec.create(ARCH);
    await base.setItemText(encoder.encode(source.texts));
    await base.fit(source.data, { epochs: 15, batchSize: 64, lr: 5e-3, warmupSteps: 5 });
    await using moved = await transferToCatalogue(base, { items: V, itemVectors: encoder.encode(targetTexts) });
    const { test } = targetData.split('leave-one-out');
    const hr = (await moved.evaluate(test, { metrics: ['hr@10'] })).metrics['hr@10']!;
    const random = hitRate(randomRanks(test, { seed: 0 }), 10);
    const popular = hitRate(popularityRanks(targetData.itemCounts(), test), 10);
    console.log(
      `zero-shot HR@10 in the new catalogue (${test.targets.length} users): ${hr.toFixed(3)}, random ${random.toFixed(3)}, most-popular ${popular.toFixed(3)}`,
    );
    expect(hr).toBeGreaterThan(Math.max(0.4, 3 * random, 3 * popular));

    await base.save(join(root, 'base.safetensors'));
    await moved.save(join(root, 'moved.safetensors'));
    const [a, b] = await Promise.all([readSafetensors(join(root, 'base.safetensors')), readSafetensors(join(root, 'moved.safetensors'))]);
    const bytes = (f: typeof a, name: string) => Buffer.from(f.tensors.find((t) => t.name === name)!.data);
    for (const t of b.tensors) {
      if (t.name === 'model.idActive')
        expect(bytes(b, t.name).equals(Buffer.alloc(t.data.byteLength))).toBe(true); // no id rows yet
      else if (t.name !== 'model.itemEmbedding.weight' && t.name !== 'model.itemText') expect(bytes(b, t.name).equals(bytes(a, t.name)), t.name).toBe(true);
    }
    expect(b.tensors.some((t) => t.name.startsWith('optim.'))).toBe(false);
  });

  it("moves BERT4Rec's [mask] row with the blocks", async () => {
    await using base = await BERT4Rec.create(ARCH);
    await base.setItemText(encoder.encode(source.texts));
    const losses = (await base.fit(source.data, { epochs: 2, batchSize: 64, lr: 5e-3 })).losses;
    expect(losses.every(Number.isFinite)).toBe(true);
    await using moved = await transferToCatalogue(base, { items: V + 7, itemVectors: encoder.encode([...targetTexts, ...new Array(7).fill('new')]) });
    await base.save(join(root, 'base4.safetensors'));
    await moved.save(join(root, 'moved4.safetensors'));
    const [a, b] = await Promise.all([readSafetensors(join(root, 'base4.safetensors')), readSafetensors(join(root, 'moved4.safetensors'))]);
    const floats = (f: typeof a, name: string) => new Float32Array(f.tensors.find((t) => t.name === name)!.data.slice().buffer);
    const [from, to] = [floats(a, 'model.itemEmbedding.weight'), floats(b, 'model.itemEmbedding.weight')];
    expect(to.length).toBe((V + 9) * ARCH.dim);
    expect(Array.from(to.subarray(-ARCH.dim))).toEqual(Array.from(from.subarray(-ARCH.dim)));
    expect(Array.from(floats(b, 'model.idActive'))).toEqual([...new Array(V + 8).fill(0), 1]);
  });

  it('refuses a base without text and vectors of another width', async () => {
    await using plain = await SASRec.create({ ...ARCH, textDim: 0 });
    const vectors = encoder.encode(targetTexts);
    expect((await rejection(transferToCatalogue(plain, { items: V, itemVectors: vectors }))).message).toMatch(/no text projection/);
    await using text = await SASRec.create({ ...ARCH, textDim: 64 });
    expect((await rejection(transferToCatalogue(text, { items: V, itemVectors: vectors }))).message).toMatch(/same encoder/);
    expect((await rejection(transferToCatalogue(text, { items: V + 1, itemVectors: vectors }))).message).toMatch(/options.itemVectors.data/);
    expect((await rejection(transferToCatalogue(text, { items: V, itemVectors: vectors, item: 1 } as never))).message).toMatch(/did you mean/);
  });
});
