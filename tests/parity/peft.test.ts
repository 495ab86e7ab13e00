/**
 * LoRA and DoRA adapters against PEFT itself, on a BERT written by transformers' save_pretrained: an adapter that
 * PEFT saves (random A and B on query and value; DoRA's magnitudes moved off their start) loads into BertTextEncoder and gives PEFT's outputs;
 * saved again by seqrec, it loads in peft.PeftModel over the same base and gives them too. Both within
 * 1e-6 of PEFT's model run in float64. Skipped, with the reason printed, only where the Python side is
 * missing.
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

const SCRIPT = fileURLToPath(new URL('./reference_peft.py', import.meta.url));
const ready = pythonHas('peft', 'transformers', 'torch');
if (!ready) console.log(`PEFT parity skipped: ${PYTHON} cannot import peft, transformers and torch (run scripts/setup.sh)`);
const root = tempDir('peft');
const TEXTS = ['Toy Story (1995)', 'hello world!', 'unaffable', 'the playing cafe, a 2 toys', '大家好', 'story'];

function peft(mode: 'make' | 'apply', folder: string, adapter: string, dora = false): number[] {
  const input = JSON.stringify({ mode, folder, adapter, config: TINY_CONFIG, vocab: TINY_VOCAB, seed: 11, texts: TEXTS, pooling: 'mean', dora });
  const run = spawnSync(PYTHON, [SCRIPT], { input, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`reference_peft.py (${mode}) exited with ${run.status}:\n${run.stderr}`);
  return (JSON.parse(run.stdout) as { pooled: number[][] }).pooled.flat();
}

describe.skipIf(!ready)('LoRA adapters and peft.PeftModel over transformers.BertModel', () => {
  it.each([false, true])('a PEFT adapter gives PEFT outputs in seqrec; saved by seqrec, it gives them in PEFT (DoRA %s)', async (dora) => {
    const folder = mkdtempSync(join(root, 'bert-'));
    const fromPeft = join(root, `peft-adapter-${dora}`);
    const fromSeqrec = join(root, `seqrec-adapter-${dora}`);
    const reference = peft('make', folder, fromPeft, dora);
    await using plain = await BertTextEncoder.load(folder, { pooling: 'mean', normalize: false, threads: 1 });
    const base = await plain.encode(TEXTS);
    const moved = Math.max(...reference.map((v, i) => Math.abs(v - base.data[i]!)));
    expect(moved).toBeGreaterThan(1e-3); // the adapter changes the outputs, so agreeing with it means something

    await using adapted = await BertTextEncoder.load(folder, { pooling: 'mean', normalize: false, threads: 1, adapter: fromPeft });
    const ours = await adapted.encode(TEXTS);
    const into = expectClose('PEFT adapter in seqrec', ours.data, reference, { atol: 1e-6 });
    await adapted.saveAdapter(fromSeqrec);
    const back = expectClose('seqrec adapter in PEFT', peft('apply', folder, fromSeqrec), reference, { atol: 1e-6 });
    console.log(
      `PEFT parity (DoRA ${dora}): adapter moves outputs by ${moved.toExponential(2)}; PEFT→seqrec max |Δ| ${into.maxAbs.toExponential(2)}, seqrec→PEFT ${back.maxAbs.toExponential(2)}`,
    );
  });
});
