/**
 * Baselines under the model's protocol: the random scorer's ranks (mean ≈ (C+1)/2 over C candidates, seen
 * items never counted, same scores as its lists) and the most-popular top-k lists (ties by id, padding with 0).
 */
import { describe, it, expect } from 'vitest';
import { randomLists, randomRanks } from '../../lib/eval/random-baseline.js';
import { popularityLists } from '../../lib/eval/popularity.js';
import { seededRandom } from '../../lib/data/random.js';
import type { EvalSet } from '../../lib/data/dataset.js';
import { i32 } from '../helpers/arrays.js';

/** E users, each with `seen` distinct history items (never the target) out of V. */
function makeEvalSet(E: number, V: number, seen: number, seed: number): EvalSet {
  const rand = seededRandom(seed);
  const items: number[] = [];
  const targets = new Int32Array(E);
  const offsets = new Int32Array(E + 1);
  for (let e = 0; e < E; e++) {
    const perm = Int32Array.from({ length: V }, (_, j) => j + 1);
    for (let j = 0; j <= seen; j++) {
      const r = j + Math.floor(rand() * (V - j));
      [perm[j], perm[r]] = [perm[r]!, perm[j]!];
    }
    items.push(...perm.subarray(0, seen));
    targets[e] = perm[seen]!;
    offsets[e + 1] = items.length;
  }
  return { users: Int32Array.from({ length: E }, (_, e) => e), offsets, items: i32(items), targets, numItems: V };
}

describe('randomRanks', () => {
  it('has mean rank ≈ (V − seen + 1)/2 and never exceeds the candidate count', () => {
    const V = 1000;
    const seen = 100;
    const s = makeEvalSet(2000, V, seen, 1);
    const ranks = randomRanks(s, { seed: 5 });
    const mean = ranks.reduce((a, b) => a + b, 0) / ranks.length;
    // uniform on 1..900: mean 450.5, sd ≈ 900/√12 ≈ 260, se over 2000 users ≈ 5.8 → ±20 is > 3 se
    expect(Math.abs(mean - (V - seen + 1) / 2)).toBeLessThan(20);
    expect(Math.max(...ranks)).toBeLessThanOrEqual(V - seen);
    expect(Math.min(...ranks)).toBeGreaterThanOrEqual(1);
  });

  it('excludes seen items: a user who saw everything but the target always ranks it first', () => {
    // user0 saw 1..4, target 5; user1 saw 1..5 incl. its target 3, which stays the only candidate
    const s: EvalSet = { users: i32([0, 1]), offsets: i32([0, 4, 9]), items: i32([1, 2, 3, 4, 1, 2, 3, 4, 5]), targets: i32([5, 3]), numItems: 5 };
    for (let seed = 0; seed < 20; seed++) expect([...randomRanks(s, { seed })]).toEqual([1, 1]);
  });

  it('is deterministic for a seed', () => {
    const s = makeEvalSet(50, 40, 5, 2);
    expect(randomRanks(s, { seed: 9 })).toEqual(randomRanks(s, { seed: 9 }));
    expect(randomRanks(s, { seed: 9 })).not.toEqual(randomRanks(s, { seed: 10 }));
    expect(() => randomRanks(s, { sead: 1 } as never)).toThrowError(/did you mean options.seed/);
  });
});

describe('randomLists', () => {
  it('lists k distinct unseen items from the same scores as randomRanks', () => {
    const k = 10;
    const s = makeEvalSet(300, 60, 8, 3);
    const { lists, width } = randomLists(s, k, { seed: 4 });
    const ranks = randomRanks(s, { seed: 4 });
    expect(width).toBe(k);
    for (let e = 0; e < 300; e++) {
      const row = [...lists.subarray(e * k, (e + 1) * k)];
      const hist = new Set(s.items.subarray(s.offsets[e]!, s.offsets[e + 1]!));
      expect(new Set(row).size).toBe(k);
      expect(row.some((i) => hist.has(i) || i < 1)).toBe(false);
      // targets are never in the history here, so a top-k hit ⇔ rank <= k
      expect(row.includes(s.targets[e]!)).toBe(ranks[e]! <= k);
    }
  });

  it('pads with 0 when fewer than k items are unseen', () => {
    const s: EvalSet = { users: i32([0]), offsets: i32([0, 3]), items: i32([1, 2, 3]), targets: i32([5]), numItems: 5 };
    const row = [...randomLists(s, 4).lists];
    expect(row.slice(2)).toEqual([0, 0]);
    expect(row.slice(0, 2).sort()).toEqual([4, 5]);
  });
});

describe('popularityLists', () => {
  it('lists the most popular unseen items, ties by lower id', () => {
    // counts: item1=5, item2=3, item3=3, item4=1, item5=0 → order 1, 2, 3, 4, 5
    const counts = i32([0, 5, 3, 3, 1, 0]);
    // user0: nothing seen; user1 saw 1; user2 saw 2,3; user3 saw 1 twice
    const s: EvalSet = { users: i32([0, 1, 2, 3]), offsets: i32([0, 0, 1, 3, 5]), items: i32([1, 2, 3, 1, 1]), targets: i32([3, 3, 3, 5]), numItems: 5 };
    expect(popularityLists(counts, s, 3)).toEqual({ lists: i32([1, 2, 3, 2, 3, 4, 1, 4, 5, 2, 3, 4]), width: 3, numItems: 5 });
    // k larger than the unseen items: user2 has 3 unseen → [1,4,5,0]
    expect([...popularityLists(counts, s, 4).lists.subarray(8, 12)]).toEqual([1, 4, 5, 0]);
    expect(() => popularityLists(counts, s, 0)).toThrowError(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
    expect(() => popularityLists(i32([0, 1]), s, 3)).toThrowError(expect.objectContaining({ code: 'E_INVALID_DATA' }));
  });
});
