/**
 * Dataset.split('temporal'), split('cold-items') and split('cold-users') on hand-made examples: cut times (given and as
 * quantiles), who is evaluated on what, cold targets, what train keeps, the seeded uniform choice of
 * cold items, and the option and data errors.
 */
import { describe, expect, it } from 'vitest';
import { Dataset } from '../../lib/data/dataset.js';
import { i32 } from '../helpers/arrays.js';
import { thrown } from '../helpers/errors.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

/** Sequences with times: user → [item, time][] (times non-decreasing per user). */
function timed(users: Array<Array<[number, number]>>, numItems: number): Dataset {
  const offsets = [0];
  for (const u of users) offsets.push(offsets[offsets.length - 1]! + u.length);
  const events = users.flat();
  return Dataset.fromCSR({
    offsets: i32(offsets),
    items: i32(events.map(([i]) => i)),
    times: f64(events.map(([, t]) => t)),
    numItems,
    itemIds: Array.from({ length: numItems + 1 }, (_, i) => (i === 0 ? '' : `i${i}`)),
    userIds: users.map((_, u) => `u${u}`),
  });
}

describe("Dataset.split('temporal')", () => {
  // Times 1..10, one event each.
  const d = timed(
    [
      [
        [1, 1],
        [2, 2],
        [3, 5],
        [4, 8],
      ], // u0
      [
        [2, 3],
        [5, 6],
        [1, 9],
      ], // u1
      [
        [3, 7],
        [4, 10],
      ], // u2: nothing before validTime
      [[5, 4]], // u3: one event, before validTime
      [], // u4
    ],
    6,
  );

  it('cuts at given times: train < validTime, valid targets in [validTime, testTime), test targets >= testTime', () => {
    const s = d.split('temporal', { validTime: 5, testTime: 8 });
    expect([s.validTime, s.testTime]).toEqual([5, 8]);
    expect(s.train.numUsers).toBe(5);
    expect(s.train.numItems).toBe(6);
    expect([...s.train.offsets]).toEqual([0, 2, 3, 3, 4, 4]);
    expect([...s.train.items]).toEqual([1, 2, 2, 5]);
    expect([...s.train.times!]).toEqual([1, 2, 3, 4]);
    expect(s.train.itemIds).toBe(d.itemIds);
    expect(s.train.userIds).toBe(d.userIds);
    // valid: u0 (train 1,2; first in window: 3@5), u1 (train 2; 5@6); u2 has no train event, u3 no window event
    expect([...s.valid.users]).toEqual([0, 1]);
    expect([...s.valid.offsets]).toEqual([0, 2, 3]);
    expect([...s.valid.items]).toEqual([1, 2, 2]);
    expect([...s.valid.targets]).toEqual([3, 5]);
    // test: every event before 8 is history; u3 has nothing at or after 8
    expect([...s.test.users]).toEqual([0, 1, 2]);
    expect([...s.test.offsets]).toEqual([0, 3, 5, 6]);
    expect([...s.test.items]).toEqual([1, 2, 3, 2, 5, 3]);
    expect([...s.test.targets]).toEqual([4, 1, 4]);
    expect(s.test.numItems).toBe(6);
    // train holds items 1, 2, 5: valid target 3 and test targets 4, 4 are cold
    expect(s.coldTargets).toEqual({ valid: 1, test: 2 });
  });

  it('takes the cut times from quantiles of all event times', () => {
    // 10 events: defaults hold out the last 1 for test (time 10) and the one before for valid (time 9)
    expect(d.split('temporal')).toMatchObject({ validTime: 9, testTime: 10 });
    const s = d.split('temporal', { validFraction: 0.3, testFraction: 0.2 });
    expect([s.validTime, s.testTime]).toEqual([6, 9]); // 2 events >= 9, 3 more >= 6
    expect(s.train.numInteractions).toBe(5);
    expect([...s.test.targets]).toEqual([1, 4]); // u1's 1@9, u2's 4@10
  });

  it('puts events tied with a cut time after it', () => {
    const tied = timed(
      [
        [
          [1, 1],
          [2, 5],
          [3, 5],
        ],
        [
          [1, 5],
          [2, 5],
        ],
      ],
      3,
    );
    const s = tied.split('temporal', { validTime: 5, testTime: 5 });
    expect([...s.train.items]).toEqual([1]);
    expect(s.valid.users.length).toBe(0); // the window [5, 5) is empty
    expect([...s.test.users]).toEqual([0]); // user 1 has nothing before 5
    expect([...s.test.targets]).toEqual([2]); // the first event at time 5, in file order
  });

  it('needs times, naming the field', () => {
    const e = thrown(() => Dataset.fromSequences([[1, 2, 3]]).split('temporal'));
    expect(e.code).toBe('E_INVALID_DATA');
    expect(e.details).toMatchObject({ field: 'times' });
    expect(e.message).toContain('times');
  });

  it('rejects bad and mixed options', () => {
    const option = (o: object) => thrown(() => d.split('temporal', o as never));
    expect(option({ validTime: 8, testTime: 5 }).details).toMatchObject({ option: 'options.testTime' });
    expect(option({ validTime: 5 }).details).toMatchObject({ option: 'options.testTime' });
    expect(option({ validTime: 5, testTime: 8, testFraction: 0.1 }).code).toBe('E_INVALID_OPTION');
    expect(option({ validFraction: 0 }).details).toMatchObject({ option: 'options.validFraction' });
    expect(option({ testFraction: 1 }).details).toMatchObject({ option: 'options.testFraction' });
    expect(option({ validFraction: 0.5, testFraction: 0.5 }).details).toMatchObject({ option: 'options.testFraction' });
    expect(option({ testFracton: 0.2 }).message).toMatch(/did you mean options.testFraction/);
  });

  it('rejects too few events to hold any out', () => {
    const e = thrown(() =>
      timed(
        [
          [
            [1, 1],
            [2, 2],
          ],
        ],
        2,
      ).split('temporal'),
    );
    expect(e.code).toBe('E_INVALID_DATA');
    expect(e.details).toMatchObject({ field: 'times' });
  });
});

describe("Dataset.split('cold-items')", () => {
  // item 6 never occurs
  const d = timed(
    [
      [
        [1, 1],
        [2, 2],
        [3, 3],
        [2, 4],
      ], // u0
      [
        [3, 1],
        [4, 2],
      ], // u1
      [
        [2, 1],
        [5, 2],
      ], // u2: cold item first, nothing earlier
      [[4, 1]], // u3
      [[2, 7]], // u4
    ],
    6,
  );

  it("removes cold items from train and targets each user's last cold event after an earlier one", () => {
    const s = d.split('cold-items', { items: i32([2]) });
    expect([...s.coldItems]).toEqual([2]);
    expect(s.train.numUsers).toBe(5);
    expect(s.train.numItems).toBe(6);
    expect([...s.train.offsets]).toEqual([0, 2, 4, 5, 6, 6]);
    expect([...s.train.items]).toEqual([1, 3, 3, 4, 5, 4]);
    expect([...s.train.times!]).toEqual([1, 3, 1, 2, 2, 1]);
    expect(s.train.itemIds).toBe(d.itemIds);
    // u0: last 2 is at position 3, history = everything before it, the earlier cold 2 included
    expect([...s.test.users]).toEqual([0]);
    expect([...s.test.offsets]).toEqual([0, 3]);
    expect([...s.test.items]).toEqual([1, 2, 3]);
    expect([...s.test.targets]).toEqual([2]);
  });

  it('sorts the given items and evaluates every user they reach', () => {
    const s = d.split('cold-items', { items: i32([4, 2]) });
    expect([...s.coldItems]).toEqual([2, 4]);
    expect([...s.train.items]).toEqual([1, 3, 3, 5]);
    expect([...s.test.users]).toEqual([0, 1]);
    expect([...s.test.items]).toEqual([1, 2, 3, 3]);
    expect([...s.test.targets]).toEqual([2, 4]);
  });

  it('chooses round(fraction × occurring items) items, seeded, among items that occur', () => {
    const s = d.split('cold-items', { fraction: 0.5, seed: 7 });
    expect(s.coldItems.length).toBe(3); // round(0.5 × 5 occurring items)
    expect([...s.coldItems]).toEqual([...s.coldItems].sort((a, b) => a - b));
    expect(s.coldItems.every((i) => i >= 1 && i <= 5)).toBe(true); // never item 6
    expect([...d.split('cold-items', { fraction: 0.5, seed: 7 }).coldItems]).toEqual([...s.coldItems]);
    expect(d.split('cold-items').coldItems.length).toBe(1); // default 0.1, at least one
  });

  it('chooses every occurring item equally often over seeds', () => {
    const picks = new Array<number>(7).fill(0);
    for (let seed = 0; seed < 2000; seed++) for (const i of d.split('cold-items', { fraction: 0.4, seed }).coldItems) picks[i]!++;
    // 2 of 5 items per seed: each item 800 times in expectation (sd ≈ 22)
    for (const i of [1, 2, 3, 4, 5]) expect(Math.abs(picks[i]! - 800)).toBeLessThan(100);
    expect(picks[6]).toBe(0);
  });

  it('rejects bad options', () => {
    const option = (o: object) => thrown(() => d.split('cold-items', o as never));
    expect(option({ fraction: 0 }).details).toMatchObject({ option: 'options.fraction' });
    expect(option({ fraction: 1 }).details).toMatchObject({ option: 'options.fraction' });
    expect(option({ seed: -1 }).details).toMatchObject({ option: 'options.seed' });
    expect(option({ items: [2] }).details).toMatchObject({ option: 'options.items' });
    expect(option({ items: i32([2, 7]) }).details).toMatchObject({ option: 'options.items[1]' });
    expect(option({ items: i32([2, 2]) }).details).toMatchObject({ option: 'options.items[1]' });
    expect(option({ items: i32([2]), seed: 1 }).code).toBe('E_INVALID_OPTION');
  });

  it('rejects a dataset without interactions', () => {
    const empty = Dataset.fromCSR({ offsets: i32([0, 0]), items: i32([]), numItems: 3 });
    expect(thrown(() => empty.split('cold-items')).code).toBe('E_INVALID_DATA');
  });
});

describe("Dataset.split('cold-users')", () => {
  const d = Dataset.fromSequences([[1, 2, 3, 4], [2, 3], [4], [3, 1, 2, 5, 4, 6], [5, 6, 1]], 6);

  it('empties the held-out users in train and scores them from their first k events', () => {
    const all = d.split('cold-users', { fraction: 0.99, shots: [1, 2, 4] }); // every user with >= 2 events
    expect([...all.coldUsers]).toEqual([0, 1, 3, 4]);
    expect([...all.train.offsets]).toEqual([0, 0, 0, 1, 1, 1]);
    expect([...all.train.items]).toEqual([4]);
    expect(all.fewShot.map((f) => f.shots)).toEqual([1, 2, 4]);
    const [one, two, four] = all.fewShot.map((f) => f.test);
    expect([...one!.users]).toEqual([0, 1, 3, 4]);
    expect([...one!.items]).toEqual([1, 2, 3, 5]);
    expect([...one!.targets]).toEqual([2, 3, 1, 6]);
    expect([...two!.users]).toEqual([0, 3, 4]); // user 1 has no event after its first 2
    expect([...two!.offsets]).toEqual([0, 2, 4, 6]);
    expect([...two!.targets]).toEqual([3, 2, 1]);
    expect([...four!.users]).toEqual([3]);
    expect([...four!.items]).toEqual([3, 1, 2, 5]);
    expect([...four!.targets]).toEqual([4]);
  });

  it('chooses round(fraction × eligible users), seeded, never a user with one event', () => {
    const s = d.split('cold-users', { fraction: 0.5, seed: 3 });
    expect(s.coldUsers.length).toBe(2);
    expect([...s.coldUsers].includes(2)).toBe(false);
    expect([...d.split('cold-users', { fraction: 0.5, seed: 3 }).coldUsers]).toEqual([...s.coldUsers]);
    expect(d.split('cold-users').fewShot.map((f) => f.shots)).toEqual([1, 3, 5, 10]);
    const kept = s.train.offsets;
    for (const u of s.coldUsers) expect(kept[u + 1]! - kept[u]!).toBe(0);
  });

  it('rejects bad options and data without a user to hold out', () => {
    const option = (o: object) => thrown(() => d.split('cold-users', o as never));
    expect(option({ fraction: 1 }).details).toMatchObject({ option: 'options.fraction' });
    expect(option({ shots: [] }).details).toMatchObject({ option: 'options.shots' });
    expect(option({ shots: [0] }).details).toMatchObject({ option: 'options.shots[0]' });
    expect(option({ shots: [3, 2] }).details).toMatchObject({ option: 'options.shots[1]' });
    expect(option({ shot: [1] }).message).toMatch(/did you mean options.shots/);
    const single = Dataset.fromSequences([[1], [2]], 2);
    expect(thrown(() => single.split('cold-users')).code).toBe('E_INVALID_DATA');
  });
});

describe('Dataset.split', () => {
  it('rejects options for leave-one-out and unknown kinds', () => {
    const d = Dataset.fromSequences([[1, 2, 3]]);
    expect(thrown(() => (d.split as (k: string, o: object) => unknown)('leave-one-out', { seed: 1 })).code).toBe('E_INVALID_OPTION');
    expect(thrown(() => d.split('random' as 'temporal')).details).toMatchObject({ option: 'kind' });
  });
});
