/**
 * The hand-vectorised loops of native/common/vector_kernels.cpp (the sessions' one-position steps and
 * the top-k run on them): every form this CPU can run (AVX-512, AVX2 + FMA, portable) against float64
 * or plain loops over the same random data, at shapes that take each code path: rows in whole groups
 * of 16 and with a remainder, widths that are and are not multiples of 16, outputs in groups of 64,
 * 32 and 16 and with a remainder, users in groups (of four for AVX-512, of three for AVX2) and one or two more.
 * fp32 sums of up to 257 products of unit normals: within 1e-5 · √n of the float64 value, relative to
 * the values' size. GELU (erf by Abramowitz and Stegun 7.1.26, as LibTorch's vectorised kernels have
 * it, off by at most 1.5e-7) within 1e-6 · (1 + |x|) of float64's erf, over values out to ±12 and beyond.
 * linearBatch gives each row bit for bit what linearRows gives it alone (so a session's step is the
 * same in a batch as alone); firstAbove finds exactly the values a plain loop finds.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addon } from '../../lib/native/loader.js';

const shapes = [
  { rows: 1, dim: 64, outputs: 64 },
  { rows: 16, dim: 64, outputs: 32 },
  { rows: 33, dim: 32, outputs: 16 },
  { rows: 257, dim: 64, outputs: 70 },
  { rows: 40, dim: 24, outputs: 5 },
  { rows: 19, dim: 7, outputs: 130 },
];

function expectNear(what: string, got: ArrayLike<number>, want: ArrayLike<number>, terms: number) {
  const tolerance = 1e-5 * Math.sqrt(terms);
  for (let i = 0; i < want.length; i++) {
    const error = Math.abs(got[i]! - want[i]!);
    if (error > tolerance * (1 + Math.abs(want[i]!))) throw new Error(`${what}[${i}]: ${got[i]} vs ${want[i]} (error ${error})`);
  }
}

describe('vector kernels', () => {
  it('every form this CPU runs matches float64 loops, the widest one in use', async () => {
    const flags = readFileSync('/proc/cpuinfo', 'utf8');
    for (const [i, shape] of shapes.entries()) {
      const r = await addon().parityVectorKernels({ ...shape, seed: i });
      const forms = r.forms.split(',');
      expect(forms.at(-1)).toBe('portable');
      if (process.arch === 'x64') expect(forms[0]).toBe(/\bavx512f\b/.test(flags) ? 'avx512' : /\bavx2\b/.test(flags) ? 'avx2' : 'portable');
      expect(r.rowDots.length).toBe(forms.length * shape.rows);
      expect(r.linearRows.length).toBe(forms.length * shape.outputs);
      const batch = 5 * shape.outputs;
      const panelWidth = 5 * 64 * Math.ceil(shape.outputs / 64);
      const chains = r.aboveReference.length;
      expect(chains).toBeGreaterThan(4 + shape.rows); // the lowest bar keeps all but one value
      for (const [f, form] of forms.entries()) {
        const part = <T extends Float32Array | Int32Array>(a: T, n: number) => a.subarray(f * n, (f + 1) * n) as T;
        expectNear(`${form} linearBatch ${JSON.stringify(shape)}`, part(r.linearBatch, batch), r.linearBatchReference, shape.rows);
        expect(Array.from(part(r.linearBatch, batch)), `${form} linearBatch = linearRows alone`).toEqual(Array.from(part(r.linearBatchAlone, batch)));
        expectNear(`${form} panelScores ${JSON.stringify(shape)}`, part(r.panelScores, panelWidth), r.panelReference, shape.dim);
        expectNear(`${form} softmax ${JSON.stringify(shape)}`, part(r.softmax, shape.rows), r.softmaxReference, 4);
        const gelu = part(r.gelu, shape.rows * shape.dim);
        r.geluReference.forEach((want, i) => {
          if (!(Math.abs(gelu[i]! - want) <= 1e-6 * (1 + Math.abs(want)))) throw new Error(`${form} gelu[${i}]: ${gelu[i]} vs ${want}`);
        });
        expect(Array.from(part(r.above, chains)), `${form} firstAbove`).toEqual(Array.from(r.aboveReference));
        expectNear(`${form} rowDots ${JSON.stringify(shape)}`, r.rowDots.subarray(f * shape.rows, (f + 1) * shape.rows), r.rowDotsReference, shape.dim);
        expectNear(
          `${form} linearRows ${JSON.stringify(shape)}`,
          r.linearRows.subarray(f * shape.outputs, (f + 1) * shape.outputs),
          r.linearReference,
          shape.rows,
        );
      }
    }
  });
});
