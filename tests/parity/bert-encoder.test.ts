/**
 * The native BERT text encoder (BertTextEncoder) against tests/parity/reference_bert.py, a float64
 * BertModel forward written from the Hugging Face definition in Python torch (the project's .venv Python or the system's python3,
 * torch 1.13; transformers itself needs torch >= 2 and cannot be installed here). Same tiny random
 * checkpoint (tests/helpers/tiny-bert.ts), same token ids: every pooled value within 1e-5, for mean and
 * CLS pooling, erf and tanh GELU, prefixed keys and F16 storage, padded batches of uneven texts. Also
 * progress, cancellation, dispose and the errors. Skipped when that Python has no torch.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BertTextEncoder } from '../../lib/index.js';
import { rejection } from '../helpers/errors.js';
import { removeTinyBerts, writeTinyBert, type TinyBertOptions } from '../helpers/tiny-bert.js';
import { expectClose } from '../helpers/compare.js';
import { PYTHON, pythonHas } from '../helpers/python.js';

const SCRIPT = fileURLToPath(new URL('./reference_bert.py', import.meta.url));
const hasTorch = pythonHas('torch');
const TEXTS = ['Toy Story (1995)', 'hello world!', 'unaffable', 'the playing cafe, a 2 toys', '大家好', 'story'];

afterAll(removeTinyBerts);

function reference(folder: string, ids: Int32Array, mask: Int32Array, shape: [number, number], pooling: string, normalize: boolean): number[] {
  const rows = (a: Int32Array) => Array.from({ length: shape[0] }, (_, i) => Array.from(a.subarray(i * shape[1], (i + 1) * shape[1])));
  const run = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify({ folder, ids: rows(ids), mask: rows(mask), pooling, normalize }), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`reference_bert.py exited with ${run.status}:\n${run.stderr}`);
  return (JSON.parse(run.stdout) as { pooled: number[][] }).pooled.flat();
}

describe.skipIf(!hasTorch)('BertTextEncoder vs a float64 BertModel forward in Python torch', () => {
  const cases: Array<{ name: string; tiny: TinyBertOptions; pooling: 'mean' | 'cls'; normalize: boolean }> = [
    { name: 'mean pooling, erf GELU', tiny: { seed: 1 }, pooling: 'mean', normalize: false },
    { name: 'CLS pooling, normalised', tiny: { seed: 2 }, pooling: 'cls', normalize: true },
    {
      name: 'tanh GELU, "bert." keys, F16 storage',
      tiny: { seed: 3, prefix: 'bert.', dtype: 'F16', config: { hidden_act: 'gelu_new' } },
      pooling: 'mean',
      normalize: true,
    },
    { name: 'ReLU', tiny: { seed: 4, config: { hidden_act: 'relu' } }, pooling: 'mean', normalize: false },
  ];
  for (const c of cases) {
    it(`${c.name}: every pooled value within 1e-5`, async () => {
      const tiny = await writeTinyBert(c.tiny);
      await using encoder = await BertTextEncoder.load(tiny.folder, { pooling: c.pooling, normalize: c.normalize, batchSize: 4, threads: 1 });
      expect(encoder.dim).toBe(8);
      const ours = await encoder.encode(TEXTS);
      const batch = encoder.tokenizer.encodeBatch(TEXTS, { maxLength: 16 });
      expect(batch.attentionMask.some((m) => m === 0)).toBe(true); // padding is exercised
      const ref = reference(tiny.folder, batch.ids, batch.attentionMask, batch.shape, c.pooling, c.normalize);
      // batches of 4 are padded to their own longest text: the result must not depend on it
      const diff = expectClose(c.name, ours.data, ref, { atol: 1e-5 });
      console.log(`${c.name}: max |ours − reference| ${diff.maxAbs.toExponential(2)}`);
    });
  }

  it('reports progress, stops on abort between batches, and refuses use after dispose', async () => {
    const tiny = await writeTinyBert({ seed: 5 });
    const encoder = await BertTextEncoder.load(tiny.folder, { batchSize: 2, threads: 1 });
    const seen: number[] = [];
    await encoder.encode(TEXTS, { onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual([2, 4, 6]);
    const controller = new AbortController();
    const aborted = encoder.encode(TEXTS, { signal: controller.signal, onProgress: () => controller.abort() });
    expect((await rejection(aborted)).code).toBe('E_ABORTED');
    encoder.dispose();
    encoder.dispose();
    expect((await rejection(encoder.encode(TEXTS))).code).toBe('E_DISPOSED');
    expect((await rejection(BertTextEncoder.load(tiny.folder, { pooling: 'max' as 'mean' }))).code).toBe('E_INVALID_OPTION');
    expect((await rejection(BertTextEncoder.load(tiny.folder, { maxLength: 17 }))).message).toMatch(/options.maxLength/);
  });
});
