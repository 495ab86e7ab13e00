/**
 * The re-rankers on hand-made candidates whose right answer is known: MMR with λ = 1 keeps the model's
 * order and with λ < 1 skips a near-duplicate; calibration turns an all-drama list into the history's
 * 50/50 drama/comedy mix; the exposure floor puts a protected item in every prefix the share demands.
 */
import { describe, expect, it } from 'vitest';
import { calibrated, categoryMix, checkRerank, fairFloor, miscalibration, mmr } from '../../lib/models/rerank.js';
import { thrown } from '../helpers/errors.js';

const candidates = [
  { item: 1, score: 1.0 },
  { item: 2, score: 0.99 }, // the same direction as item 1
  { item: 3, score: 0.5 },
  { item: 4, score: 0.1 },
];
const vectors = Float32Array.from([1, 0, 0.999, 0.04, 0, 1, 0.7071, 0.7071]); // (4, 2)

describe('mmr', () => {
  it('keeps the model order at λ = 1 and moves the near-duplicate back at λ = 0.5', () => {
    expect(mmr(candidates, vectors, 3, 1).map((c) => c.item)).toEqual([1, 2, 3]);
    // after item 1: item 3 gains 0.5·0.444 − 0 = 0.222, item 2 0.5·0.989 − 0.5·0.999 ≈ −0.005, item 4 0 − 0.5·0.707
    expect(mmr(candidates, vectors, 3, 0.5).map((c) => c.item)).toEqual([1, 3, 2]);
  });
});

describe('calibrated', () => {
  const genre = (item: number) => (item <= 10 ? ['drama'] : ['comedy']);
  const history = [1, 2, 11, 12].map((item) => ({ item }));
  const pool = [1, 2, 3, 4, 5, 11, 12].map((item, i) => ({ item, score: 10 - i })); // dramas score higher
  it("matches the history's mix when λ is large, and keeps the model order at λ = 0", () => {
    expect(calibrated(pool, history, 4, 0, genre).map((c) => c.item)).toEqual([1, 2, 3, 4]);
    const list = calibrated(pool, history, 4, 0.99, genre);
    expect(categoryMix(list, genre)).toEqual(
      new Map([
        ['drama', 0.5],
        ['comedy', 0.5],
      ]),
    );
    expect(miscalibration(categoryMix(history, genre), categoryMix(list, genre))).toBeCloseTo(0, 10);
  });
  it('computes KL(p ‖ 0.99·q + 0.01·p) by hand', () => {
    const p = new Map([
      ['a', 0.5],
      ['b', 0.5],
    ]);
    const q = new Map([['a', 1]]);
    expect(miscalibration(p, q)).toBeCloseTo(0.5 * Math.log(0.5 / (0.99 + 0.005)) + 0.5 * Math.log(0.5 / 0.005), 12);
  });
});

describe('fair', () => {
  it('keeps at least ⌊share·i⌋ protected items in every prefix i, best first within each group', () => {
    const pool = Array.from({ length: 10 }, (_, i) => ({ item: i + 1, score: 10 - i }));
    const isProtected = (item: number) => item >= 8; // the three lowest-scored
    const list = fairFloor(pool, 6, isProtected, 0.5);
    list.forEach((_, i) => expect(list.slice(0, i + 1).filter((c) => isProtected(c.item)).length).toBeGreaterThanOrEqual(Math.floor(0.5 * (i + 1))));
    expect(list.map((c) => c.item)).toEqual([1, 8, 2, 9, 3, 10]);
    expect(fairFloor(pool, 4, isProtected, 0).map((c) => c.item)).toEqual([1, 2, 3, 4]);
  });
});

describe('checkRerank', () => {
  it('names the bad field', () => {
    expect(thrown(() => checkRerank({ method: 'shuffle' })).message).toMatch(/options\.rerank\.method/);
    expect(thrown(() => checkRerank({ method: 'mmr', lambda: 2 })).message).toMatch(/options\.rerank\.lambda/);
    expect(thrown(() => checkRerank({ method: 'calibrated' })).message).toMatch(/options\.rerank\.categories/);
    expect(thrown(() => checkRerank({ method: 'fair', group: () => true })).message).toMatch(/options\.rerank\.share/);
    expect(checkRerank({ method: 'mmr' }).candidates(10, 3706)).toBe(50);
  });
});
