/**
 * BertTextEncoder against transformers.BertModel itself: tiny seeded random checkpoints written by
 * transformers' own save_pretrained (pooler weights included, which seqrec ignores), the Hugging Face
 * model run in float64, both pooling modes, GELU and its tanh form. seqrec computes in float32, so the
 * tolerance is 1e-6 on every pooled value. Skipped, with the reason printed, only where the Python
 * side is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BertTextEncoder } from '../../lib/index.js';
import { PYTHON, pythonHas } from '../helpers/python.js';
import { TINY_CONFIG, TINY_VOCAB } from '../helpers/tiny-bert.js';
import { expectClose } from '../helpers/compare.js';
import { tempDir } from '../helpers/temp.js';

const SCRIPT = fileURLToPath(new URL('./reference_transformers_bert.py', import.meta.url));
const ready = pythonHas('transformers', 'torch');
if (!ready) console.log(`transformers BertModel parity skipped: ${PYTHON} cannot import transformers and torch (run scripts/setup.sh)`);
const root = tempDir('hfbert');
const TEXTS = ['Toy Story (1995)', 'hello world!', 'unaffable', 'the playing cafe, a 2 toys', '大家好', 'story'];

describe.skipIf(!ready)('BertTextEncoder vs transformers.BertModel (save_pretrained checkpoints, float64)', () => {
  const cases = [
    { name: 'mean pooling, erf GELU', seed: 1, pooling: 'mean', normalize: false, act: 'gelu' },
    { name: 'CLS pooling, normalised', seed: 2, pooling: 'cls', normalize: true, act: 'gelu' },
    { name: 'mean pooling, tanh GELU, 3 layers', seed: 3, pooling: 'mean', normalize: true, act: 'gelu_new', layers: 3 },
  ] as const;
  for (const c of cases) {
    it(`${c.name}: every pooled value within 1e-6, the same token ids`, async () => {
      const folder = mkdtempSync(join(root, 'bert-'));
      const config = { ...TINY_CONFIG, hidden_act: c.act, num_hidden_layers: 'layers' in c ? c.layers : TINY_CONFIG.num_hidden_layers };
      const input = JSON.stringify({ folder, config, vocab: TINY_VOCAB, seed: c.seed, texts: TEXTS, pooling: c.pooling, normalize: c.normalize });
      const run = spawnSync(PYTHON, [SCRIPT], { input, encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const reference = JSON.parse(run.stdout) as { pooled: number[][]; ids: number[][] };
      await using encoder = await BertTextEncoder.load(folder, { pooling: c.pooling, normalize: c.normalize, batchSize: 4, threads: 1 });
      const batch = encoder.tokenizer.encodeBatch(TEXTS, { maxLength: 16 });
      const rows = Array.from({ length: batch.shape[0] }, (_, i) => Array.from(batch.ids.subarray(i * batch.shape[1], (i + 1) * batch.shape[1])));
      expect(rows).toEqual(reference.ids);
      const ours = await encoder.encode(TEXTS);
      const diff = expectClose(c.name, ours.data, reference.pooled.flat(), { atol: 1e-6 });
      console.log(`transformers BertModel, ${c.name}: max |seqrec − transformers| ${diff.maxAbs.toExponential(2)}`);
    });
  }
});
