/**
 * Group fairness: per-group means, gap and ratio on hand-computed values; activity tertiles with ties;
 * attribute groups from a MovieLens-style user map.
 */
import { describe, it, expect } from 'vitest';
import { activityTertiles, attributeGroups, groupFairness, historyLengths } from '../../lib/eval/fairness.js';
import type { EvalSet } from '../../lib/data/dataset.js';
import { i32 } from '../helpers/arrays.js';

describe('groupFairness', () => {
  it('reports per-group mean and count, the max−min gap and the min/max ratio', () => {
    // M: users 0,2,4 → (1 + 0.5 + 0)/3 = 0.5;  F: users 1,3 → (0 + 0.25)/2 = 0.125
    // gap = 0.5 − 0.125 = 0.375; ratio = 0.125/0.5 = 0.25
    const r = groupFairness(Float64Array.from([1, 0, 0.5, 0.25, 0]), ['M', 'F', 'M', 'F', 'M']);
    expect(r.groups).toEqual([
      { group: 'M', count: 3, mean: 0.5 },
      { group: 'F', count: 2, mean: 0.125 },
    ]);
    expect(r.gap).toBe(0.375);
    expect(r.ratio).toBe(0.25);
  });

  it('gives gap 0 and ratio 1 for a single group or equal means (also all zero)', () => {
    const one = groupFairness([0.25, 0.5], ['all', 'all']);
    expect(one).toEqual({ groups: [{ group: 'all', count: 2, mean: 0.375 }], gap: 0, ratio: 1 });
    expect(groupFairness([0, 0], ['a', 'b'])).toMatchObject({ gap: 0, ratio: 1 });
    expect(groupFairness([0, 1], ['a', 'b']).ratio).toBe(0);
  });

  it('rejects mismatched lengths, non-finite values and empty input', () => {
    const err = expect.objectContaining({ code: 'E_INVALID_DATA' });
    expect(() => groupFairness([1, 2], ['a'])).toThrowError(err);
    expect(() => groupFairness([1, NaN], ['a', 'b'])).toThrowError(expect.objectContaining({ details: { field: 'values', index: 1 } }));
    expect(() => groupFairness([], [])).toThrowError(err);
  });
});

describe('activityTertiles', () => {
  it('splits by rank of history length, ties by user index', () => {
    // sorted (length, user): u1(1) u5(2) u2(3) u3(3) u0(5) u4(9) → tertile floor(3p/6) = 0,0,1,1,2,2
    expect(activityTertiles([5, 1, 3, 3, 9, 2])).toEqual(['high', 'low', 'mid', 'mid', 'high', 'low']);
    // all equal: the earlier user goes lower; n = 4 → floor(3p/4) = 0,0,1,2
    expect(activityTertiles([7, 7, 7, 7])).toEqual(['low', 'low', 'mid', 'high']);
    expect(activityTertiles([4])).toEqual(['low']);
    expect(activityTertiles([])).toEqual([]);
  });

  it('reads history lengths from an eval set', () => {
    const s: EvalSet = { users: i32([0, 1, 2]), offsets: i32([0, 3, 4, 9]), items: new Int32Array(9).fill(1), targets: i32([1, 1, 1]), numItems: 1 };
    expect([...historyLengths(s)]).toEqual([3, 1, 5]);
    expect(activityTertiles(historyLengths(s))).toEqual(['mid', 'low', 'high']);
  });
});

describe('attributeGroups', () => {
  it('labels evaluated users by any attribute, with a label for missing users', () => {
    const users = new Map([
      ['10', { gender: 'F', age: 25 }],
      ['20', { gender: 'M', age: 1 }],
    ]);
    const userIds = ['20', '99', '10'];
    expect(attributeGroups(i32([2, 0, 1]), userIds, users, 'gender')).toEqual(['F', 'M', 'unknown']);
    expect(attributeGroups(i32([2, 0]), userIds, users, 'age')).toEqual(['25', '1']);
    expect(attributeGroups(i32([1]), userIds, users, 'age', 'n/a')).toEqual(['n/a']);
    expect(() => attributeGroups(i32([5]), userIds, users, 'age')).toThrowError(expect.objectContaining({ code: 'E_INVALID_DATA' }));
  });
});
