/**
 * LoRA adapters and freezing through the public API: options validation, adapter fits that leave the
 * base bit-identical, merge/unmerge, per-call adapters, freeze strategies, the PEFT folder layout
 * (keys and shapes exactly as PEFT writes them, checked again by a Python torch script that
 * recomputes W + s·B·A from the files), base-hash checks on load, and dispose with adapters; DoRA,
 * bottleneck and prefix adapters.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../lib/data/synthetic.js';
import { readSafetensors } from '../../lib/io/safetensors.js';
import { BERT4Rec, SASRec } from '../../lib/models/sasrec.js';
import type { SequentialRecommender } from '../../lib/models/recommender.js';
import { maxAbsDiff } from '../helpers/compare.js';
import { rejection, thrown } from '../helpers/errors.js';
import { PYTHON, pythonHas } from '../helpers/python.js';
import { subfolders, tempDir } from '../helpers/temp.js';

const freshDir = subfolders(tempDir('adapters'));

const V = 60;
const data = syntheticDataset({ users: 150, items: V, seed: 8, minLength: 6, maxLength: 20 });
const { train, test } = data.split('leave-one-out');
const ARCH = { items: V, dim: 16, layers: 2, heads: 2, maxLen: 16, seed: 3, threads: 1 } as const;
const FIT = { steps: 15, batchSize: 32, lr: 1e-2, weightDecay: 0 } as const;
const history = Int32Array.of(3, 9, 14, 2);

/** name → hex of the parameter bytes, from a saved checkpoint (model.* tensors). */
async function parameters(model: SequentialRecommender): Promise<Map<string, string>> {
  const path = join(freshDir(), 'p.safetensors');
  await model.save(path);
  const file = await readSafetensors(path);
  return new Map(file.tensors.filter((t) => t.name.startsWith('model.')).map((t) => [t.name.slice(6), Buffer.from(t.data).toString('hex')]));
}

const scores = async (m: SequentialRecommender, adapter?: string | null) =>
  Float64Array.from((await m.recommend(history, { k: V - 4, excludeSeen: true, ...(adapter !== undefined && { adapter }) })).map((r) => r.score));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => maxAbsDiff(a, b).maxAbs;

describe('adapter options', () => {
  let m: SASRec;
  beforeAll(async () => {
    m = await SASRec.create(ARCH);
  });
  afterAll(async () => {
    await m.dispose();
  });

  it('rejects unknown keys (with a suggestion), bad values and names', async () => {
    const e = await rejection(m.addAdapter('x', { r: 4, alpah: 8 } as never));
    expect(e.code).toBe('E_INVALID_OPTION');
    expect(e.message).toContain('did you mean options.alpha');
    expect((await rejection(m.addAdapter('x', { r: 0 }))).code).toBe('E_INVALID_OPTION');
    expect((await rejection(m.addAdapter('x', { alpha: -1 }))).code).toBe('E_INVALID_OPTION');
    expect((await rejection(m.addAdapter('x', { dropout: 1 }))).code).toBe('E_INVALID_OPTION');
    expect((await rejection(m.addAdapter('x', { targetModules: [] }))).code).toBe('E_INVALID_OPTION');
    expect((await rejection(m.addAdapter('x', { targetModules: '(' }))).code).toBe('E_INVALID_OPTION');
    expect((await rejection(m.addAdapter('a.b', {}))).code).toBe('E_INVALID_OPTION');
    const typo = await rejection(m.addAdapter('x', { targetModules: ['query', 'vaule'] }));
    expect(typo.message).toContain('did you mean "value"');
    expect((await rejection(m.addAdapter('x', { targetModules: 'blocks\\.9\\..*' }))).message).toContain('matches no layer');
    expect(m.adapters).toEqual([]);
  });

  it('selects targets by suffix list (PEFT rule) or by a regex over the whole name', async () => {
    const byList = await m.addAdapter('list', { targetModules: ['query', 'blocks.1.ffnIn'] });
    expect(byList.modules).toEqual(['blocks.0.attention.query', 'blocks.1.attention.query', 'blocks.1.ffnIn']);
    const byRegex = await m.addAdapter('regex', { targetModules: 'blocks\\.0\\.attention\\.(key|out)', r: 2, alpha: 8, rslora: true });
    expect(byRegex.modules).toEqual(['blocks.0.attention.key', 'blocks.0.attention.out']);
    expect(byRegex.scale).toBeCloseTo(8 / Math.sqrt(2), 12);
    const defaults = await m.addAdapter('defaults');
    expect(defaults).toMatchObject({ r: 8, alpha: 8, dropout: 0, rslora: false, scale: 1, targetModules: ['query', 'value'] });
    expect(defaults.parameters).toBe(4 * 8 * (16 + 16));
    expect(m.adapters.map((a) => a.name)).toEqual(['list', 'regex', 'defaults']);
    expect((await rejection(m.addAdapter('list', {}))).code).toBe('E_INVALID_OPTION'); // exists
    expect(m.activeAdapter).toBeNull(); // adding does not activate (PEFT)
  });

  it('unknown adapters are refused everywhere', async () => {
    expect(thrown(() => m.applyAdapter('nope')).code).toBe('E_INVALID_OPTION');
    for (const p of [
      m.removeAdapter('nope'),
      m.mergeAdapter('nope'),
      m.unmergeAdapter('nope'),
      m.saveAdapter('nope', freshDir()),
      m.recommend(history, { adapter: 'nope' }),
      m.evaluate(test, { adapter: 'nope' }),
      m.fit(train, { ...FIT, adapter: 'nope' }),
    ]) {
      const e = await rejection(p);
      expect(e.code).toBe('E_INVALID_OPTION');
      expect(e.message).toContain('nope');
    }
    expect((await rejection(m.fit(train, { ...FIT, adapter: 'list', freeze: { blocks: 1 } }))).code).toBe('E_INVALID_OPTION');
  });
});

describe('training an adapter', () => {
  let m: SASRec;
  let base: Map<string, string>;
  let baseScores: Float64Array;
  beforeAll(async () => {
    m = await SASRec.create(ARCH);
    await m.fit(train, { steps: 20, batchSize: 32, lr: 5e-3 });
    base = await parameters(m);
    baseScores = await scores(m);
  });
  afterAll(async () => {
    await m.dispose();
  });

  it("updates only lora_A/lora_B: the base is bit-identical, the counts are the adapter's", async () => {
    const info = await m.addAdapter('eu', { r: 4, alpha: 8, targetModules: ['query', 'value', 'ffnIn'] });
    const summary = await m.fit(train, { ...FIT, adapter: 'eu' });
    expect(m.activeAdapter).toBe('eu');
    expect(summary.parameterGroups.decay.parameters).toBe(info.parameters);
    expect(summary.parameterGroups.noDecay.parameters).toBe(0);
    expect(summary.parameterGroups.decay.tensors).toBe(2 * info.modules.length);
    const after = await parameters(m);
    expect([...after.keys()]).toEqual([...base.keys()]);
    for (const [name, bytes] of after) expect(bytes === base.get(name), `${name} changed`).toBe(true);
    // the adapter changes scores; the base alone still gives the old ones
    expect(maxDiff(await scores(m), baseScores)).toBeGreaterThan(1e-4);
    expect(maxDiff(await scores(m, null), baseScores)).toBe(0);
    // a checkpoint saved now holds no adapter optimizer state
    const path = join(freshDir(), 'm.safetensors');
    await m.save(path);
    const file = await readSafetensors(path);
    expect(file.metadata.hasOptimizer).toBe('false');
    expect(file.tensors.some((t) => t.name.startsWith('optim.') || t.name.includes('lora'))).toBe(false);
  });

  it('merged output equals the unmerged one (1e-5); unmerge restores the base bit for bit', async () => {
    const unmerged = await scores(m, 'eu');
    const ev = await m.evaluate(test, { adapter: 'eu' });
    const hash = await m.baseHash();
    await m.mergeAdapter('eu');
    expect(m.adapters.find((a) => a.name === 'eu')!.merged).toBe(true);
    const merged = await scores(m);
    const d = maxDiff(merged, unmerged);
    console.log(`merged vs unmerged recommend() scores: max |diff| ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-5);
    expect(await m.baseHash()).toBe(hash); // the hash ignores the merged adapter
    expect((await m.evaluate(test)).ranks.length).toBe(ev.ranks.length);
    // while merged: base alone / another adapter / training / removing are refused
    expect((await rejection(m.recommend(history, { adapter: null }))).code).toBe('E_INVALID_OPTION');
    expect(thrown(() => m.applyAdapter(null)).code).toBe('E_INVALID_OPTION');
    expect((await rejection(m.fit(train, FIT))).code).toBe('E_INVALID_OPTION');
    expect((await rejection(m.removeAdapter('eu'))).code).toBe('E_INVALID_OPTION');
    expect((await rejection(m.mergeAdapter('eu'))).code).toBe('E_INVALID_OPTION');
    await m.unmergeAdapter('eu');
    const restored = await parameters(m);
    for (const [name, bytes] of restored) expect(bytes === base.get(name), `${name} not restored`).toBe(true);
    expect(maxDiff(await scores(m, 'eu'), unmerged)).toBe(0);
    expect(await m.baseHash()).toBe(hash);
  });

  it('fit with validation keeps the best adapter weights, the base untouched', async () => {
    await m.addAdapter('val', { r: 2, alpha: 4 });
    const summary = await m.fit(train, { epochs: 3, batchSize: 32, lr: 2e-2, adapter: 'val', validation: { data: test, metric: 'ndcg@10', patience: 0 } });
    expect(summary.validation!.history).toHaveLength(3);
    const best = summary.validation!.best.value;
    expect((await m.evaluate(test, { adapter: 'val', metrics: ['ndcg@10'] })).metrics['ndcg@10']).toBeCloseTo(best, 12);
    const after = await parameters(m);
    for (const [name, bytes] of after) expect(bytes === base.get(name), `${name} changed`).toBe(true);
  });

  it('applyAdapter / per-call adapter / removeAdapter', async () => {
    m.applyAdapter(null);
    expect(maxDiff(await scores(m), baseScores)).toBe(0);
    m.applyAdapter('eu');
    expect(maxDiff(await scores(m), await scores(m, 'eu'))).toBe(0);
    await m.removeAdapter('eu');
    expect(m.activeAdapter).toBeNull();
    expect(m.adapters.map((a) => a.name)).toEqual(['val']);
    expect((await rejection(m.recommend(history, { adapter: 'eu' }))).code).toBe('E_INVALID_OPTION');
  });
});

describe('freeze strategies', () => {
  const cases: Array<[string, object, (name: string) => boolean]> = [
    ['embeddings', { embeddings: true }, (p) => p.startsWith('itemEmbedding.') || p.startsWith('positionEmbedding.')],
    ['first block', { blocks: 1 }, (p) => p.startsWith('blocks.0.')],
    ['bias and LayerNorm only', { biasAndNormOnly: true }, (p) => !(p.endsWith('.bias') || /Norm\.weight$/.test(p))],
  ];
  for (const [label, freeze, isFrozen] of cases) {
    it(`${label}: frozen parameters are unchanged, the others train`, async () => {
      const m = await SASRec.create(ARCH);
      try {
        const before = await parameters(m);
        const summary = await m.fit(train, { ...FIT, weightDecay: 0.1, freeze });
        const after = await parameters(m);
        let frozenCount = 0;
        for (const [name, bytes] of after) {
          if (isFrozen(name)) {
            expect(bytes === before.get(name), `${name} should be frozen`).toBe(true);
            frozenCount++;
          } else {
            expect(bytes !== before.get(name), `${name} should train`).toBe(true);
          }
        }
        const { decay, noDecay } = summary.parameterGroups;
        expect(decay.tensors + noDecay.tensors).toBe(after.size - frozenCount);
        // the checkpoint holds moments for trained tensors only, and loads back into a resumable run
        const path = join(freshDir(), 'frozen.safetensors');
        await m.save(path);
        const moments = (await readSafetensors(path)).tensors.filter((t) => t.name.endsWith('.exp_avg')).map((t) => t.name.slice(6, -8));
        expect(moments.sort()).toEqual([...after.keys()].filter((p) => !isFrozen(p)).sort());
        // a fresh run from the loaded weights, interrupted, saved and loaded again, resumes with the same freeze
        const loaded = await SASRec.load(path);
        try {
          const controller = new AbortController();
          const partial = { ...FIT, steps: 20, weightDecay: 0.1, freeze, progressEvery: 1 };
          const onProgress = (p: { step: number }) => p.step === 5 && controller.abort();
          expect((await rejection(loaded.fit(train, { ...partial, signal: controller.signal, onProgress }))).code).toBe('E_ABORTED');
          await loaded.save(path);
          const again = await SASRec.load(path);
          try {
            expect((await again.fit(train, { ...partial, resume: true })).steps).toBe(20);
          } finally {
            await again.dispose();
          }
          // resuming with other freeze options is refused, naming the option
          const other = await rejection(loaded.fit(train, { ...partial, freeze: {}, resume: true }));
          expect(other.message).toMatch(
            /^fit\(\{ resume: true \}\): options.freeze.(embeddings|blocks|biasAndNormOnly) is (false|0), but used (true|1) in the run being resumed/,
          );
        } finally {
          await loaded.dispose();
        }
      } finally {
        await m.dispose();
      }
    });
  }

  it('rejects bad freeze options', async () => {
    const m = await SASRec.create(ARCH);
    try {
      expect((await rejection(m.fit(train, { ...FIT, freeze: { blocks: 3 } }))).code).toBe('E_INVALID_OPTION');
      expect((await rejection(m.fit(train, { ...FIT, freeze: { layers: 1 } as never }))).code).toBe('E_INVALID_OPTION');
    } finally {
      await m.dispose();
    }
  });
});

describe('PEFT files', () => {
  let m: SASRec;
  let basePath: string;
  let adapterDir: string;
  beforeAll(async () => {
    m = await SASRec.create(ARCH);
    await m.fit(train, { steps: 10, batchSize: 32, lr: 5e-3 });
    basePath = join(freshDir(), 'base.safetensors');
    await m.save(basePath);
    await m.addAdapter('store-eu', { r: 4, alpha: 16, dropout: 0.05, targetModules: ['query', 'value', 'ffnOut'] });
    await m.fit(train, { ...FIT, adapter: 'store-eu' });
    adapterDir = join(freshDir(), 'store-eu');
    await m.saveAdapter('store-eu', adapterDir);
  });
  afterAll(async () => {
    await m.dispose();
  });

  it('writes adapter_config.json and adapter_model.safetensors with PEFT keys and shapes', async () => {
    expect(readdirSync(adapterDir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const config = JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      peft_type: 'LORA',
      r: 4,
      lora_alpha: 16,
      lora_dropout: 0.05,
      target_modules: ['query', 'value', 'ffnOut'],
      use_rslora: false,
      bias: 'none',
      base_model_name_or_path: 'seqrec-sasrec',
      seqrec_base_hash: await m.baseHash(),
    });
    const file = await readSafetensors(join(adapterDir, 'adapter_model.safetensors'));
    const shapes = Object.fromEntries(file.tensors.map((t) => [t.name, t.shape]));
    const want: Record<string, number[]> = {};
    for (const b of [0, 1]) {
      for (const [module, inF, outF] of [
        [`blocks.${b}.attention.query`, 16, 16],
        [`blocks.${b}.attention.value`, 16, 16],
        [`blocks.${b}.ffnOut`, 64, 16],
      ] as const) {
        want[`base_model.model.${module}.lora_A.weight`] = [4, inF];
        want[`base_model.model.${module}.lora_B.weight`] = [outF, 4];
      }
    }
    expect(shapes).toEqual(want);
    expect(file.tensors.every((t) => t.dtype === 'F32')).toBe(true);
  });

  it('round-trips: the base checkpoint + the adapter folder give the same scores', async () => {
    const loaded = await SASRec.load(basePath);
    try {
      const info = await loaded.loadAdapter(adapterDir);
      expect(info).toMatchObject({ name: 'store-eu', r: 4, alpha: 16, dropout: 0.05, targetModules: ['query', 'value', 'ffnOut'] });
      expect(maxDiff(await scores(loaded, 'store-eu'), await scores(m, 'store-eu'))).toBe(0);
      const again = await loaded.loadAdapter(adapterDir, { name: 'copy' });
      expect(again.name).toBe('copy');
    } finally {
      await loaded.dispose();
    }
  });

  it('refuses a different base (E_CHECKPOINT naming both hashes) unless verifyBase is false', async () => {
    const other = await SASRec.create({ ...ARCH, seed: 99 });
    try {
      const e = await rejection(other.loadAdapter(adapterDir));
      expect(e.code).toBe('E_CHECKPOINT');
      expect(e.message).toContain(await m.baseHash());
      expect(e.message).toContain(await other.baseHash());
      expect(other.adapters).toEqual([]);
      await other.loadAdapter(adapterDir, { verifyBase: false });
      expect(other.adapters.map((a) => a.name)).toEqual(['store-eu']);
    } finally {
      await other.dispose();
    }
  });

  it('shape, key and pairing errors name the tensor; a torn save is caught', async () => {
    const fresh = await SASRec.load(basePath);
    const copy = (edit: (config: Record<string, unknown>) => void, weights?: Buffer) => {
      const dir = freshDir();
      const config = JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
      edit(config);
      writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(config));
      writeFileSync(join(dir, 'adapter_model.safetensors'), weights ?? readFileSync(join(adapterDir, 'adapter_model.safetensors')));
      return dir;
    };
    try {
      const wrongR = await rejection(fresh.loadAdapter(copy((c) => (c.r = 8))));
      expect(wrongR.code).toBe('E_CHECKPOINT');
      expect(wrongR.message).toContain('base_model.model.blocks.0.attention.query.lora_A.weight');
      expect(wrongR.message).toContain('[4, 16], expected [8, 16]');
      const torn = copy(
        () => undefined,
        Buffer.from(readFileSync(join(adapterDir, 'adapter_model.safetensors')).map((b, i, all) => (i === all.length - 1 ? b ^ 1 : b))),
      );
      expect((await rejection(fresh.loadAdapter(torn))).message).toContain('seqrec_weights_sha256');
      // a key naming a layer the model does not have, and a lone lora_A
      const file = await readSafetensors(join(adapterDir, 'adapter_model.safetensors'));
      const { encodeSafetensors } = await import('../../lib/io/safetensors.js');
      const renamed = file.tensors.map((t) => ({ ...t, name: t.name.replace('blocks.1.ffnOut', 'blocks.7.ffnOut') }));
      const badKey = await rejection(fresh.loadAdapter(copy((c) => delete c.seqrec_weights_sha256, Buffer.from(encodeSafetensors(renamed)))));
      expect(badKey.message).toContain('base_model.model.blocks.7.ffnOut.lora_A.weight');
      const lone = file.tensors.filter((t) => t.name !== 'base_model.model.blocks.0.ffnOut.lora_B.weight');
      const missing = await rejection(fresh.loadAdapter(copy((c) => delete c.seqrec_weights_sha256, Buffer.from(encodeSafetensors(lone)))));
      expect(missing.message).toContain('base_model.model.blocks.0.ffnOut.lora_B.weight');
      expect((await rejection(fresh.loadAdapter(copy((c) => (c.bias = 'all'))))).code).toBe('E_CHECKPOINT');
      expect(fresh.adapters).toEqual([]);
    } finally {
      await fresh.dispose();
    }
  });

  const hasTorch = pythonHas('torch');
  it.skipIf(!hasTorch)('Python torch reads the files and recomputes the merged weights W + (alpha/r)·B·A (atol 1e-6)', async () => {
    await m.mergeAdapter('store-eu');
    const mergedPath = join(freshDir(), 'merged.safetensors');
    await m.save(mergedPath);
    await m.unmergeAdapter('store-eu');
    // A safetensors reader in a few lines (the python3-torch package has no safetensors module).
    const script = `
import json, struct, sys, torch
def load(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n]); data = raw[8 + n:]
    return {k: torch.frombuffer(bytearray(data[v['data_offsets'][0]:v['data_offsets'][1]]), dtype=torch.float32).reshape(v['shape'])
            for k, v in header.items() if k != '__metadata__'}
base, merged, lora = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3] + '/adapter_model.safetensors')
cfg = json.load(open(sys.argv[3] + '/adapter_config.json'))
s = cfg['lora_alpha'] / cfg['r']
worst, modules = 0.0, 0
for key in lora:
    if not key.endswith('.lora_A.weight'): continue
    module = key[len('base_model.model.'):-len('.lora_A.weight')]
    A, B = lora[key].double(), lora['base_model.model.' + module + '.lora_B.weight'].double()
    want = base['model.' + module + '.weight'].double() + s * (B @ A)
    worst = max(worst, (want - merged['model.' + module + '.weight'].double()).abs().max().item()); modules += 1
adapted = {'model.' + key[len('base_model.model.'):-len('.lora_A.weight')] + '.weight' for key in lora if key.endswith('.lora_A.weight')}
untouched = max((base[k] - merged[k]).abs().max().item() for k in base if k.startswith('model.') and k not in adapted)
print(json.dumps({'worst': worst, 'modules': modules, 'untouched': untouched}))
`;
    const run = spawnSync(PYTHON, ['-c', script, basePath, mergedPath, adapterDir], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as { worst: number; modules: number; untouched: number };
    console.log(`Python W + s·B·A vs seqrec merged weights: max |diff| ${r.worst.toExponential(2)} over ${r.modules} layers; other tensors ${r.untouched}`);
    expect(r.modules).toBe(6);
    expect(r.worst).toBeLessThan(1e-6);
    expect(r.untouched).toBe(0);
  });
});

describe('lifecycle', () => {
  it('adapter calls after dispose are E_DISPOSED', async () => {
    const m = await SASRec.create(ARCH);
    await m.addAdapter('a', { r: 2 });
    await m.dispose();
    for (const p of [m.addAdapter('b'), m.mergeAdapter('a'), m.removeAdapter('a'), m.saveAdapter('a', freshDir()), m.loadAdapter(freshDir()), m.baseHash()]) {
      expect((await rejection(p)).code).toBe('E_DISPOSED');
    }
    expect(thrown(() => m.applyAdapter('a')).code).toBe('E_DISPOSED');
  });

  it('60 create/addAdapter/adapter-fit/merge/dispose cycles keep RSS bounded', async () => {
    const tiny = syntheticDataset({ users: 60, items: 50, seed: 9, minLength: 5, maxLength: 20 });
    const cycle = async (i: number) => {
      const m = await SASRec.create({ items: 800, dim: 32, layers: 1, heads: 1, maxLen: 20, seed: i, threads: 1 });
      await m.addAdapter('a', { r: 4, targetModules: ['query', 'value', 'ffnIn', 'ffnOut'] });
      await m.addAdapter('b', { r: 2 });
      await m.fit(tiny, { steps: 2, batchSize: 16, adapter: 'a' });
      if (i % 2) await m.mergeAdapter('a');
      await m.dispose();
    };
    for (let i = 0; i < 10; i++) await cycle(i);
    const start = process.memoryUsage().rss;
    for (let i = 10; i < 70; i++) await cycle(i);
    const growth = process.memoryUsage().rss - start;
    console.log(`RSS growth over 60 adapter cycles: ${(growth / 2 ** 20).toFixed(1)} MB`);
    // one leaked model with its adapters and moments is ~0.6 MB: 60 leaks would add ~36 MB
    expect(growth).toBeLessThan(20 * 2 ** 20);
  });
});

describe('DoRA adapters', () => {
  it('train their magnitudes beside A and B, start as the base, merge, and round-trip their PEFT folder', async () => {
    await using m = await SASRec.create(ARCH);
    await m.fit(train, { steps: 20, batchSize: 32, lr: 5e-3 });
    const base = await parameters(m);
    const baseScores = await scores(m);
    const info = await m.addAdapter('dora', { r: 4, alpha: 8, targetModules: ['query', 'value'], dora: true });
    expect(info.parameters).toBe(4 * (4 * (16 + 16) + 16)); // 4 layers, each r·(in + out) + out magnitudes
    expect(maxDiff(await scores(m, 'dora'), baseScores)).toBeLessThan(1e-5); // m = ‖W‖ and B = 0: the base
    const summary = await m.fit(train, { ...FIT, adapter: 'dora' });
    expect(summary.parameterGroups.noDecay.tensors).toBe(4); // the magnitude vectors, beside A and B
    expect(summary.parameterGroups.decay.parameters + summary.parameterGroups.noDecay.parameters).toBe(info.parameters);
    for (const [name, bytes] of await parameters(m)) expect(bytes === base.get(name), `${name} changed`).toBe(true);
    const adapted = await scores(m, 'dora');
    expect(maxDiff(adapted, baseScores)).toBeGreaterThan(1e-4);

    const dir = join(freshDir(), 'dora');
    await m.saveAdapter('dora', dir);
    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.use_dora).toBe(true);
    const file = await readSafetensors(join(dir, 'adapter_model.safetensors'));
    expect(file.tensors.find((t) => t.name === 'base_model.model.blocks.0.attention.query.lora_magnitude_vector')?.shape).toEqual([16]);
    await m.removeAdapter('dora');
    await m.loadAdapter(dir);
    expect(maxDiff(await scores(m, 'dora'), adapted)).toBe(0);

    await m.mergeAdapter('dora');
    expect(maxDiff(await scores(m), adapted)).toBeLessThan(1e-5);
    await m.unmergeAdapter('dora');
    for (const [name, bytes] of await parameters(m)) expect(bytes === base.get(name), `${name} not restored`).toBe(true);
  });
});

describe('bottleneck adapters', () => {
  it('start as the base, train on the layer outputs, round-trip their folder, and are refused a merge', async () => {
    await using m = await SASRec.create(ARCH);
    await m.fit(train, { steps: 20, batchSize: 32, lr: 5e-3 });
    const base = await parameters(m);
    const baseScores = await scores(m);
    const info = await m.addAdapter('houlsby', { kind: 'bottleneck', r: 8, alpha: 8 });
    expect(info.bottleneck).toBe(true);
    expect(info.modules).toEqual(['blocks.0.attention.out', 'blocks.0.ffnOut', 'blocks.1.attention.out', 'blocks.1.ffnOut']);
    expect(info.parameters).toBe(4 * 2 * 8 * 16); // per layer A (r, out) and B (out, r)
    expect(maxDiff(await scores(m, 'houlsby'), baseScores)).toBe(0); // B starts at zero
    await m.fit(train, { ...FIT, adapter: 'houlsby' });
    for (const [name, bytes] of await parameters(m)) expect(bytes === base.get(name), `${name} changed`).toBe(true);
    const adapted = await scores(m, 'houlsby');
    expect(maxDiff(adapted, baseScores)).toBeGreaterThan(1e-4);
    expect((await rejection(m.mergeAdapter('houlsby'))).message).toMatch(/bottleneck adapter, which is not a low-rank update/);

    const dir = join(freshDir(), 'houlsby');
    await m.saveAdapter('houlsby', dir);
    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.peft_type).toBe('SEQREC_BOTTLENECK'); // PEFT refuses it rather than reading it as LoRA
    await m.removeAdapter('houlsby');
    await m.loadAdapter(dir);
    expect(maxDiff(await scores(m, 'houlsby'), adapted)).toBe(0);
    expect((await rejection(m.addAdapter('x', { kind: 'bottleneck', dora: true }))).message).toMatch(/options\.dora/);
  });
});

describe('prefix adapters', () => {
  it("add learned keys and values to every block, train only them, round-trip PEFT's PREFIX_TUNING layout, and are refused a merge", async () => {
    for (const make of [() => SASRec.create(ARCH), () => BERT4Rec.create(ARCH)]) {
      await using m = await make();
      await m.fit(train, { steps: 20, batchSize: 32, lr: 5e-3 });
      const base = await parameters(m);
      const baseScores = await scores(m);
      const info = await m.addAdapter('prefix', { kind: 'prefix', virtualTokens: 5 });
      expect(info).toMatchObject({ prefix: true, r: 5, modules: ['blocks.0.attention.key', 'blocks.1.attention.key'] });
      expect(info.parameters).toBe(2 * 2 * 5 * 16); // per block P keys and P values of width d
      const start = await scores(m, 'prefix');
      expect(maxDiff(start, baseScores)).toBeGreaterThan(0); // it starts as 5 random items' keys and values: seen, not zero
      await m.fit(train, { ...FIT, adapter: 'prefix' });
      for (const [name, bytes] of await parameters(m)) expect(bytes === base.get(name), `${name} changed`).toBe(true);
      const adapted = await scores(m, 'prefix');
      expect(maxDiff(adapted, start)).toBeGreaterThan(1e-4);
      expect(maxDiff(await scores(m, null), baseScores)).toBe(0);
      expect((await rejection(m.mergeAdapter('prefix'))).message).toMatch(/is a prefix, which is not a low-rank update/);

      const dir = join(freshDir(), 'prefix');
      await m.saveAdapter('prefix', dir);
      const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
      expect(config).toMatchObject({
        peft_type: 'PREFIX_TUNING',
        num_virtual_tokens: 5,
        num_layers: 2,
        token_dim: 16,
        num_attention_heads: 2,
        prefix_projection: false,
      });
      const file = await readSafetensors(join(dir, 'adapter_model.safetensors'));
      expect(file.tensors.map((t) => [t.name, t.shape])).toEqual([['prompt_embeddings', [5, 2 * 2 * 16]]]);
      await m.removeAdapter('prefix');
      await m.loadAdapter(dir);
      expect(maxDiff(await scores(m, 'prefix'), adapted)).toBe(0);

      writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...config, num_layers: 3 }));
      const e = await rejection(m.loadAdapter(dir, { name: 'other', verifyBase: false }));
      expect(e.code).toBe('E_CHECKPOINT');
      expect(e.message).toMatch(/num_layers is 3, expected 2/);
    }
  });

  it('refuses the options a prefix does not have, and virtualTokens on other kinds', async () => {
    await using m = await SASRec.create(ARCH);
    for (const key of ['r', 'alpha', 'dropout', 'targetModules', 'rslora', 'dora'] as const) {
      const e = await rejection(m.addAdapter('p', { kind: 'prefix', [key]: key === 'targetModules' ? ['key'] : key === 'r' ? 4 : true } as never));
      expect(e.message).toContain(`options.${key}`);
    }
    expect((await rejection(m.addAdapter('p', { virtualTokens: 4 }))).message).toMatch(/options\.virtualTokens/);
    expect((await rejection(m.addAdapter('p', { kind: 'prefix', virtualTokens: 0 }))).message).toMatch(/options\.virtualTokens/);
    expect(m.adapters).toEqual([]);
  });
});
