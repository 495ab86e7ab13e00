/**
 * InteractionLog.toDataset: string ids to dense ids, per-user time order with file order breaking ties,
 * event times passed through, rating threshold, de-duplication, k-core filtering and option errors.
 */
import { describe, expect, it } from 'vitest';
import { InteractionLog } from '../../lib/data/interaction-log.js';
import { isSeqrecError } from '../../lib/errors.js';

function log(events: Array<[string, string, number, number?]>): InteractionLog {
  const l = new InteractionLog();
  for (const [u, i, t, r] of events) l.add(u, i, t, r);
  return l;
}

describe('InteractionLog.toDataset', () => {
  it('maps string ids to dense ids, orders each user by time with file order breaking ties', () => {
    const { dataset } = log([
      ['bob', 'x', 5],
      ['ann', 'y', 9],
      ['bob', 'z', 1],
      ['bob', 'y', 5],
      ['ann', 'x', 2],
    ]).toDataset();
    expect(dataset.userIds).toEqual(['bob', 'ann']);
    // bob: z@1, then x@5 and y@5 in file order
    const name = (id: number) => dataset.itemIds![id];
    expect([...dataset.sequence(0)].map(name)).toEqual(['z', 'x', 'y']);
    expect([...dataset.sequence(1)].map(name)).toEqual(['x', 'y']);
    expect(dataset.numItems).toBe(3);
  });

  it('passes event times through to the Dataset, in the same order as the items', () => {
    const { dataset } = log([
      ['bob', 'x', 5],
      ['ann', 'y', 9],
      ['bob', 'z', 1],
      ['bob', 'y', 5],
      ['ann', 'x', 2],
    ]).toDataset();
    expect([...dataset.times!]).toEqual([1, 5, 5, 2, 9]);
    const { dataset: last } = log([
      ['a', 'x', 1],
      ['a', 'y', 2],
      ['a', 'x', 3],
    ]).toDataset({ dedupe: 'last' });
    expect([...last.times!]).toEqual([2, 3]);
  });

  it('gives no times when events have none, keeping file order', () => {
    const l = new InteractionLog();
    l.add('a', 'x');
    l.add('a', 'y', Number.NaN, 4);
    l.add('a', 'z');
    const { dataset } = l.toDataset();
    expect(dataset.times).toBeUndefined();
    expect([...dataset.sequence(0)].map((i) => dataset.itemIds![i])).toEqual(['x', 'y', 'z']);
  });

  it('rejects a mix of timed and untimed events, and infinite times', () => {
    const mixed = log([['a', 'x', 1]]);
    mixed.add('a', 'y');
    expect(() => mixed.toDataset()).toThrow(expect.objectContaining({ code: 'E_INVALID_DATA', details: { field: 'time' } }));
    expect(() => new InteractionLog().add('a', 'x', Number.POSITIVE_INFINITY)).toThrow(expect.objectContaining({ code: 'E_INVALID_DATA' }));
  });

  it('drops ratings below minRating and counts them; events without rating stay', () => {
    const { dataset, report } = log([
      ['a', 'x', 1, 5],
      ['a', 'y', 2, 2],
      ['a', 'z', 3],
    ]).toDataset({ minRating: 4 });
    expect(dataset.numInteractions).toBe(2);
    expect(report).toMatchObject({ events: 3, belowRating: 1 });
  });

  it('de-duplicates repeated (user, item) pairs keeping the first or the last', () => {
    const events: Array<[string, string, number]> = [
      ['a', 'x', 1],
      ['a', 'y', 2],
      ['a', 'x', 3],
    ];
    const first = log(events).toDataset({ dedupe: 'first' });
    const last = log(events).toDataset({ dedupe: 'last' });
    const names = (d: typeof first.dataset) => [...d.sequence(0)].map((id) => d.itemIds![id]);
    expect(names(first.dataset)).toEqual(['x', 'y']);
    expect(names(last.dataset)).toEqual(['y', 'x']);
    expect(first.report.duplicates).toBe(1);
    expect(names(log(events).toDataset().dataset)).toEqual(['x', 'y', 'x']);
  });

  it('applies k-core iteratively until every user and item has k events', () => {
    // With k=2: item 'c' (1 event) goes; then user 'u3' has 1 event left and goes; then item 'b' drops to 1 and goes.
    const { dataset, report } = log([
      ['u1', 'a', 1],
      ['u1', 'a2', 2],
      ['u2', 'a', 1],
      ['u2', 'a2', 2],
      ['u3', 'b', 1],
      ['u3', 'c', 2],
      ['u4', 'b', 1],
    ]).toDataset({ kCore: 2 });
    expect(dataset.userIds).toEqual(['u1', 'u2']);
    expect(dataset.numItems).toBe(2);
    expect(report.kCore).toBe(3);
  });

  it('keeps a given vocabulary: its items at their dense ids (present or not), new items after it', () => {
    const { dataset } = log([
      ['ann', 'new', 1],
      ['ann', 'b', 2],
      ['bob', 'later', 1],
      ['bob', 'new', 2],
    ]).toDataset({ itemIds: ['', 'a', 'b', 'c'] });
    expect(dataset.itemIds).toEqual(['', 'a', 'b', 'c', 'new', 'later']);
    expect(dataset.numItems).toBe(5);
    expect([...dataset.sequence(0)]).toEqual([4, 2]);
    expect([...dataset.sequence(1)]).toEqual([5, 4]);
    expect(() => log([['a', 'x', 1]]).toDataset({ itemIds: ['', 'a', 'a'] })).toThrow(/options\.itemIds\[2\]/);
    expect(() => log([['a', 'x', 1]]).toDataset({ itemIds: 'a' as never })).toThrow(/options\.itemIds/);
  });

  it('rejects bad options and an empty result', () => {
    expect(() => log([['a', 'x', 1]]).toDataset({ kCore: -1 })).toThrow(/options\.kCore/);
    expect(() => log([['a', 'x', 1]]).toDataset({ dedupe: 'all' as never })).toThrow(/options\.dedupe/);
    expect(() => log([['a', 'x', 1]]).toDataset({ kcore: 2 } as never)).toThrow(/did you mean options\.kCore/);
    let error: unknown;
    try {
      log([['a', 'x', 1]]).toDataset({ kCore: 5 });
    } catch (e) {
      error = e;
    }
    expect(isSeqrecError(error, 'E_INVALID_DATA')).toBe(true);
  });
});
