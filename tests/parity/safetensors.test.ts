/**
 * Checkpoints against the `safetensors` Python package: a file seqrec writes opens there with every
 * tensor (names, dtypes, shapes, values) and the metadata, and the file that package writes back from
 * them loads in seqrec into a model that ranks exactly as the original. Skipped, with the reason
 * printed, only where the Python side is missing.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readSafetensors, SASRec, syntheticDataset } from '../../lib/index.js';
import { PYTHON, pythonHas } from '../helpers/python.js';
import { tempDir } from '../helpers/temp.js';

const SCRIPT = fileURLToPath(new URL('./reference_safetensors.py', import.meta.url));
const ready = pythonHas('safetensors', 'torch');
if (!ready) console.log(`safetensors parity skipped: ${PYTHON} cannot import safetensors and torch (run scripts/setup.sh)`);
const dir = tempDir('st');

describe.skipIf(!ready)('checkpoints and the safetensors Python package', () => {
  it('Python reads what seqrec writes; seqrec loads what Python writes back, and ranks identically', async () => {
    const data = syntheticDataset({ users: 150, items: 80, seed: 2, minLength: 6, maxLength: 20 });
    const { train, test } = data.split('leave-one-out');
    const model = await SASRec.create({ items: 80, dim: 16, layers: 1, heads: 2, maxLen: 20, seed: 4, threads: 1 });
    const written = join(dir, 'seqrec.safetensors');
    const rewritten = join(dir, 'python.safetensors');
    try {
      await model.fit(train, { steps: 6, batchSize: 32 });
      await model.save(written);
      const run = spawnSync(PYTHON, [SCRIPT, written, rewritten], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const python = JSON.parse(run.stdout) as { format: string; tensors: Record<string, { dtype: string; shape: number[]; sum: number }> };
      expect(python.format).toBe('seqrec-checkpoint');
      const ours = await readSafetensors(written);
      expect(Object.keys(python.tensors).sort()).toEqual(ours.tensors.map((t) => t.name).sort());
      for (const t of ours.tensors) {
        const values = new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
        const sum = values.reduce((a, b) => a + b, 0);
        expect(python.tensors[t.name]).toMatchObject({ dtype: 'torch.float32', shape: t.shape });
        expect(Math.abs(python.tensors[t.name]!.sum - sum), t.name).toBeLessThan(1e-6 * Math.max(1, Math.abs(sum)));
      }
      await using back = await SASRec.load(rewritten);
      expect(Array.from(await back.rank(test))).toEqual(Array.from(await model.rank(test)));
      expect(back.info().trainStep).toBe(6);
    } finally {
      await model.dispose();
    }
  });
});
