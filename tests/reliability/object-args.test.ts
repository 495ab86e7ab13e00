/**
 * Native calls that take other native objects (NativeModel.transferFrom, attachTextEncoder, recommendSessions) and the
 * item-row calls. The argument is checked by its type tag, not its shape, so a look-alike object or
 * one of another class is E_INVALID_OPTION; a disposed one is E_DISPOSED; while the call runs the
 * other object counts as busy (it cannot be disposed under the job that reads it), and afterwards
 * it is free again. Row writes change exactly the rows named, and bad ids are refused before any.
 */
import { describe, expect, it } from 'vitest';
import { addon } from '../../lib/native/loader.js';
import type { AddonModelConfig, AddonNativeModel } from '../../lib/native/raw.js';
import { callNative, callNativeSync } from '../../lib/errors.js';
import { rejection, thrown } from '../helpers/errors.js';
import { rawFitRequest } from '../helpers/raw-requests.js';
import { plainList } from '../../lib/models/inference.js';

const V = 12;
const D = 8;
const config = (numItems: number, causal = true): AddonModelConfig => ({
  numItems,
  dim: D,
  layers: 1,
  heads: 2,
  maxLen: 6,
  ffnDim: 16,
  dropout: 0,
  attnDropout: 0,
  causal,
  useSdpa: true,
  device: 'cpu',
  seed: 5,
  threads: 1,
  textDim: 0,
  startPositions: false,
  pointwise: '',
  attributes: 0,
});
const create = (numItems = V, causal = true): AddonNativeModel => new (addon().NativeModel)(config(numItems, causal));
/** The error of a raw call as the public layer makes it (a SeqrecError with the code). */
const failure = (run: () => unknown) => rejection(callNative(run));
const tensor = async (m: AddonNativeModel, name: string) => {
  const t = (await m.exportState()).tensors.find((e) => e.name === name)!;
  return new Float32Array(t.data.slice().buffer);
};

describe('object arguments', () => {
  it('are checked by type tag: a look-alike object or another class is E_INVALID_OPTION', async () => {
    const m = create();
    const look = { exportState: m.exportState.bind(m) } as unknown as AddonNativeModel;
    const e = await failure(() => m.transferFrom(look));
    expect(e.code).toBe('E_INVALID_OPTION');
    expect(e.message).toContain('transferFrom.base must be a NativeModel');
    const encoder = new (addon().NativeTextEncoder)({
      vocabSize: 10,
      hiddenSize: 8,
      layers: 1,
      heads: 2,
      intermediateSize: 12,
      maxPositions: 8,
      typeVocabSize: 2,
      layerNormEps: 1e-12,
      activation: 'gelu',
      device: 'cpu',
      threads: 1,
    });
    expect((await failure(() => m.transferFrom(encoder as unknown as AddonNativeModel))).code).toBe('E_INVALID_OPTION');
    const request = {
      ids: new Int32Array(0),
      attentionMask: new Int32Array(0),
      length: 1,
      pooling: 'mean',
      normalize: false,
      lora: { r: 1, alpha: 1, dropout: 0, rslora: false, dora: false, bottleneck: false, prefix: false },
      modules: [],
      itemsPerStep: 0,
      encodeBatch: 1,
    };
    expect((await failure(() => m.attachTextEncoder(m as never, request))).message).toContain('must be a NativeTextEncoder');
    encoder.dispose();
    m.dispose();
  });

  it('a disposed argument is E_DISPOSED; the argument is busy while the call runs and free after it', async () => {
    const base = create();
    const target = create(V + 3);
    const running = target.transferFrom(base);
    expect(thrown(() => callNativeSync(() => base.dispose())).code).toBe('E_BUSY'); // the job reads it
    await running;
    const gone = create();
    gone.dispose();
    expect((await failure(() => target.transferFrom(gone))).code).toBe('E_DISPOSED');
    expect((await failure(() => target.transferFrom(target))).code).toBe('E_BUSY'); // itself: exclusive and read at once
    base.dispose(); // free again
    target.dispose();
  });
});

describe('a list of objects (NativeModel.recommendSessions)', () => {
  const list = plainList(3, true, '');
  it('holds each session as an exclusive call while the job runs, and frees them after', async () => {
    const m = create();
    const [a, b] = [new (addon().NativeSession)({ history: Int32Array.of(1, 2) }), new (addon().NativeSession)({ history: Int32Array.of(3) })];
    const running = m.recommendSessions([a, b], { offsets: Int32Array.of(0, 1, 1), append: Int32Array.of(4), list });
    expect(thrown(() => callNativeSync(() => b.info())).code).toBe('E_BUSY'); // even a shared call waits
    expect(thrown(() => callNativeSync(() => a.dispose())).code).toBe('E_BUSY');
    expect((await running).items).toHaveLength(2 * 3);
    expect(Array.from(a.history())).toEqual([1, 2, 4]);
    expect(Array.from(b.history())).toEqual([3]);
    a.dispose();
    b.dispose();
    m.dispose();
  });

  it('refuses a non-array, a look-alike, one object twice and a disposed one, holding none of them', async () => {
    const m = create();
    const a = new (addon().NativeSession)({ history: Int32Array.of(1) });
    const request = { offsets: Int32Array.of(0, 0, 0), append: new Int32Array(0), list };
    expect((await failure(() => m.recommendSessions(a as never, request))).message).toContain('recommendSessions.sessions must be an array');
    expect((await failure(() => m.recommendSessions([a, {} as never], request))).message).toContain('sessions[1] must be a NativeSession');
    expect((await failure(() => m.recommendSessions([a, a], request))).message).toContain('sessions[1] appears twice');
    const gone = new (addon().NativeSession)({ history: Int32Array.of(1) });
    gone.dispose();
    expect((await failure(() => m.recommendSessions([a, gone], request))).code).toBe('E_DISPOSED');
    expect((await failure(() => m.recommendSessions([a], request))).message).toContain('offsets must be 2 CSR offsets'); // on the pool
    expect(a.info().events).toBe(1); // free again, unchanged
    a.dispose();
    m.dispose();
  });
});

describe('transferFrom', () => {
  it.each([true, false])('copies every tensor but the per-catalogue ones (causal=%s), and the [mask] row for BERT4Rec', async (causal) => {
    const base = create(V, causal);
    await base.fit({ ...fitRequest(), untilEpoch: 0 }, () => {});
    const target = create(V + 5, causal);
    const before = await tensor(target, 'model.itemEmbedding.weight');
    await target.transferFrom(base);
    const [from, to] = [await base.exportState(), await target.exportState()];
    for (const t of to.tensors) {
      const f = from.tensors.find((e) => e.name === t.name)!;
      if (t.name === 'model.itemEmbedding.weight') continue;
      expect(Buffer.from(t.data).equals(Buffer.from(f.data)), t.name).toBe(true);
    }
    const after = await tensor(target, 'model.itemEmbedding.weight');
    const rows = causal ? V + 6 : V + 7;
    expect(after.length).toBe(rows * D);
    const baseTable = await tensor(base, 'model.itemEmbedding.weight');
    const last = (t: Float32Array) => Array.from(t.subarray(t.length - D));
    if (causal)
      expect(Array.from(after)).toEqual(Array.from(before)); // the item table is the new model's own
    else {
      expect(last(after)).toEqual(last(baseTable)); // [mask]
      expect(Array.from(after.subarray(0, after.length - D))).toEqual(Array.from(before.subarray(0, before.length - D)));
    }
    base.dispose();
    target.dispose();
  });

  it('refuses a base of other sizes', async () => {
    const base = new (addon().NativeModel)({ ...config(V), dim: 16 });
    const target = create();
    expect((await failure(() => target.transferFrom(base))).code).toBe('E_INVALID_OPTION');
    base.dispose();
    target.dispose();
  });
});

describe('itemRows / setItemRows', () => {
  it('read the rows asked for and overwrite exactly those', async () => {
    const m = create();
    const table = await tensor(m, 'model.itemEmbedding.weight'); // (V+1, d)
    const items = Int32Array.of(3, 1, 12);
    const rows = await m.itemRows(items);
    items.forEach((item, i) => expect(Array.from(rows.subarray(i * D, (i + 1) * D))).toEqual(Array.from(table.subarray(item * D, (item + 1) * D))));
    const fresh = Float32Array.from({ length: 2 * D }, (_, i) => i / 8);
    await m.setItemRows({ items: Int32Array.of(2, 7), rows: fresh });
    const after = await tensor(m, 'model.itemEmbedding.weight');
    for (let item = 0; item <= V; item++) {
      const row = Array.from(after.subarray(item * D, (item + 1) * D));
      if (item === 2) expect(row).toEqual(Array.from(fresh.subarray(0, D)));
      else if (item === 7) expect(row).toEqual(Array.from(fresh.subarray(D)));
      else expect(row, `row ${item}`).toEqual(Array.from(table.subarray(item * D, (item + 1) * D)));
    }
    m.dispose();
  });

  it('refuse padding, unknown ids, a wrong length or non-finite values before writing anything', async () => {
    const m = create();
    const table = await tensor(m, 'model.itemEmbedding.weight');
    expect((await failure(() => m.itemRows(Int32Array.of(0)))).message).toContain('itemRows.items[0] = 0 is outside the catalogue 1..12');
    const bad = [
      { items: Int32Array.of(1, V + 1), rows: new Float32Array(2 * D) },
      { items: Int32Array.of(1), rows: new Float32Array(D + 1) },
      { items: Int32Array.of(1), rows: new Float32Array(D).fill(Number.NaN) },
    ];
    for (const request of bad) expect((await failure(() => m.setItemRows(request))).code).toBe('E_INVALID_DATA');
    expect(Array.from(await tensor(m, 'model.itemEmbedding.weight'))).toEqual(Array.from(table));
    m.dispose();
  });
});

function fitRequest() {
  const offsets = Int32Array.of(0, 5, 10, 15);
  const items = Int32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 3, 5);
  return rawFitRequest(offsets, items, { maxSteps: 2, batchSize: 3, lr: 1e-2, beta2: 0.999, weightDecay: 0.01, maskProb: 0.3 });
}
