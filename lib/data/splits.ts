/**
 * Ways to hold interactions out of a Dataset for evaluation: leave-one-out (SASRec/BERT4Rec), a global
 * temporal split at two cut times, a cold-start item hold-out and a new-user (few-shot) hold-out. Every
 * evaluated user reads a prefix of their own sequence and is scored on the event right after it, so one
 * EvalSet builder serves all four. Train keeps every user index, the catalogue size, ids, side information and times. These
 * functions return train as a DatasetInit; Dataset.split wraps it (the Dataset constructor is private).
 */
import type { Dataset, DatasetInit, EvalSet } from './dataset.js';
import { seededRandom } from './random.js';
import { SeqrecError } from '../errors.js';
import { integer, invalid, noUnknownKeys, number, optionsObject } from '../validate.js';

export interface LeaveOneOutSplit {
  train: Dataset;
  valid: EvalSet;
  test: EvalSet;
}

/** Cut times as quantiles of all event times, or given directly (seconds, validTime <= testTime). */
export type TemporalSplitOptions =
  | {
      /** (float) share of events at or after validTime and before testTime, in (0, 1). Default 0.1. */
      validFraction?: number;
      /** (float) share of events at or after testTime, in (0, 1). Default 0.1. */
      testFraction?: number;
    }
  | {
      /** (float) train holds the events before this time. */
      validTime: number;
      /** (float) test targets are at or after this time. */
      testTime: number;
    };

export interface TemporalSplit {
  /** events with time < validTime */
  train: Dataset;
  /** users with a train event and an event in [validTime, testTime): train history, first event in the window */
  valid: EvalSet;
  /** users with an event before testTime and one at or after it: all earlier events, first event >= testTime */
  test: EvalSet;
  validTime: number;
  testTime: number;
  /** targets whose item never occurs in train */
  coldTargets: { valid: number; test: number };
}

/** Hold out a seeded uniform share of the items that occur in the data, or the items given. */
export type ColdItemsSplitOptions =
  | {
      /** (float) share of the items occurring in the data to hold out, in (0, 1); at least one. Default 0.1. */
      fraction?: number;
      /** (int) seed of the choice, 0..2^32-1. Default 0. */
      seed?: number;
    }
  | {
      /** (Int32Array) the dense item ids to hold out. */
      items: Int32Array;
    };

export interface ColdItemsSplit {
  /** every user's sequence without the cold items' events */
  train: Dataset;
  /** users with a cold-item event after their first event: target = their last cold-item event, history = all events before it */
  test: EvalSet;
  /** the held-out dense item ids, sorted */
  coldItems: Int32Array;
}

/** Hold out a seeded uniform share of the users entirely; each is then evaluated from its first k events. */
export interface ColdUsersSplitOptions {
  /** (float) share of the users with at least 2 events to hold out, in (0, 1); at least one. Default 0.1. */
  fraction?: number;
  /** (int) seed of the choice, 0..2^32-1. Default 0. */
  seed?: number;
  /** (int[]) history lengths k to evaluate new users at, each >= 1, ascending. Default [1, 3, 5, 10]. */
  shots?: readonly number[];
}

export interface ColdUsersSplit {
  /** the other users' whole sequences; held-out users are empty here (user indices are kept) */
  train: Dataset;
  /** the held-out user indices, sorted */
  coldUsers: Int32Array;
  /** per k of options.shots: held-out users with more than k events, history = their first k, target = event k+1 */
  fewShot: { shots: number; test: EvalSet }[];
}

/** A split whose train is still a DatasetInit. */
export type WithTrainInit<S extends { train: Dataset }> = Omit<S, 'train'> & { train: DatasetInit };

/**
 * Users with >= 3 interactions: train = seq[:-2]; valid reads seq[:-2] and targets seq[-2]; test reads
 * seq[:-1] (valid item included) and targets seq[-1]. Shorter users stay whole in train and are not evaluated.
 */
export function leaveOneOut(d: Dataset): WithTrainInit<LeaveOneOutSplit> {
  const keep = new Int32Array(d.numUsers);
  const users: number[] = [];
  for (let u = 0; u < d.numUsers; u++) {
    const n = length(d, u);
    keep[u] = n >= 3 ? n - 2 : n;
    if (n >= 3) users.push(u);
  }
  const evaluated = Int32Array.from(users);
  return {
    train: prefixTrain(d, keep),
    valid: prefixEvalSet(
      d,
      evaluated,
      evaluated.map((u) => length(d, u) - 2),
    ),
    test: prefixEvalSet(
      d,
      evaluated.slice(),
      evaluated.map((u) => length(d, u) - 1),
    ),
  };
}

/** The global temporal split described on TemporalSplit; needs `times`. */
export function temporal(d: Dataset, options: unknown): WithTrainInit<TemporalSplit> {
  const times = d.times;
  if (times === undefined) {
    throw new SeqrecError('E_INVALID_DATA', 'a temporal split needs event times, but this dataset has no times (read a file with a time column)', {
      field: 'times',
    });
  }
  const { validTime, testTime } = cutTimes(times, options);
  const beforeValid = countBefore(d, times, validTime);
  const beforeTest = countBefore(d, times, testTime);
  const validUsers: number[] = [];
  const testUsers: number[] = [];
  for (let u = 0; u < d.numUsers; u++) {
    if (beforeValid[u]! >= 1 && beforeTest[u]! > beforeValid[u]!) validUsers.push(u);
    if (beforeTest[u]! >= 1 && beforeTest[u]! < length(d, u)) testUsers.push(u);
  }
  const train = prefixTrain(d, beforeValid);
  const valid = prefixEvalSet(
    d,
    Int32Array.from(validUsers),
    Int32Array.from(validUsers, (u) => beforeValid[u]!),
  );
  const test = prefixEvalSet(
    d,
    Int32Array.from(testUsers),
    Int32Array.from(testUsers, (u) => beforeTest[u]!),
  );
  const inTrain = new Uint8Array(d.numItems + 1);
  for (const i of train.items) inTrain[i] = 1;
  const cold = (e: EvalSet) => e.targets.reduce((n, i) => n + (inTrain[i] ? 0 : 1), 0);
  return { train, valid, test, validTime, testTime, coldTargets: { valid: cold(valid), test: cold(test) } };
}

/** The cold-start item hold-out described on ColdItemsSplit. */
export function coldItems(d: Dataset, options: unknown): WithTrainInit<ColdItemsSplit> {
  const chosen = chooseColdItems(d, options);
  const isCold = new Uint8Array(d.numItems + 1);
  for (const i of chosen) isCold[i] = 1;
  const users: number[] = [];
  const lengths: number[] = [];
  for (let u = 0; u < d.numUsers; u++) {
    const start = d.offsets[u]!;
    let last = d.offsets[u + 1]! - 1;
    while (last >= start && !isCold[d.items[last]!]) last--;
    if (last > start) {
      users.push(u);
      lengths.push(last - start);
    }
  }
  return {
    train: trainWithout(d, isCold),
    test: prefixEvalSet(d, Int32Array.from(users), Int32Array.from(lengths)),
    coldItems: chosen,
  };
}

/** The new-user hold-out described on ColdUsersSplit. */
export function coldUsers(d: Dataset, options: unknown): WithTrainInit<ColdUsersSplit> {
  const o = optionsObject('options', options);
  noUnknownKeys('options', o, ['fraction', 'seed', 'shots']);
  const share = fraction('options.fraction', o.fraction ?? 0.1);
  const random = seededRandom(integer('options.seed', o.seed ?? 0, 0, 0xffffffff));
  const shots = shotsOption(o.shots ?? [1, 3, 5, 10]);
  const eligible: number[] = [];
  for (let u = 0; u < d.numUsers; u++) if (length(d, u) >= 2) eligible.push(u);
  if (eligible.length === 0) throw new SeqrecError('E_INVALID_DATA', 'no user has 2 or more events, so none can be held out', { field: 'offsets' });
  const chosen = sampleWithoutReplacement(eligible, Math.max(1, Math.round(share * eligible.length)), random);
  const keep = Int32Array.from({ length: d.numUsers }, (_, u) => length(d, u));
  for (const u of chosen) keep[u] = 0;
  const fewShot = shots.map((k) => {
    const users = chosen.filter((u) => length(d, u) > k);
    return {
      shots: k,
      test: prefixEvalSet(
        d,
        users,
        users.map(() => k),
      ),
    };
  });
  return { train: prefixTrain(d, keep), coldUsers: chosen, fewShot };
}

function shotsOption(value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid('options.shots', 'a non-empty array of history lengths', value);
  return value.map((k, i) => integer(`options.shots[${i}]`, k, i === 0 ? 1 : (value[i - 1] as number) + 1, 1 << 20));
}

/** k values drawn uniformly without replacement (partial Fisher–Yates; `values` is reordered), sorted. */
function sampleWithoutReplacement(values: number[], k: number, random: () => number): Int32Array {
  const n = Math.min(values.length, k);
  for (let j = 0; j < n; j++) {
    const pick = j + Math.floor(random() * (values.length - j));
    [values[j], values[pick]] = [values[pick]!, values[j]!];
  }
  return Int32Array.from(values.slice(0, n)).sort();
}

function cutTimes(times: Float64Array, options: unknown): { validTime: number; testTime: number } {
  const o = optionsObject('options', options);
  noUnknownKeys('options', o, ['validFraction', 'testFraction', 'validTime', 'testTime']);
  if (o.validTime !== undefined || o.testTime !== undefined) {
    if (o.validFraction !== undefined || o.testFraction !== undefined) throw eitherOr('validFraction/testFraction', 'validTime/testTime');
    const validTime = number('options.validTime', o.validTime);
    const testTime = number('options.testTime', o.testTime);
    if (validTime > testTime) throw invalid('options.testTime', `a time >= options.validTime (${validTime})`, testTime);
    return { validTime, testTime };
  }
  const validFraction = fraction('options.validFraction', o.validFraction ?? 0.1);
  const testFraction = fraction('options.testFraction', o.testFraction ?? 0.1);
  if (validFraction + testFraction >= 1) throw invalid('options.testFraction', `a fraction < 1 - options.validFraction (${validFraction})`, testFraction);
  // testTime is the time of the nTest-th last event, validTime that of the (nTest + nValid)-th last; ties
  // at a cut time fall after it, so a window can hold a few more events than its share.
  const n = times.length;
  const nTest = Math.max(1, Math.round(testFraction * n));
  const nValid = Math.max(1, Math.round(validFraction * n));
  if (nTest + nValid >= n) {
    throw new SeqrecError(
      'E_INVALID_DATA',
      `times: ${n} events are too few to hold out ${nValid} for validation and ${nTest} for test and keep one for training`,
      { field: 'times' },
    );
  }
  const sorted = Float64Array.from(times).sort();
  return { validTime: sorted[n - nTest - nValid]!, testTime: sorted[n - nTest]! };
}

function chooseColdItems(d: Dataset, options: unknown): Int32Array {
  const o = optionsObject('options', options);
  noUnknownKeys('options', o, ['fraction', 'seed', 'items']);
  if (o.items !== undefined) {
    if (o.fraction !== undefined || o.seed !== undefined) throw eitherOr('fraction/seed', 'items');
    return givenItems(o.items, d.numItems);
  }
  const share = fraction('options.fraction', o.fraction ?? 0.1);
  const random = seededRandom(integer('options.seed', o.seed ?? 0, 0, 0xffffffff));
  const counts = d.itemCounts();
  const present: number[] = [];
  for (let i = 1; i <= d.numItems; i++) if (counts[i]! > 0) present.push(i);
  if (present.length === 0) throw new SeqrecError('E_INVALID_DATA', 'no items occur in this dataset, so none can be held out', { field: 'items' });
  return sampleWithoutReplacement(present, Math.max(1, Math.round(share * present.length)), random);
}

function givenItems(value: unknown, numItems: number): Int32Array {
  if (!(value instanceof Int32Array)) throw invalid('options.items', 'an Int32Array of dense item ids', value);
  const seen = new Uint8Array(numItems + 1);
  value.forEach((i, at) => {
    if (i < 1 || i > numItems) throw invalid(`options.items[${at}]`, `an item id in 1..${numItems}`, i);
    if (seen[i]) throw invalid(`options.items[${at}]`, 'an item id not listed before', i);
    seen[i] = 1;
  });
  return value.slice().sort();
}

/** Train keeping the first keep[u] events of each user. */
function prefixTrain(d: Dataset, keep: Int32Array): DatasetInit {
  const offsets = new Int32Array(d.numUsers + 1);
  for (let u = 0; u < d.numUsers; u++) offsets[u + 1] = offsets[u]! + keep[u]!;
  const at = new Int32Array(offsets[d.numUsers]!); // source position of each kept event
  for (let u = 0; u < d.numUsers; u++) {
    for (let j = 0; j < keep[u]!; j++) at[offsets[u]! + j] = d.offsets[u]! + j;
  }
  return trainInit(d, offsets, at);
}

/** Train without the events of items marked in `drop`. */
function trainWithout(d: Dataset, drop: Uint8Array): DatasetInit {
  const offsets = new Int32Array(d.numUsers + 1);
  const at: number[] = [];
  for (let u = 0; u < d.numUsers; u++) {
    for (let i = d.offsets[u]!; i < d.offsets[u + 1]!; i++) if (!drop[d.items[i]!]) at.push(i);
    offsets[u + 1] = at.length;
  }
  return trainInit(d, offsets, Int32Array.from(at));
}

/** A DatasetInit of the source events at positions `at`, carrying over ids, side information and times. */
function trainInit(d: Dataset, offsets: Int32Array, at: Int32Array): DatasetInit {
  return {
    offsets,
    items: at.map((i) => d.items[i]!),
    numItems: d.numItems,
    ...(d.times !== undefined && { times: Float64Array.from(at, (i) => d.times![i]!) }),
    ...(d.ratings !== undefined && { ratings: Float32Array.from(at, (i) => d.ratings![i]!) }),
    ...(d.itemIds !== undefined && { itemIds: d.itemIds }),
    ...(d.userIds !== undefined && { userIds: d.userIds }),
    ...(d.itemInfo !== undefined && { itemInfo: d.itemInfo }),
    ...(d.userAttributes !== undefined && { userAttributes: d.userAttributes }),
  };
}

/** Users reading their first lengths[e] events, each scored on the event right after them. */
function prefixEvalSet(d: Dataset, users: Int32Array, lengths: Int32Array): EvalSet {
  const offsets = new Int32Array(users.length + 1);
  lengths.forEach((n, e) => (offsets[e + 1] = offsets[e]! + n));
  const items = new Int32Array(offsets[users.length]!);
  const targets = new Int32Array(users.length);
  const targetRatings = d.ratings && new Float32Array(users.length);
  users.forEach((u, e) => {
    const start = d.offsets[u]!;
    items.set(d.items.subarray(start, start + lengths[e]!), offsets[e]!);
    targets[e] = d.items[start + lengths[e]!]!;
    if (targetRatings) targetRatings[e] = d.ratings![start + lengths[e]!]!;
  });
  return { users, offsets, items, targets, ...(targetRatings && { targetRatings }), numItems: d.numItems };
}

/** (U) number of each user's events with time < t (a prefix: times are non-decreasing per user). */
function countBefore(d: Dataset, times: Float64Array, t: number): Int32Array {
  return Int32Array.from({ length: d.numUsers }, (_, u) => {
    let i = d.offsets[u]!;
    while (i < d.offsets[u + 1]! && times[i]! < t) i++;
    return i - d.offsets[u]!;
  });
}

function length(d: Dataset, u: number): number {
  return d.offsets[u + 1]! - d.offsets[u]!;
}

function fraction(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) throw invalid(name, 'a number > 0 and < 1', value);
  return value;
}

function eitherOr(a: string, b: string): SeqrecError {
  return new SeqrecError('E_INVALID_OPTION', `Expected either options.${a} or options.${b}, not both`, { option: 'options' });
}
