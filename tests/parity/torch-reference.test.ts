/**
 * AdamW against a reference outside the addon's process: PyTorch's Python torch.optim.AdamW
 * (tests/parity/reference_adamw.py, run with the project's .venv Python (PyTorch 2.x) or the system's python3), a separate
 * implementation from the C++ torch::optim::AdamW that adamw.test.ts uses. Skipped when that Python
 * has no torch. Tolerances: scalar by-hand formula within 1e-12; the 100-step replay within 1e-6.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { addon } from '../../lib/native/loader.js';
import { expectClose } from '../helpers/compare.js';
import { PYTHON, pythonHas } from '../helpers/python.js';

const SCRIPT = fileURLToPath(new URL('./reference_adamw.py', import.meta.url));
const hasTorch = pythonHas('torch');

function pythonAdamW(request: Record<string, unknown>): number[] {
  const run = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(request), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`reference_adamw.py exited with ${run.status}:\n${run.stderr}`);
  return (JSON.parse(run.stdout) as { params: number[] }).params;
}

/** The update written in native/train/adamw.cpp's header, for one scalar; value after each step. */
function adamWByHand(p0: number, grads: number[], o: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }) {
  let p = p0;
  let m = 0;
  let v = 0;
  return grads.map((g, k) => {
    const t = k + 1;
    p *= 1 - o.lr * o.weightDecay;
    m = o.beta1 * m + (1 - o.beta1) * g;
    v = o.beta2 * v + (1 - o.beta2) * g * g;
    p -= ((o.lr / (1 - o.beta1 ** t)) * m) / (Math.sqrt(v) / Math.sqrt(1 - o.beta2 ** t) + o.eps);
    return p;
  });
}

describe('AdamW vs Python torch.optim.AdamW in a separate process', () => {
  it.skipIf(!hasTorch)('one scalar, 3 steps: the header formula by hand equals torch.optim.AdamW (atol 1e-12)', () => {
    const options = { lr: 0.1, beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0.1 };
    const grads = [0.5, -2, 0.25];
    const byHand = adamWByHand(1.5, grads, options);
    // Step 1 by eye: m̂ = g and v̂ = g², so p1 = 1.5·(1 − 0.01) − 0.1·sign(0.5) = 1.385.
    expect(byHand[0]).toBeCloseTo(1.385, 6);
    expectClose('scalar AdamW, hand vs torch', byHand, pythonAdamW({ mode: 'scalar', param: 1.5, grads, ...options }), { atol: 1e-12 });
  });

  for (const foreach of [false, true]) {
    for (const clipNorm of [0, 1.0]) {
      it.skipIf(!hasTorch)(`parityAdamW's 100-step run replayed in Python, foreach=${foreach} clipNorm=${clipNorm} (atol 1e-6)`, async () => {
        const request = { steps: 100, seed: 11, foreach, clipNorm };
        const native = await addon().parityAdamW(request);
        expectClose('final parameters, seqrec vs Python AdamW', native.ours, pythonAdamW({ mode: 'replay', ...request }), { atol: 1e-6 });
      });
    }
  }
});
