/**
 * Errors: bad options name the option and the value received, bad data is E_INVALID_DATA, the raw
 * addon refuses malformed arrays and wrong types with a coded error instead of crashing, errors
 * carry the caller's stack, and versions() describes the runtime.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BERT4Rec, Dataset, SASRec, SeqrecError, isSeqrecError, loadModel, syntheticDataset, versions, type EvalSet } from '../../lib/index.js';
import { addon } from '../../lib/native/loader.js';
import type { AddonModelConfig, AddonNativeModel } from '../../lib/native/raw.js';
import { rejection } from '../helpers/errors.js';
import { rawFitRequest } from '../helpers/raw-requests.js';
import { plainList } from '../../lib/models/inference.js';

const THIS_FILE = 'errors.test.ts';
const V = 10;

function expectInvalidOption(err: SeqrecError, option: string, received: string): void {
  expect(err.code).toBe('E_INVALID_OPTION');
  expect(err.message).toContain(option);
  expect(err.message).toContain(received);
  expect(err.details.option).toBe(option);
}

const tinyData = Dataset.fromSequences([
  [1, 2, 3, 4, 5],
  [2, 3, 4, 5, 6, 7],
  [5, 6, 7, 8, 9, 10],
]);

describe('bad model options', () => {
  it('heads not dividing dim', async () => {
    const err = await rejection(SASRec.create({ items: 10, dim: 30, heads: 4 }));
    expectInvalidOption(err, 'options.heads', '4');
    expect(err.message).toContain('30');
    expect(err.details.received).toBe(4);
  });

  it('unknown key with a "did you mean" suggestion', async () => {
    const err = await rejection(SASRec.create({ items: 10, layer: 2 } as never));
    expect(err.code).toBe('E_INVALID_OPTION');
    expect(err.message).toContain('options.layer');
    expect(err.message).toContain('did you mean options.layers');
    expect(err.details.suggestion).toBe('layers');
  });

  it('bad device string', async () => {
    const err = await rejection(SASRec.create({ items: 10, device: 'gpu' }));
    expectInvalidOption(err, 'options.device', '"gpu"');
    const err2 = await rejection(BERT4Rec.create({ items: 10, device: 'cuda:x' }));
    expectInvalidOption(err2, 'options.device', '"cuda:x"');
  });

  it('missing, fractional, negative and wrongly typed sizes', async () => {
    expectInvalidOption(await rejection(SASRec.create({} as never)), 'options.items', 'undefined');
    expectInvalidOption(await rejection(SASRec.create({ items: 10.5 })), 'options.items', '10.5');
    expectInvalidOption(await rejection(SASRec.create({ items: 10, dim: -8 })), 'options.dim', '-8');
    expectInvalidOption(await rejection(SASRec.create({ items: '10' as never })), 'options.items', '"10"');
    expectInvalidOption(await rejection(SASRec.create({ items: 10, dropout: 1.5 })), 'options.dropout', '1.5');
    expectInvalidOption(await rejection(SASRec.create({ items: 10, attention: 'flash' as never })), 'options.attention', '"flash"');
    expectInvalidOption(await rejection(BERT4Rec.create({ items: 10, maxLen: 1 })), 'options.maxLen', '1');
    expect((await rejection(SASRec.create(null as never))).code).toBe('E_INVALID_OPTION');
  });

  it('a CUDA device on a machine without one is E_INVALID_OPTION (when no CUDA)', async () => {
    if (versions().cuda) return;
    const err = await rejection(SASRec.create({ items: 10, device: 'cuda' }));
    expect(err.code).toBe('E_INVALID_OPTION');
    expect(err.message).toContain('cuda');
  });
});

describe('bad fit / evaluate / recommend options', () => {
  let model: SASRec;
  beforeAll(async () => {
    model = await SASRec.create({ items: V, dim: 16, heads: 2, layers: 1, maxLen: 8, threads: 1 });
  });
  afterAll(async () => {
    await model.dispose();
  });

  it('negative or zero lr', async () => {
    expectInvalidOption(await rejection(model.fit(tinyData, { lr: -0.001 })), 'options.lr', '-0.001');
    expectInvalidOption(await rejection(model.fit(tinyData, { lr: 0 })), 'options.lr', '0');
    expectInvalidOption(await rejection(model.fit(tinyData, { lr: Number.NaN })), 'options.lr', 'NaN');
  });

  it('other fit options', async () => {
    expectInvalidOption(await rejection(model.fit(tinyData, { steps: 0 })), 'options.steps', '0');
    expectInvalidOption(await rejection(model.fit(tinyData, { batchSize: 2.5 })), 'options.batchSize', '2.5');
    expectInvalidOption(await rejection(model.fit(tinyData, { schedule: 'step' as never })), 'options.schedule', '"step"');
    expectInvalidOption(await rejection(model.fit(tinyData, { betas: [0.9] as never })), 'options.betas', '0.9');
    expectInvalidOption(await rejection(model.fit(tinyData, { signal: {} as never })), 'options.signal', 'object');
    expectInvalidOption(await rejection(model.fit(tinyData, { onProgress: 'log' as never })), 'options.onProgress', '"log"');
    expectInvalidOption(await rejection(model.fit(tinyData, { lossChunkBytes: 10 })), 'options.lossChunkBytes', '10');
    const err = await rejection(model.fit(tinyData, { epoch: 3 } as never));
    expect(err.message).toContain('did you mean options.epochs');
    expect((await rejection(model.fit({} as never))).code).toBe('E_INVALID_OPTION');
    // nothing was trained by any of these
    expect(model.info().trainStep).toBe(0);
  });

  it('evaluate / recommend options', async () => {
    const e = tinyData.split('leave-one-out').test;
    expectInvalidOption(await rejection(model.evaluate(e, { ks: [0] })), 'options.ks[0]', '0');
    expectInvalidOption(await rejection(model.evaluate(e, { ks: [] })), 'options.ks', 'array');
    expectInvalidOption(await rejection(model.recommend([1, 2], { k: 0 })), 'options.k', '0');
    expectInvalidOption(await rejection(model.recommend([1, 2], { k: V + 1 })), 'options.k', String(V + 1));
    expectInvalidOption(await rejection(model.recommend([1, 2], { excludeSeen: 'yes' as never })), 'options.excludeSeen', '"yes"');
    expect((await rejection(model.recommend([1, 2], { n: 3 } as never))).message).toContain('options.n');
  });

  it('loading with unknown options', async () => {
    const err = await rejection(loadModel('/nonexistent.safetensors', { device: 'cpu', thread: 2 } as never));
    expect(err.message).toContain('did you mean options.threads');
  });

  it('loading with invalid threads/device overrides is E_INVALID_OPTION, never silently ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqrec-errors-'));
    try {
      const path = join(dir, 'm.safetensors');
      await model.save(path);
      expectInvalidOption(await rejection(SASRec.load(path, { threads: -1 })), 'options.threads', '-1');
      expectInvalidOption(await rejection(SASRec.load(path, { device: 'tpu' })), 'options.device', '"tpu"');
      // falsy but invalid values must not fall back to the stored config either
      expectInvalidOption(await rejection(SASRec.load(path, { threads: 0 })), 'options.threads', '0');
      expectInvalidOption(await rejection(SASRec.load(path, { device: '' })), 'options.device', '""');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bad data', () => {
  let model: SASRec;
  beforeAll(async () => {
    model = await SASRec.create({ items: V, dim: 16, heads: 2, layers: 1, maxLen: 8, threads: 1 });
  });
  afterAll(async () => {
    await model.dispose();
  });

  it('a Dataset whose items exceed the model catalogue is E_INVALID_DATA', async () => {
    const big = Dataset.fromSequences([[1, 2, 3, 12]]);
    const err = await rejection(model.fit(big, { steps: 1 }));
    expect(err.code).toBe('E_INVALID_DATA');
    expect(err.message).toContain('12');
    expect(err.message).toContain(String(V));
    const bigSynthetic = syntheticDataset({ users: 5, items: 50, seed: 1 });
    expect((await rejection(model.fit(bigSynthetic, { steps: 1 }))).code).toBe('E_INVALID_DATA');
    // and an EvalSet from a bigger catalogue
    expect((await rejection(model.evaluate(bigSynthetic.split('leave-one-out').test))).code).toBe('E_INVALID_DATA');
    expect(model.info().trainStep).toBe(0);
  });

  it('a Dataset with no trainable user is E_INVALID_DATA', async () => {
    const single = Dataset.fromSequences([[1], [2], [3]], V);
    expect((await rejection(model.fit(single, { steps: 1 }))).code).toBe('E_INVALID_DATA');
  });

  it('malformed EvalSets through the public API are E_INVALID_DATA', async () => {
    const good = tinyData.split('leave-one-out').test;
    const bad = (patch: Partial<EvalSet>): EvalSet => ({ ...good, ...patch });
    const cases: EvalSet[] = [
      bad({ targets: Int32Array.of(...good.targets.map(() => V + 1)) }), // target out of range
      bad({ targets: Int32Array.of(...good.targets.map(() => 0)) }), // target 0 is padding
      bad({ items: Int32Array.of(...good.items.map((x, i) => (i === 1 ? -3 : x))) }), // history item out of range
      bad({ offsets: Int32Array.of(...good.offsets.map((o, i) => (i === good.offsets.length - 1 ? o + 4 : o))) }), // past items.length
      bad({ offsets: Int32Array.of(0, 3, 2, good.items.length).subarray(0, good.offsets.length) }), // decreasing
      bad({ offsets: Int32Array.of(1, ...good.offsets.subarray(1)) }), // not starting at 0
      bad({ targets: good.targets.subarray(1) }), // one target short
    ];
    for (const e of cases) {
      const err = await rejection(model.rank(e));
      expect(err.code, err.message).toBe('E_INVALID_DATA');
    }
    // the model is fine afterwards
    expect((await model.rank(good)).length).toBe(good.targets.length);
  });

  it('a history item outside the catalogue in recommend() is refused', async () => {
    const err = await rejection(model.recommend([1, V + 1]));
    expect(err.message).toContain('history[1]');
    expect(err.message).toContain(String(V + 1));
  });
});

describe('raw addon calls never crash the process', () => {
  const config: AddonModelConfig = {
    numItems: V,
    dim: 8,
    layers: 1,
    heads: 2,
    maxLen: 6,
    ffnDim: 16,
    dropout: 0.1,
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
  };
  let native: AddonNativeModel;
  const okOffsets = Int32Array.of(0, 3, 5);
  const okItems = Int32Array.of(1, 2, 3, 4, 5);
  const okTargets = Int32Array.of(6, 7);
  const fullRanking = { numCandidates: 0, candidates: new Int32Array(0), adapter: '' };
  const fitRequest = (offsets: Int32Array, items: Int32Array) => rawFitRequest(offsets, items, { decay: 'cosine' });

  /** The code of whatever a raw call throws synchronously or rejects with (raw errors are plain Errors with .code). */
  async function rawCode(call: () => unknown): Promise<{ code: unknown; message: string; sync: boolean }> {
    let p: unknown;
    try {
      p = call();
    } catch (e) {
      return { code: (e as { code?: unknown }).code, message: String((e as Error).message), sync: true };
    }
    try {
      await p;
    } catch (e) {
      return { code: (e as { code?: unknown }).code, message: String((e as Error).message), sync: false };
    }
    throw new Error('expected the raw call to fail');
  }

  beforeAll(() => {
    native = new (addon().NativeModel)(config);
  });
  afterAll(() => {
    native.dispose();
  });

  const malformed: Array<[string, Int32Array, Int32Array, Int32Array]> = [
    ['offsets not ending at items.length', Int32Array.of(0, 3, 9), okItems, okTargets],
    ['offsets ending short of items.length', Int32Array.of(0, 3, 4), okItems, okTargets],
    ['decreasing offsets', Int32Array.of(0, 4, 2, 5), okItems, Int32Array.of(6, 7, 8)],
    ['negative offsets', Int32Array.of(0, -4, 5), okItems, okTargets],
    ['offsets not starting at 0', Int32Array.of(2, 3, 5), okItems, okTargets],
    ['empty offsets', new Int32Array(0), okItems, new Int32Array(0)],
    ['item 0 (padding)', okOffsets, Int32Array.of(1, 0, 3, 4, 5), okTargets],
    ['item above the catalogue', okOffsets, Int32Array.of(1, 2, 3, 4, V + 1), okTargets],
    ['huge item id', okOffsets, Int32Array.of(1, 2, 2 ** 31 - 1, 4, 5), okTargets],
    ['negative item id', okOffsets, Int32Array.of(1, 2, -7, 4, 5), okTargets],
  ];

  it.each(malformed)('rank with %s → E_INVALID_DATA', async (_name, offsets, items, targets) => {
    const r = await rawCode(() => native.rank({ offsets, items, targets, batchSize: 4, ...fullRanking }));
    expect(r.code, r.message).toBe('E_INVALID_DATA');
  });

  it.each(malformed)('topK with %s → E_INVALID_DATA', async (_name, offsets, items) => {
    const r = await rawCode(() =>
      native.topK({
        offsets,
        items,
        batchSize: 4,
        list: plainList(3, true, ''),
      }),
    );
    expect(r.code, r.message).toBe('E_INVALID_DATA');
  });

  it.each(malformed.filter(([name]) => name !== 'empty offsets'))('fit with %s → E_INVALID_DATA', async (_name, offsets, items) => {
    const r = await rawCode(() => native.fit(fitRequest(offsets, items), () => undefined));
    expect(r.code, r.message).toBe('E_INVALID_DATA');
    expect(r.sync).toBe(false); // checked on the training thread, the promise rejects
  });

  it('rank with targets out of range or the wrong count → E_INVALID_DATA', async () => {
    for (const targets of [Int32Array.of(6, V + 1), Int32Array.of(0, 7), Int32Array.of(-1, 7), Int32Array.of(6), Int32Array.of(6, 7, 8)]) {
      const r = await rawCode(() => native.rank({ offsets: okOffsets, items: okItems, targets, batchSize: 4, ...fullRanking }));
      expect(r.code, `${targets}: ${r.message}`).toBe('E_INVALID_DATA');
    }
  });

  it('rank with sampled candidates of the wrong count or out of range → E_INVALID_DATA', async () => {
    for (const [numCandidates, candidates] of [
      [2, Int32Array.of(1, 2, 3)],
      [1, Int32Array.of(0, 2)],
      [1, Int32Array.of(1, V + 1)],
      [-1, new Int32Array(0)],
    ] as const) {
      const r = await rawCode(() =>
        native.rank({ offsets: okOffsets, items: okItems, targets: okTargets, batchSize: 4, numCandidates, candidates, adapter: '' }),
      );
      expect(['E_INVALID_DATA', 'E_INVALID_OPTION'], `${numCandidates} ${candidates}: ${r.message}`).toContain(r.code);
    }
  });

  it('bad sizes (batchSize 0, k 0) are refused', async () => {
    for (const call of [
      () => native.rank({ offsets: okOffsets, items: okItems, targets: okTargets, batchSize: 0, ...fullRanking }),
      () =>
        native.topK({
          offsets: okOffsets,
          items: okItems,
          batchSize: 1,
          list: plainList(0, true, ''),
        }),
      () =>
        native.topK({
          offsets: okOffsets,
          items: okItems,
          batchSize: 0,
          list: plainList(2, true, ''),
        }),
      () => native.fit({ ...fitRequest(okOffsets, okItems), batchSize: 0 }, () => undefined),
    ]) {
      const r = await rawCode(call);
      expect(['E_INVALID_DATA', 'E_INVALID_OPTION'], r.message).toContain(r.code);
    }
  });

  it('wrong types → E_INVALID_OPTION naming the field', async () => {
    const cases: Array<[string, () => unknown]> = [
      ['rank.request.offsets', () => native.rank({ offsets: 'abc' as never, items: okItems, targets: okTargets, batchSize: 4, ...fullRanking })],
      ['rank.request.items', () => native.rank({ offsets: okOffsets, items: [1, 2, 3, 4, 5] as never, targets: okTargets, batchSize: 4, ...fullRanking })],
      [
        'rank.request.targets',
        () => native.rank({ offsets: okOffsets, items: okItems, targets: Float32Array.of(6, 7) as never, batchSize: 4, ...fullRanking }),
      ],
      ['rank.request.batchSize', () => native.rank({ offsets: okOffsets, items: okItems, targets: okTargets, batchSize: '4' as never, ...fullRanking })],
      [
        'topK.request.list.k',
        () =>
          native.topK({
            offsets: okOffsets,
            items: okItems,
            batchSize: 4,
            list: { ...plainList(2, true, ''), k: 1.5 },
          }),
      ],
      [
        'topK.request.list.excludeSeen',
        () =>
          native.topK({
            offsets: okOffsets,
            items: okItems,
            batchSize: 4,
            list: { ...plainList(2, true, ''), excludeSeen: 1 as never },
          }),
      ],
      ['fit.request.items', () => native.fit({ ...fitRequest(okOffsets, okItems), items: 'x' as never }, () => undefined)],
      ['fit.request.lr', () => native.fit({ ...fitRequest(okOffsets, okItems), lr: null as never }, () => undefined)],
      ['fit.onProgress', () => native.fit(fitRequest(okOffsets, okItems), 'callback' as never)],
      ['rank.request', () => native.rank('request' as never)],
      ['config.numItems', () => new (addon().NativeModel)({ ...config, numItems: '10' as never })],
      ['config.device', () => new (addon().NativeModel)({ ...config, device: 5 as never })],
    ];
    for (const [field, call] of cases) {
      const r = await rawCode(call);
      expect(r.code, `${field}: ${r.message}`).toBe('E_INVALID_OPTION');
      expect(r.message).toContain(field);
    }
    const missing = await rawCode(() => (native.rank as unknown as () => unknown)());
    expect(missing.code).toBe('E_INVALID_OPTION');
    const noRequestField = await rawCode(() => native.rank({ offsets: okOffsets, items: okItems, batchSize: 4 } as never));
    expect(noRequestField.code).toBe('E_INVALID_OPTION');
    expect(noRequestField.message).toContain('targets');
  });

  it('importState with tensors of the wrong size or name → E_CHECKPOINT, not a crash', async () => {
    const state = await native.exportState();
    const emb = state.tensors.find((t) => t.name === 'model.itemEmbedding.weight')!;
    const short = { ...state, tensors: state.tensors.map((t) => (t === emb ? { ...t, data: t.data.subarray(0, 8) } : t)) };
    expect((await rawCode(() => native.importState(short))).code).toBe('E_CHECKPOINT');
    const reshaped = { ...state, tensors: state.tensors.map((t) => (t === emb ? { ...t, shape: [t.shape[1]!, t.shape[0]!] } : t)) };
    expect((await rawCode(() => native.importState(reshaped))).code).toBe('E_CHECKPOINT');
    const badDtype = { ...state, tensors: state.tensors.map((t) => (t === emb ? { ...t, dtype: 'Q4' } : t)) };
    expect((await rawCode(() => native.importState(badDtype))).code).toBe('E_CHECKPOINT');
    const missing = { ...state, tensors: state.tensors.filter((t) => t !== emb) };
    expect((await rawCode(() => native.importState(missing))).code).toBe('E_CHECKPOINT');
  });

  it('the model still works after all of that', async () => {
    const ranks = await native.rank({ offsets: okOffsets, items: okItems, targets: okTargets, batchSize: 4, ...fullRanking });
    expect(ranks).toBeInstanceOf(Int32Array);
    expect(ranks.length).toBe(2);
    for (const r of ranks) expect(r >= 1 && r <= V).toBe(true);
    const top = await native.topK({
      offsets: okOffsets,
      items: okItems,
      batchSize: 4,
      list: plainList(3, true, ''),
    });
    expect(top.k).toBe(3);
    const fit = await native.fit(fitRequest(okOffsets, okItems), () => undefined);
    expect(fit.steps).toBe(1);
  });

  it('after dispose, raw calls are E_DISPOSED', async () => {
    const m = new (addon().NativeModel)(config);
    m.dispose();
    m.dispose(); // idempotent
    expect((await rawCode(() => m.rank({ offsets: okOffsets, items: okItems, targets: okTargets, batchSize: 4, ...fullRanking }))).code).toBe('E_DISPOSED');
    expect((await rawCode(() => m.info())).code).toBe('E_DISPOSED');
    expect(m.abortFit()).toBe(false);
  });
});

describe("errors keep the caller's stack", () => {
  let model: SASRec;
  beforeAll(async () => {
    model = await SASRec.create({ items: V, dim: 16, heads: 2, layers: 1, maxLen: 8, threads: 1 });
  });
  afterAll(async () => {
    await model.dispose();
  });

  it('option errors', async () => {
    const err = await rejection(SASRec.create({ items: 10, dim: 30, heads: 4 }));
    expect(err.stack).toContain(THIS_FILE);
  });

  it('native errors from a worker-pool call (rank with a bad target)', async () => {
    const e = tinyData.split('leave-one-out').test;
    const err = await rejection(model.rank({ ...e, targets: e.targets.map(() => V + 3) }));
    expect(err.code).toBe('E_INVALID_DATA');
    expect(err.stack).toContain(THIS_FILE);
    expect(err.stack).toContain('E_INVALID_DATA');
  });

  it('native errors from the training thread (fit)', async () => {
    const single = Dataset.fromSequences([[1], [2]], V);
    const err = await rejection(model.fit(single, { steps: 1 }));
    expect(err.code).toBe('E_INVALID_DATA');
    expect(err.stack).toContain(THIS_FILE);
  });

  it('E_BUSY, E_DISPOSED and E_CHECKPOINT', async () => {
    const controller = new AbortController();
    const run = model.fit(tinyData, { steps: 100_000, batchSize: 2, signal: controller.signal });
    const settled = run.then(
      () => undefined,
      (e: unknown) => e,
    );
    const busy = await rejection(model.rank(tinyData.split('leave-one-out').test));
    controller.abort();
    expect(isSeqrecError(await settled, 'E_ABORTED')).toBe(true);
    expect(busy.code).toBe('E_BUSY');
    expect(busy.stack).toContain(THIS_FILE);

    const m = await SASRec.create({ items: V, dim: 8, heads: 1, layers: 1, maxLen: 4, threads: 1 });
    await m.dispose();
    const disposed = await rejection(m.recommend([1]));
    expect(disposed.code).toBe('E_DISPOSED');
    expect(disposed.stack).toContain(THIS_FILE);

    const ckpt = await rejection(loadModel('/nonexistent/dir/model.safetensors'));
    expect(ckpt.code).toBe('E_CHECKPOINT');
    expect(ckpt.stack).toContain(THIS_FILE);
  });

  it('E_ABORTED from a fit stopped by its AbortSignal', async () => {
    const controller = new AbortController();
    let err: unknown;
    try {
      await model.fit(tinyData, { steps: 100_000, batchSize: 2, progressEvery: 1, signal: controller.signal, onProgress: () => controller.abort() });
    } catch (e) {
      err = e;
    }
    expect(isSeqrecError(err, 'E_ABORTED')).toBe(true);
    expect((err as Error).stack).toContain(THIS_FILE);
  });
});

describe('versions()', () => {
  it('reports torch, Node-API, threads and SDPA', () => {
    const v = versions();
    console.log('versions()', v);
    expect(typeof v.torch).toBe('string');
    expect(v.torch).toMatch(/^\d+\.\d+(\.\d+)?/);
    expect(v.napi).toBeGreaterThanOrEqual(8);
    expect(Number.isInteger(v.threads) && v.threads >= 1).toBe(true);
    expect(typeof v.sdpa).toBe('boolean');
    expect(typeof v.cuda).toBe('boolean');
    expect(v.cudaDevices).toBeGreaterThanOrEqual(v.cuda ? 1 : 0);
    expect(typeof v.deviceName).toBe('string');
    expect(v.seqrec).toMatch(/^\d+\.\d+\.\d+/);
  });
});
