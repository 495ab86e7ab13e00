/**
 * Prefix tuning against a reference outside the addon: tests/parity/reference_prefix.py reads seqrec's
 * adapter folder the way PEFT does (PeftConfig → PrefixTuningConfig, load_peft_weights, PrefixEncoder and
 * PeftModel.get_prompt's reshaping into each layer's keys and values) and recomputes the SASRec from the
 * checkpoint's tensors in float64, the prefix before every block's keys. A trained prefix (not its start),
 * every item's score; atol 1e-4 (seqrec computes in fp32). Skipped when the Python has no torch or peft.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SASRec, syntheticDataset } from '../../lib/index.js';
import { maxAbsDiff } from '../helpers/compare.js';
import { PYTHON, pythonHas } from '../helpers/python.js';
import { tempDir } from '../helpers/temp.js';

const SCRIPT = fileURLToPath(new URL('./reference_prefix.py', import.meta.url));
const ready = pythonHas('torch', 'peft', 'safetensors');
const DIR = tempDir('prefix-parity');
const V = 50;
const L = 12;

describe.skipIf(!ready)('prefix adapters vs PEFT-read prefixes in PyTorch', () => {
  it('every item score of 3 histories matches the float64 recomputation (atol 1e-4)', async () => {
    const data = syntheticDataset({ users: 200, items: V, seed: 4, minLength: 6, maxLength: 20 });
    await using model = await SASRec.create({ items: V, dim: 16, layers: 2, heads: 2, maxLen: L, seed: 2, threads: 1 });
    await model.fit(data, { steps: 20, batchSize: 32, lr: 5e-3 });
    await model.addAdapter('p', { kind: 'prefix', virtualTokens: 3 });
    await model.fit(data, { steps: 10, batchSize: 32, lr: 1e-2, adapter: 'p' });
    const checkpoint = join(DIR, 'model.safetensors');
    const adapter = join(DIR, 'prefix');
    await model.save(checkpoint);
    await model.saveAdapter('p', adapter);

    const histories = [0, 1, 2].map((u) => Array.from({ length: L }, (_, i) => 1 + ((u * 17 + i * 7) % V)));
    const run = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify({ checkpoint, adapter, histories, heads: 2 }), encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`reference_prefix.py exited with ${run.status}:\n${run.stderr}`);
    const want = (JSON.parse(run.stdout) as { scores: number[][] }).scores;
    for (const [u, history] of histories.entries()) {
      const list = await model.recommend(history, { k: V, excludeSeen: false, adapter: 'p' });
      const got = new Float64Array(V);
      for (const r of list) got[r.item - 1] = r.score;
      expect(maxAbsDiff(got, want[u]!).maxAbs).toBeLessThan(1e-4);
    }
    // and the prefix matters: without it the same model scores differently
    const plain = await model.recommend(histories[0]!, { k: V, excludeSeen: false, adapter: null });
    const got = new Float64Array(V);
    for (const r of plain) got[r.item - 1] = r.score;
    expect(maxAbsDiff(got, want[0]!).maxAbs).toBeGreaterThan(1e-3);
  }, 120_000);
});
