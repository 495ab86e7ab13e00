/**
 * Dataset: CSR validation (error code and the field it names), event times, views, counts and the
 * leave-one-out split on a hand-made example, including users too short to evaluate. The other splits
 * are in splits.test.ts, side information in side-info.test.ts.
 */
import { describe, it, expect } from 'vitest';
import { Dataset } from '../../lib/data/dataset.js';
import { i32 } from '../helpers/arrays.js';
import { thrown } from '../helpers/errors.js';

describe('Dataset.fromCSR', () => {
  it('accepts a valid CSR and exposes sizes and views', () => {
    const d = Dataset.fromCSR({ offsets: i32([0, 2, 2, 5]), items: i32([1, 2, 3, 1, 3]), numItems: 4 });
    expect(d.numUsers).toBe(3);
    expect(d.numItems).toBe(4);
    expect(d.numInteractions).toBe(5);
    expect([...d.sequence(0)]).toEqual([1, 2]);
    expect([...d.sequence(1)]).toEqual([]);
    expect([...d.sequence(2)]).toEqual([3, 1, 3]);
    expect(d.sequence(2).buffer).toBe(d.items.buffer); // a view
    expect([...d.itemCounts()]).toEqual([0, 2, 1, 2, 0]);
  });

  it('accepts zero users', () => {
    const d = Dataset.fromCSR({ offsets: i32([0]), items: i32([]), numItems: 3 });
    expect(d.numUsers).toBe(0);
  });

  it.each([
    ['offsets[0] != 0', { offsets: i32([1, 2]), items: i32([1, 1]), numItems: 2 }, 'offsets', 0],
    ['decreasing offsets', { offsets: i32([0, 3, 2, 4]), items: i32([1, 1, 1, 1]), numItems: 2 }, 'offsets', 2],
    ['last offset != items.length', { offsets: i32([0, 1, 2]), items: i32([1, 1, 1]), numItems: 2 }, 'offsets', 2],
    ['item 0 (padding)', { offsets: i32([0, 3]), items: i32([1, 0, 2]), numItems: 2 }, 'items', 1],
    ['item > numItems', { offsets: i32([0, 3]), items: i32([1, 2, 3]), numItems: 2 }, 'items', 2],
    ['negative item', { offsets: i32([0, 1]), items: i32([-4]), numItems: 2 }, 'items', 0],
  ])('rejects %s with E_INVALID_DATA naming field and index', (_name, init, field, index) => {
    const e = thrown(() => Dataset.fromCSR(init));
    expect(e.code).toBe('E_INVALID_DATA');
    expect(e.details).toMatchObject({ field, index });
    expect(e.message).toContain(`${field}[${index}]`);
  });

  it('rejects empty offsets, non-Int32Array arrays and mis-sized id lists', () => {
    expect(thrown(() => Dataset.fromCSR({ offsets: i32([]), items: i32([]), numItems: 1 })).details).toMatchObject({ field: 'offsets' });
    const plain = { offsets: [0, 1] as unknown as Int32Array, items: i32([1]), numItems: 1 };
    expect(thrown(() => Dataset.fromCSR(plain)).details).toMatchObject({ field: 'offsets' });
    const base = { offsets: i32([0, 1]), items: i32([1]), numItems: 1 };
    expect(thrown(() => Dataset.fromCSR({ ...base, itemIds: ['a'] })).details).toMatchObject({ field: 'itemIds' });
    expect(thrown(() => Dataset.fromCSR({ ...base, userIds: ['u', 'v'] })).details).toMatchObject({ field: 'userIds' });
    expect(Dataset.fromCSR({ ...base, itemIds: ['', 'a'], userIds: ['u'] }).itemIds).toEqual(['', 'a']);
  });

  it('keeps times and rejects times that are not finite, mis-sized or decreasing within a user', () => {
    const base = { offsets: i32([0, 2, 3]), items: i32([1, 2, 1]), numItems: 2 };
    const times = Float64Array.from([10, 10, 5]); // user 1 may start before user 0 ends
    expect(Dataset.fromCSR({ ...base, times }).times).toBe(times);
    expect(Dataset.fromCSR(base).times).toBeUndefined();
    const bad = (t: unknown) => thrown(() => Dataset.fromCSR({ ...base, times: t as Float64Array }));
    expect(bad([10, 10, 5]).details).toEqual({ field: 'times' });
    expect(bad(Float64Array.from([1, 2])).details).toEqual({ field: 'times' });
    expect(bad(Float64Array.from([1, Number.NaN, 2])).details).toEqual({ field: 'times', index: 1 });
    const decreasing = bad(Float64Array.from([10, 9, 5]));
    expect(decreasing.code).toBe('E_INVALID_DATA');
    expect(decreasing.details).toEqual({ field: 'times', index: 1 });
    expect(decreasing.message).toContain('times[1]=9 < times[0]=10');
  });

  it('rejects mis-sized side information arrays', () => {
    const base = { offsets: i32([0, 1]), items: i32([1]), numItems: 1 };
    expect(thrown(() => Dataset.fromCSR({ ...base, itemInfo: [undefined] })).details).toEqual({ field: 'itemInfo' });
    expect(thrown(() => Dataset.fromCSR({ ...base, userAttributes: [] })).details).toEqual({ field: 'userAttributes' });
    expect(Dataset.fromCSR({ ...base, itemInfo: [undefined, { title: 'x' }], userAttributes: [{ age: 3 }] }).itemInfo![1]).toEqual({ title: 'x' });
  });

  it('rejects a bad numItems as an option error', () => {
    const e = thrown(() => Dataset.fromCSR({ offsets: i32([0]), items: i32([]), numItems: 1.5 }));
    expect(e.code).toBe('E_INVALID_OPTION');
  });

  it('sequence() rejects out-of-range users', () => {
    const d = Dataset.fromSequences([[1, 2]]);
    expect(thrown(() => d.sequence(1)).code).toBe('E_INVALID_OPTION');
    expect(thrown(() => d.sequence(-1)).code).toBe('E_INVALID_OPTION');
  });
});

describe('Dataset.fromSequences', () => {
  it('defaults numItems to the largest id and accepts a larger catalogue', () => {
    expect(Dataset.fromSequences([[1, 5], [2]]).numItems).toBe(5);
    expect(Dataset.fromSequences([[1, 5], [2]], 9).numItems).toBe(9);
    const d = Dataset.fromSequences([i32([3, 1]), new Float64Array([2])]);
    expect([...d.offsets]).toEqual([0, 2, 3]);
    expect([...d.items]).toEqual([3, 1, 2]);
  });

  it('rejects non-integer or padding ids and a too-small numItems', () => {
    expect(thrown(() => Dataset.fromSequences([[1], [2, 0.5]])).details).toMatchObject({ field: 'seqs', index: 1 });
    expect(thrown(() => Dataset.fromSequences([[0]])).code).toBe('E_INVALID_DATA');
    expect(thrown(() => Dataset.fromSequences([[1, 7]], 3)).details).toMatchObject({ field: 'items', index: 1 });
  });
});

describe('Dataset.split("leave-one-out")', () => {
  // user 0: 5 items, user 1: 2 items (too short), user 2: 3 items (minimum), user 3: empty, user 4: 1 item
  const seqs = [[1, 2, 3, 4, 5], [6, 7], [2, 6, 2], [], [8]];
  const itemIds = Array.from({ length: 9 }, (_, i) => `i${i}`);
  const userIds = ['a', 'b', 'c', 'd', 'e'];
  const full = Dataset.fromSequences(seqs, 8);
  const d = Dataset.fromCSR({ offsets: full.offsets, items: full.items, numItems: 8, itemIds, userIds });
  const { train, valid, test } = d.split('leave-one-out');

  it('keeps every user and the catalogue in train, dropping the last two items of evaluated users', () => {
    expect(train.numUsers).toBe(5);
    expect(train.numItems).toBe(8);
    expect(train.itemIds).toBe(itemIds);
    expect(train.userIds).toBe(userIds);
    expect([...train.sequence(0)]).toEqual([1, 2, 3]);
    expect([...train.sequence(1)]).toEqual([6, 7]);
    expect([...train.sequence(2)]).toEqual([2]);
    expect([...train.sequence(3)]).toEqual([]);
    expect([...train.sequence(4)]).toEqual([8]);
    expect(train.numInteractions).toBe(d.numInteractions - 4);
  });

  it('builds valid: history seq[:-2], target seq[-2]', () => {
    expect([...valid.users]).toEqual([0, 2]);
    expect([...valid.offsets]).toEqual([0, 3, 4]);
    expect([...valid.items]).toEqual([1, 2, 3, 2]);
    expect([...valid.targets]).toEqual([4, 6]);
    expect(valid.numItems).toBe(8);
  });

  it('builds test: history seq[:-1] (includes the valid item), target seq[-1]', () => {
    expect([...test.users]).toEqual([0, 2]);
    expect([...test.offsets]).toEqual([0, 4, 6]);
    expect([...test.items]).toEqual([1, 2, 3, 4, 2, 6]);
    expect([...test.targets]).toEqual([5, 2]);
    expect(test.numItems).toBe(8);
  });

  it('keeps the times of the events left in train', () => {
    const times = Float64Array.from(d.items, (_, i) => 100 + i); // non-decreasing everywhere
    const t = Dataset.fromCSR({ offsets: d.offsets, items: d.items, numItems: 8, times }).split('leave-one-out').train;
    // user 0 keeps events 0-2, user 1 events 5-6, user 2 event 7, user 4 event 10
    expect([...t.times!]).toEqual([100, 101, 102, 105, 106, 107, 110]);
    expect(train.times).toBeUndefined();
  });

  it('does not alias the source arrays', () => {
    expect(train.items.buffer).not.toBe(d.items.buffer);
    expect(valid.users).not.toBe(test.users);
  });

  it('evaluates nobody when every user is short', () => {
    const s = Dataset.fromSequences([[1, 2], [3]]).split('leave-one-out');
    expect(s.valid.users.length).toBe(0);
    expect([...s.valid.offsets]).toEqual([0]);
    expect(s.train.numInteractions).toBe(3);
  });

  it('rejects unknown split kinds', () => {
    expect(thrown(() => d.split('random' as 'leave-one-out')).code).toBe('E_INVALID_OPTION');
  });
});
