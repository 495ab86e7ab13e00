/**
 * Checkpoints: save → load reproduces the model exactly, the file is a plain safetensors file with
 * seqrec metadata, bad files fail with E_CHECKPOINT naming the file, writes are atomic, and an
 * interrupted run resumed from its checkpoint continues bit-for-bit like an uninterrupted one.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BERT4Rec, SASRec, type SeqrecError, loadModel, readSafetensors, syntheticDataset, writeSafetensors, type FitSummary } from '../../lib/index.js';
import { rejection } from '../helpers/errors.js';
import { subfolders, tempDir } from '../helpers/temp.js';

const freshDir = subfolders(tempDir('ckpt'));

const V = 120;
const data = syntheticDataset({ users: 200, items: V, seed: 3, minLength: 8, maxLength: 25 });
const { train, test } = data.split('leave-one-out');
const ARCH = { items: V, dim: 16, layers: 2, heads: 2, maxLen: 20, seed: 11, threads: 1 } as const;

describe('save and load', () => {
  let model: SASRec;
  let path: string;
  let dir: string;

  beforeAll(async () => {
    model = await SASRec.create(ARCH);
    await model.fit(train, { steps: 20, batchSize: 32, lr: 3e-3 });
    dir = freshDir();
    path = join(dir, 'model.safetensors');
    await model.save(path);
  });
  afterAll(async () => {
    await model.dispose();
  });

  it('loadModel and SASRec.load reproduce evaluate() ranks and recommend() exactly', async () => {
    const want = await model.evaluate(test);
    const wantRecs = await model.recommend(test.items.subarray(test.offsets[0]!, test.offsets[1]!), { k: 10 });
    for (const load of [() => loadModel(path), () => SASRec.load(path)]) {
      const loaded = await load();
      try {
        expect(loaded).toBeInstanceOf(SASRec);
        expect(loaded.config).toEqual(model.config);
        expect(loaded.info().trainStep).toBe(20);
        expect(loaded.info().parameters).toBe(model.info().parameters);
        const got = await loaded.evaluate(test);
        expect(got.ranks).toEqual(want.ranks);
        expect(got.metrics).toEqual(want.metrics);
        expect(await loaded.recommend(test.items.subarray(test.offsets[0]!, test.offsets[1]!), { k: 10 })).toEqual(wantRecs);
      } finally {
        await loaded.dispose();
      }
    }
  });

  it('load(path, { inference: true }) keeps no optimizer state: same answers, less memory, no resume', async () => {
    await using full = await SASRec.load(path);
    await using serving = await SASRec.load(path, { inference: true });
    const [a, b] = [full.info(), serving.info()];
    expect(a.parameterBytes).toBe(4 * a.parameters); // fp32 parameters (no text: the item-text buffers are empty)
    expect(a.optimizerBytes).toBe(2 * 4 * a.parameters); // two fp32 moments per trained parameter
    expect(b.parameterBytes).toBe(a.parameterBytes);
    expect(b.optimizerBytes).toBe(0);
    const history = test.items.subarray(test.offsets[0]!, test.offsets[1]!);
    expect(await serving.recommend(history, { k: 10 })).toEqual(await full.recommend(history, { k: 10 }));
    expect((await rejection(serving.fit(train, { steps: 20, batchSize: 32, lr: 3e-3, resume: true }))).code).toBe('E_INVALID_OPTION');
  });

  it('load options override threads', async () => {
    const loaded = await SASRec.load(path, { threads: 2 });
    try {
      expect(loaded.config.threads).toBe(2);
      expect((await loaded.evaluate(test)).ranks).toEqual((await model.evaluate(test)).ranks);
    } finally {
      await loaded.dispose();
    }
  });

  it('writes a valid safetensors file with seqrec metadata', async () => {
    const file = await readSafetensors(path);
    expect(file.metadata.format).toBe('seqrec-checkpoint');
    expect(file.metadata.formatVersion).toBe('1');
    expect(JSON.parse(file.metadata.config!)).toEqual(model.config);
    expect(file.metadata.trainStep).toBe('20');
    expect(file.metadata.hasOptimizer).toBe('true');
    const names = file.tensors.map((t) => t.name);
    expect(names).toContain('model.itemEmbedding.weight');
    expect(names.some((n) => n.startsWith('optim.') && n.endsWith('.exp_avg'))).toBe(true);
    const params = file.tensors.filter((t) => t.name.startsWith('model.'));
    const moments = file.tensors.filter((t) => t.name.startsWith('optim.'));
    expect(moments.length).toBe(2 * params.length);
    const emb = file.tensors.find((t) => t.name === 'model.itemEmbedding.weight')!;
    expect(emb.dtype).toBe('F32');
    expect(emb.shape).toEqual([V + 1, ARCH.dim]);
    let count = 0;
    for (const t of params) count += t.shape.reduce((a, b) => a * b, 1);
    expect(count).toBe(model.info().parameters);
    // the header is the safetensors layout: u64 LE header length, then JSON
    const bytes = readFileSync(path);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, unknown>;
    expect((header.__metadata__ as Record<string, string>).format).toBe('seqrec-checkpoint');
  });

  it('is atomic: no temporary files remain after saves, overwrites included', async () => {
    await model.save(path); // overwrite
    await model.save(join(dir, 'second.safetensors'));
    expect(readdirSync(dir).sort()).toEqual(['model.safetensors', 'second.safetensors']);
  });

  it('the next save removes temporaries left by a writer that died mid-write, and no live one', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!; // a pid that no longer runs
    const stale = [`model.safetensors.tmp-${gone}-0123456789ab`, `model.safetensors.tmp-${process.pid}-ba9876543210`];
    const kept = [`model.safetensors.tmp-${process.ppid}-00000000aaaa`, 'second.safetensors.tmp-1-0123456789ab', 'model.safetensors.tmp-notes.txt'];
    for (const name of [...stale, ...kept]) writeFileSync(join(dir, name), 'x'.repeat(1000));
    await model.save(path);
    // another target's temporaries, a live process's and files of other shapes stay
    expect(readdirSync(dir).sort()).toEqual(['model.safetensors', 'second.safetensors', ...kept].sort());
    for (const name of kept) rmSync(join(dir, name));
  });

  it('an aborted save leaves the old file untouched', async () => {
    const before = readFileSync(path);
    const err = await rejection(model.save(path, { signal: AbortSignal.abort() }));
    expect(err.code).toBe('E_ABORTED');
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['model.safetensors', 'second.safetensors']);
  });

  it('a missing directory is E_CHECKPOINT, not silently created', async () => {
    const err = await rejection(model.save(join(dir, 'nope', 'x.safetensors')));
    expect(err.code).toBe('E_CHECKPOINT');
  });

  it('an untrained model saves without optimizer state and cannot resume', async () => {
    const fresh = await SASRec.create(ARCH);
    const p = join(freshDir(), 'fresh.safetensors');
    try {
      await fresh.save(p);
      const file = await readSafetensors(p);
      expect(file.metadata.hasOptimizer).toBe('false');
      expect(file.tensors.every((t) => t.name.startsWith('model.'))).toBe(true);
    } finally {
      await fresh.dispose();
    }
    const loaded = await SASRec.load(p);
    try {
      expect(loaded.info().trainStep).toBe(0);
      const err = await rejection(loaded.fit(train, { steps: 2, resume: true }));
      expect(err.code).toBe('E_INVALID_OPTION');
    } finally {
      await loaded.dispose();
    }
  });
});

describe('architecture checks', () => {
  it('BERT4Rec checkpoints load as BERT4Rec; SASRec.load refuses them with E_CHECKPOINT', async () => {
    const bert = await BERT4Rec.create(ARCH);
    const path = join(freshDir(), 'bert.safetensors');
    try {
      await bert.fit(train, { steps: 3, batchSize: 32 });
      await bert.save(path);
      const want = await bert.evaluate(test);
      const any = await loadModel(path);
      try {
        expect(any).toBeInstanceOf(BERT4Rec);
        expect((await any.evaluate(test)).ranks).toEqual(want.ranks);
      } finally {
        await any.dispose();
      }
      const b = await BERT4Rec.load(path);
      await b.dispose();
    } finally {
      await bert.dispose();
    }
    const err = await rejection(SASRec.load(path));
    expect(err.code).toBe('E_CHECKPOINT');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/bert4rec/);
  });
});

describe('bad files', () => {
  let good: Buffer;
  let goodPath: string;

  beforeAll(async () => {
    const m = await SASRec.create({ ...ARCH, layers: 1 });
    goodPath = join(freshDir(), 'good.safetensors');
    try {
      await m.fit(train, { steps: 2, batchSize: 16 });
      await m.save(goodPath);
    } finally {
      await m.dispose();
    }
    good = readFileSync(goodPath);
  });

  async function expectCheckpointError(path: string): Promise<SeqrecError> {
    const viaLoadModel = await rejection(loadModel(path));
    const viaSASRec = await rejection(SASRec.load(path));
    for (const err of [viaLoadModel, viaSASRec]) {
      expect(err.code).toBe('E_CHECKPOINT');
      expect(err.message).toContain(path);
    }
    return viaLoadModel;
  }

  it('a missing file', async () => {
    await expectCheckpointError(join(freshDir(), 'missing.safetensors'));
  });

  it('a truncated file (tensor data cut short)', async () => {
    const p = join(freshDir(), 'truncated.safetensors');
    writeFileSync(p, good.subarray(0, good.length - 100));
    await expectCheckpointError(p);
  });

  it('a file cut inside its header', async () => {
    const p = join(freshDir(), 'short-header.safetensors');
    writeFileSync(p, good.subarray(0, 40));
    await expectCheckpointError(p);
  });

  it('shorter than the 8-byte length prefix, and empty', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'tiny'), Buffer.from([1, 2, 3]));
    writeFileSync(join(dir, 'empty'), Buffer.alloc(0));
    await expectCheckpointError(join(dir, 'tiny'));
    await expectCheckpointError(join(dir, 'empty'));
  });

  it('random bytes / an absurd header length', async () => {
    const p = join(freshDir(), 'garbage.safetensors');
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) & 0xff;
    writeFileSync(p, bytes);
    await expectCheckpointError(p);
  });

  it('a corrupted JSON header', async () => {
    const p = join(freshDir(), 'badjson.safetensors');
    const bytes = Buffer.from(good);
    bytes[8] = '!'.charCodeAt(0); // first byte of the JSON header
    writeFileSync(p, bytes);
    await expectCheckpointError(p);
  });

  it('a valid safetensors file that is not a seqrec checkpoint', async () => {
    const p = join(freshDir(), 'foreign.safetensors');
    await writeSafetensors(p, { tensors: [{ name: 'w', dtype: 'F32', shape: [2], data: new Uint8Array(8) }], metadata: {} });
    const err = await expectCheckpointError(p);
    expect(err.message).toContain('metadata.format');
  });

  it('a checkpoint whose config does not match its tensors', async () => {
    const file = await readSafetensors(goodPath);
    const config = JSON.parse(file.metadata.config!) as Record<string, unknown>;
    const p = join(freshDir(), 'mismatch.safetensors');
    await writeSafetensors(p, { tensors: file.tensors, metadata: { ...file.metadata, config: JSON.stringify({ ...config, items: V + 5 }) } });
    await expectCheckpointError(p);
  });

  it('a checkpoint with a tensor missing', async () => {
    const file = await readSafetensors(goodPath);
    const p = join(freshDir(), 'missing-tensor.safetensors');
    await writeSafetensors(p, { tensors: file.tensors.filter((t) => t.name !== 'model.finalNorm.weight'), metadata: file.metadata });
    const err = await expectCheckpointError(p);
    expect(err.message).toContain('model.finalNorm.weight');
  });

  it.each([
    ['model.blocks.0.ffnIn.weight', Number.NaN, 'NaN'],
    ['optim.itemEmbedding.weight.exp_avg_sq', Number.POSITIVE_INFINITY, 'Inf'],
  ])('a checkpoint whose %s holds a %s is refused, naming the tensor', async (name, bad, shown) => {
    const file = await readSafetensors(goodPath);
    expect(file.tensors.map((t) => t.name)).toContain(name);
    const tensors = file.tensors.map((t) => {
      if (t.name !== name) return t;
      const data = new Uint8Array(t.data); // a copy
      new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4)[5] = bad;
      return { ...t, data };
    });
    const p = join(freshDir(), 'non-finite.safetensors');
    await writeSafetensors(p, { tensors, metadata: file.metadata });
    const err = await expectCheckpointError(p);
    expect(err.message).toContain(`tensor "${name}" holds 1 non-finite value(s); the first, at flat index 5, is ${shown}`);
  });

  it('a checkpoint with an invalid config', async () => {
    const file = await readSafetensors(goodPath);
    const p = join(freshDir(), 'badconfig.safetensors');
    const config = JSON.parse(file.metadata.config!) as Record<string, unknown>;
    await writeSafetensors(p, { tensors: file.tensors, metadata: { ...file.metadata, config: JSON.stringify({ ...config, heads: 3 }) } });
    const err = await expectCheckpointError(p);
    expect(err.message).toContain('metadata.config');
  });
});

describe('resume exactness', () => {
  const STEPS = 24;
  const FIT = { steps: STEPS, batchSize: 32, lr: 3e-3, warmupSteps: 4, progressEvery: 1 } as const;
  // dropout on, so resuming must also restore the dropout stream
  const MODEL = { ...ARCH, dropout: 0.3, attnDropout: 0.1 } as const;

  async function interruptedRun(accumulate: number) {
    const fit = { ...FIT, accumulate };
    // A: uninterrupted
    const a = await SASRec.create(MODEL);
    const full = await a.fit(train, fit);
    const wantRanks = (await a.evaluate(test)).ranks;
    await a.dispose();
    expect(full.losses.length).toBe(STEPS);

    // B: aborted from its own progress callback at step >= 8
    const b = await SASRec.create(MODEL);
    const controller = new AbortController();
    let abortedAt = -1;
    const err = await rejection(
      b.fit(train, {
        ...fit,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step >= 8 && abortedAt < 0) {
            abortedAt = p.step;
            controller.abort();
          }
        },
      }),
    );
    expect(err.code).toBe('E_ABORTED');
    const partial = (err.details as { summary: FitSummary }).summary;
    expect(partial.losses.length).toBe(partial.steps);
    expect(partial.steps).toBeGreaterThanOrEqual(abortedAt);
    expect(partial.steps).toBeLessThan(STEPS);
    expect(b.info().trainStep).toBe(partial.steps);
    const path = join(freshDir(), 'interrupted.safetensors');
    await b.save(path);

    // C: a fresh process-equivalent model from the checkpoint, resumed with the same options
    const c = await SASRec.load(path);
    expect(c.info().trainStep).toBe(partial.steps);
    const rest = await c.fit(train, { ...fit, resume: true });
    expect(rest.steps).toBe(STEPS);
    expect(rest.losses.length).toBe(STEPS - partial.steps);
    const resumed = [...Array.from(partial.losses), ...Array.from(rest.losses)];
    expect(resumed).toEqual(Array.from(full.losses));
    expect((await c.evaluate(test)).ranks).toEqual(wantRanks);
    await c.dispose();

    // B itself can resume in memory, with the same result
    const restB = await b.fit(train, { ...fit, resume: true });
    expect(Array.from(restB.losses)).toEqual(Array.from(rest.losses));
    await b.dispose();
    return { abortedAt, stoppedAt: partial.steps };
  }

  it('abort at step >= 8, save, load, resume: losses concatenate to the uninterrupted run bit for bit', async () => {
    const { abortedAt, stoppedAt } = await interruptedRun(1);
    console.log(`resume: abort requested at step ${abortedAt}, stopped after step ${stoppedAt}`);
  });

  it('the same holds with gradient accumulation', async () => {
    await interruptedRun(2);
  });

  // 7 steps an epoch (200 users, 32 a batch): step 25 is inside epoch 4, after three validations; step 21
  // ends epoch 3, so the abort lands between the segment and the next one (while validating)
  it.each([25, 21])('with validation: interrupted at step %i, saved, loaded and resumed, the run ends exactly as the uninterrupted one', async (at) => {
    const { valid } = data.split('leave-one-out');
    const fit = { epochs: 14, batchSize: 32, lr: 1e-2, progressEvery: 1, validation: { data: valid, patience: 3 } } as const;
    const a = await SASRec.create(MODEL);
    const full = await a.fit(train, fit);
    const wantRanks = (await a.evaluate(test)).ranks;
    await a.dispose();

    const b = await SASRec.create(MODEL);
    const controller = new AbortController();
    const onProgress = (p: { step: number }) => p.step === at && controller.abort();
    const err = await rejection(b.fit(train, { ...fit, signal: controller.signal, onProgress }));
    expect(err.code).toBe('E_ABORTED');
    const partial = (err.details as { summary: FitSummary }).summary;
    expect(partial.steps).toBeGreaterThanOrEqual(at); // the abort reaches the trainer within a step or two
    expect(partial.losses).toHaveLength(partial.steps); // every step of this fit, across its segments
    const path = join(freshDir(), 'validated.safetensors');
    await b.save(path);
    await b.dispose();
    const names = (await readSafetensors(path)).tensors.map((t) => t.name);
    expect(names).toContain('best.model.itemEmbedding.weight'); // the best validated weights travel with the run

    const c = await SASRec.load(path);
    const rest = await c.fit(train, { ...fit, resume: true });
    expect(rest.validation).toEqual(full.validation);
    expect(rest.steps).toBe(full.steps);
    expect((await c.evaluate(test)).ranks).toEqual(wantRanks);
    console.log(
      `resume with validation: ${full.validation!.history.length} validations, best at epoch ${full.validation!.best.epoch}, stopped early ${full.validation!.stoppedEarly}, restored ${full.validation!.restored}`,
    );
    // a complete run cannot be resumed; a new run needs no resume
    expect((await rejection(c.fit(train, { ...fit, resume: true }))).message).toContain('the run is complete');
    await c.dispose();
  });

  describe('options that differ from the run being resumed', () => {
    let m: SASRec;
    let stopped: number; // the step the run stopped at
    beforeAll(async () => {
      m = await SASRec.create(MODEL);
      const controller = new AbortController();
      const onProgress = (p: { step: number }) => p.step === 5 && controller.abort();
      expect((await rejection(m.fit(train, { ...FIT, signal: controller.signal, onProgress }))).code).toBe('E_ABORTED');
      stopped = m.info().trainStep;
      // the report of step 5 reaches JS while the training thread goes on: the abort reaches it a step or two later
      expect(stopped).toBeGreaterThanOrEqual(5);
      expect(stopped).toBeLessThan(STEPS);
    });
    afterAll(() => m.dispose());

    it.each([
      ['lr', { lr: 4e-3 }, 'options.lr is 0.004, but used 0.003 in the run being resumed'],
      ['steps', { steps: 30 }, 'options.steps is 30, but used 24 in the run being resumed'],
      ['schedule', { schedule: 'linear' }, 'options.schedule is "linear", but used "cosine" in the run being resumed'],
      ['warmupSteps', { warmupSteps: 0 }, 'options.warmupSteps is 0, but used 4 in the run being resumed'],
      ['accumulate', { accumulate: 2 }, 'options.accumulate is 2, but used 1 in the run being resumed'],
      ['betas', { betas: [0.9, 0.999] }, 'options.betas[1] is 0.999, but used 0.98 in the run being resumed'],
      ['validation', { validation: { data: test } }, 'the validation data differ from those of the run being resumed'],
    ] as const)('changing %s is E_INVALID_OPTION naming the option and both values', async (_, change, message) => {
      const err = await rejection(m.fit(train, { ...FIT, ...change, resume: true } as never));
      expect(err.code).toBe('E_INVALID_OPTION');
      expect(err.message).toContain(`fit({ resume: true }): ${message}`);
      expect(err.message).toContain('a resumed run must repeat every option except progressEvery, onProgress and signal');
      expect(m.info().trainStep).toBe(stopped); // nothing trained
    });

    it('other training data are refused; progressEvery may change', async () => {
      const other = syntheticDataset({ users: 200, items: V, seed: 4, minLength: 8, maxLength: 25 }).split('leave-one-out').train;
      const err = await rejection(m.fit(other, { ...FIT, resume: true }));
      expect(err.message).toContain('fit({ resume: true }): the training data differ from those of the run being resumed');
      expect(err.details).toMatchObject({ option: 'data' });
      const rest = await m.fit(train, { ...FIT, progressEvery: 7, resume: true });
      expect(rest.steps).toBe(STEPS);
    });
  });

  it('resume: true on a model that never trained is E_INVALID_OPTION', async () => {
    const m = await SASRec.create(MODEL);
    try {
      const err = await rejection(m.fit(train, { ...FIT, resume: true }));
      expect(err.code).toBe('E_INVALID_OPTION');
    } finally {
      await m.dispose();
    }
  });
});
