/**
 * Scores as the server writes them (lib/serve/json-scores.ts, the addon's shortestDecimals): each float32 as the
 * shortest decimal that reads back as the same float32, checked against JavaScript's own rounding: no longer and
 * no further from the value than Number(x.toPrecision(p)) at the fewest digits p that read back as x.
 */
import { describe, expect, it } from 'vitest';
import type { Recommendation } from '../../lib/models/inference.js';
import { addon } from '../../lib/native/loader.js';
import { shortestScores } from '../../lib/serve/json-scores.js';

/** The shortest decimal of float32 `x` by JavaScript's correctly rounded toPrecision (1 to 9 digits always suffice). */
function reference(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  throw new Error(`no 9-digit decimal reads back as ${x}`);
}

describe('shortestDecimals', () => {
  it('gives the shortest decimal that reads back as the same float32, as toPrecision finds it', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const values = new Float32Array(5000);
    for (let i = 0; i < values.length; i++) values[i] = random() * 10 ** Math.floor(random() * 12); // signs, 1e-11 … 1e11
    values.set([0.6140552759170532, 1 / 3, -2.5, 1, 0.1, 1e-45, 1.17549435e-38, 3.4028234663852886e38, 16777217, -0.001], 0);
    const decimals = addon().shortestDecimals(values);
    expect(decimals.length).toBe(values.length);
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      expect(Math.fround(decimals[i]!)).toBe(x);
      // as short as the reference, and as near x: of two as short, the nearer (-592202688, where toPrecision(7) gives
      // -592202700), of two as near either (-1328170.25: -1328170.2 here, -1328170.3 by toPrecision)
      const want = reference(x);
      expect(String(decimals[i]).length).toBeLessThanOrEqual(String(want).length);
      expect(Math.abs(decimals[i]! - x)).toBeLessThanOrEqual(Math.abs(want - x));
    }
    expect(String(decimals[0])).toBe('0.6140553');
  });

  it('passes zeros, infinities and NaN through', () => {
    const decimals = addon().shortestDecimals(new Float32Array([0, -0, Infinity, -Infinity, NaN]));
    expect(Object.is(decimals[0], 0) && Object.is(decimals[1], -0)).toBe(true);
    expect([decimals[2], decimals[3]]).toEqual([Infinity, -Infinity]);
    expect(decimals[4]).toBeNaN();
    expect(addon().shortestDecimals(new Float32Array(0)).length).toBe(0);
  });

  it('rewrites the scores of lists of recommendations in place, one list after another', () => {
    const lists: Recommendation[][] = [
      [
        { item: 3, score: Math.fround(0.6140552759170532) },
        { item: 9, score: Math.fround(-1 / 3), id: 'x' },
      ],
      [],
      [{ item: 1, score: Math.fround(2.5e-7) }],
    ];
    expect(shortestScores(lists)).toBe(lists);
    expect(JSON.stringify(lists)).toBe('[[{"item":3,"score":0.6140553},{"item":9,"score":-0.33333334,"id":"x"}],[],[{"item":1,"score":2.5e-7}]]');
  });
});
