/**
 * Dataset: user → item interactions as CSR typed arrays (offsets + items), the form handed to native once.
 * Dense item ids are 1..numItems because the model reserves 0 for padding; users are 0..numUsers-1.
 * Optional beside the CSR: event times, original ids, and side information aligned to them
 * (./side-info.ts). File parsing lives in ./readers, the splits in ./splits.ts. Does not copy the
 * arrays it is given: callers hand them over and must not mutate them afterwards.
 */
import { SeqrecError } from '../errors.js';
import { integer, noUnknownKeys, oneOf, optionsObject } from '../validate.js';
import { alignItemInfo, alignUserAttributes, type ItemInfo, type SideInfoMatch, type UserAttributes } from './side-info.js';
import {
  type ColdItemsSplit,
  type ColdItemsSplitOptions,
  coldItems,
  type ColdUsersSplit,
  type ColdUsersSplitOptions,
  coldUsers,
  type LeaveOneOutSplit,
  leaveOneOut,
  temporal,
  type TemporalSplit,
  type TemporalSplitOptions,
  type WithTrainInit,
} from './splits.js';

export type {
  ColdItemsSplit,
  ColdItemsSplitOptions,
  ColdUsersSplit,
  ColdUsersSplitOptions,
  LeaveOneOutSplit,
  TemporalSplit,
  TemporalSplitOptions,
} from './splits.js';

export interface DatasetInit {
  /** (U+1) row starts: offsets[0] = 0, non-decreasing, offsets[U] = items.length. */
  offsets: Int32Array;
  /** (N) dense item ids 1..numItems, each user's slice in time order. */
  items: Int32Array;
  /** Size of the catalogue; ids 1..numItems are valid, 0 is padding. */
  numItems: number;
  /** (N) time of each event in seconds, parallel to items; finite and non-decreasing within each user. */
  times?: Float64Array;
  /** (N) rating of each event (explicit feedback), parallel to items; NaN where an event has none. */
  ratings?: Float32Array;
  /** (numItems+1) original id of each dense item; index 0 is unused. */
  itemIds?: readonly string[];
  /** (U) original id of each user. */
  userIds?: readonly string[];
  /** (numItems+1) side information of each dense item, undefined where there is none; index 0 is unused. */
  itemInfo?: readonly (ItemInfo | undefined)[];
  /** (U) attributes of each user, undefined where there are none. */
  userAttributes?: readonly (UserAttributes | undefined)[];
}

/**
 * Users to evaluate, each with the history the model reads (and whose items are excluded from ranking)
 * and one held-out target.
 */
export interface EvalSet {
  /** (E) user indices into the source Dataset. */
  users: Int32Array;
  /** (E+1) CSR row starts into `items`. */
  offsets: Int32Array;
  /** Each evaluated user's history, in time order. */
  items: Int32Array;
  /** (E) the held-out item of each evaluated user. */
  targets: Int32Array;
  /** (E) the rating of each held-out event (NaN: none), when the source Dataset has ratings. */
  targetRatings?: Float32Array;
  numItems: number;
}

export type SplitKind = 'leave-one-out' | 'temporal' | 'cold-items' | 'cold-users';
const SPLIT_KINDS: readonly SplitKind[] = ['leave-one-out', 'temporal', 'cold-items', 'cold-users'];

/** How attached side information matched the dataset's ids (kept on derived datasets). */
interface SideInfoMatches {
  itemInfoMatch?: SideInfoMatch;
  userAttributesMatch?: SideInfoMatch;
}

export class Dataset {
  readonly numUsers: number;
  readonly numItems: number;
  readonly numInteractions: number;
  readonly offsets: Int32Array;
  readonly items: Int32Array;
  /** (N) event times in seconds, parallel to items; absent when the source had none. */
  readonly times?: Float64Array;
  /** (N) rating of each event, NaN where none (see DatasetInit) */
  readonly ratings?: Float32Array;
  readonly itemIds?: readonly string[];
  readonly userIds?: readonly string[];
  /** (numItems+1) item side information; set by withItemInfo. */
  readonly itemInfo?: readonly (ItemInfo | undefined)[];
  /** (U) user attributes; set by withUserAttributes. */
  readonly userAttributes?: readonly (UserAttributes | undefined)[];
  /** (SideInfoMatch) which item ids withItemInfo matched, missed and left unused. */
  readonly itemInfoMatch?: SideInfoMatch;
  /** (SideInfoMatch) which user ids withUserAttributes matched, missed and left unused. */
  readonly userAttributesMatch?: SideInfoMatch;

  // Private so every Dataset has passed fromCSR's checks (or was derived from one that did).
  private constructor(init: DatasetInit, matches: SideInfoMatches = {}) {
    this.offsets = init.offsets;
    this.items = init.items;
    this.numItems = init.numItems;
    this.numUsers = init.offsets.length - 1;
    this.numInteractions = init.items.length;
    if (init.times !== undefined) this.times = init.times;
    if (init.ratings !== undefined) this.ratings = init.ratings;
    if (init.itemIds !== undefined) this.itemIds = init.itemIds;
    if (init.userIds !== undefined) this.userIds = init.userIds;
    if (init.itemInfo !== undefined) this.itemInfo = init.itemInfo;
    if (init.userAttributes !== undefined) this.userAttributes = init.userAttributes;
    if (matches.itemInfoMatch !== undefined) this.itemInfoMatch = matches.itemInfoMatch;
    if (matches.userAttributesMatch !== undefined) this.userAttributesMatch = matches.userAttributesMatch;
  }

  /** Wrap CSR arrays after checking them; throws E_INVALID_DATA naming the field and index. */
  static fromCSR(init: DatasetInit): Dataset {
    if (init === null || typeof init !== 'object') throw dataError('init', -1, 'Expected a DatasetInit object');
    const { offsets, items } = init;
    const numItems = integer('numItems', init.numItems, 0, 0x7fffffff);
    if (!(offsets instanceof Int32Array)) throw dataError('offsets', -1, 'Expected offsets to be an Int32Array');
    if (!(items instanceof Int32Array)) throw dataError('items', -1, 'Expected items to be an Int32Array');
    if (offsets.length < 1) throw dataError('offsets', -1, 'Expected offsets to have numUsers+1 >= 1 entries');
    if (offsets[0] !== 0) throw dataError('offsets', 0, `Expected offsets[0] to be 0 but found ${offsets[0]}`);
    for (let u = 1; u < offsets.length; u++) {
      if (offsets[u]! < offsets[u - 1]!) {
        const msg = `Expected offsets to be non-decreasing but offsets[${u}]=${offsets[u]} < offsets[${u - 1}]=${offsets[u - 1]}`;
        throw dataError('offsets', u, msg);
      }
    }
    const last = offsets.length - 1;
    if (offsets[last] !== items.length) {
      throw dataError('offsets', last, `Expected offsets[${last}] to equal items.length=${items.length} but found ${offsets[last]}`);
    }
    for (let i = 0; i < items.length; i++) {
      const v = items[i]!;
      if (v < 1 || v > numItems) throw dataError('items', i, `Expected items[${i}] in 1..${numItems} but found ${v}`);
    }
    if (init.times !== undefined) checkTimes(offsets, init.times);
    if (init.ratings !== undefined) checkRatings(init.ratings, items.length);
    checkLength('itemIds', init.itemIds, numItems + 1, 'numItems+1', 'strings (index 0 unused)');
    checkLength('userIds', init.userIds, last, 'numUsers', 'strings');
    checkLength('itemInfo', init.itemInfo, numItems + 1, 'numItems+1', 'entries (index 0 unused)');
    checkLength('userAttributes', init.userAttributes, last, 'numUsers', 'entries');
    return new Dataset(init);
  }

  /** Build from one array of dense item ids per user; numItems defaults to the largest id seen. */
  static fromSequences(seqs: ArrayLike<number>[], numItems?: number): Dataset {
    if (!Array.isArray(seqs)) throw dataError('seqs', -1, 'Expected an array of sequences');
    const offsets = new Int32Array(seqs.length + 1);
    for (let u = 0; u < seqs.length; u++) {
      const s = seqs[u];
      if (s === null || typeof s !== 'object' || typeof s.length !== 'number') {
        throw dataError('seqs', u, `Expected seqs[${u}] to be an array of item ids`);
      }
      offsets[u + 1] = offsets[u]! + s.length;
    }
    const items = new Int32Array(offsets[seqs.length]!);
    let maxId = 0;
    for (let u = 0; u < seqs.length; u++) {
      const s = seqs[u]!;
      for (let j = 0; j < s.length; j++) {
        const v = s[j]!;
        if (!Number.isInteger(v) || v < 1 || v > 0x7fffffff) {
          throw dataError('seqs', u, `Expected seqs[${u}][${j}] to be an item id >= 1 but found ${v}`);
        }
        items[offsets[u]! + j] = v;
        if (v > maxId) maxId = v;
      }
    }
    return Dataset.fromCSR({ offsets, items, numItems: numItems ?? maxId });
  }

  /** The user's items in time order: a view, not a copy. */
  sequence(user: number): Int32Array {
    integer('user', user, 0, this.numUsers - 1);
    return this.items.subarray(this.offsets[user]!, this.offsets[user + 1]!);
  }

  /** (numItems+1) number of interactions per dense item id; [0] is always 0. */
  itemCounts(): Int32Array {
    const counts = new Int32Array(this.numItems + 1);
    for (let i = 0; i < this.items.length; i++) counts[this.items[i]!]!++;
    return counts;
  }

  /**
   * Hold data out for evaluation (see ./splits.ts): 'leave-one-out' as in SASRec/BERT4Rec, 'temporal'
   * at two global cut times (needs `times`), 'cold-items' for items never seen in training, or
   * 'cold-users' for new users scored from their first k events (few-shot).
   * Train keeps every user index, numItems, ids, side information and times.
   */
  split(kind: 'leave-one-out'): LeaveOneOutSplit;
  split(kind: 'temporal', options?: TemporalSplitOptions): TemporalSplit;
  split(kind: 'cold-items', options?: ColdItemsSplitOptions): ColdItemsSplit;
  split(kind: 'cold-users', options?: ColdUsersSplitOptions): ColdUsersSplit;
  split(
    kind: SplitKind,
    options?: TemporalSplitOptions | ColdItemsSplitOptions | ColdUsersSplitOptions,
  ): LeaveOneOutSplit | TemporalSplit | ColdItemsSplit | ColdUsersSplit {
    switch (oneOf('kind', kind, SPLIT_KINDS)) {
      case 'leave-one-out':
        noUnknownKeys('options', optionsObject('options', options), []);
        return this.#derive<LeaveOneOutSplit>(leaveOneOut(this));
      case 'temporal':
        return this.#derive<TemporalSplit>(temporal(this, options));
      case 'cold-items':
        return this.#derive<ColdItemsSplit>(coldItems(this, options));
      case 'cold-users':
        return this.#derive<ColdUsersSplit>(coldUsers(this, options));
    }
  }

  /**
   * A Dataset sharing these arrays with `itemInfo` aligned through itemIds, and `itemInfoMatch`
   * reporting dataset ids without info and info ids not in the dataset. Needs itemIds.
   */
  withItemInfo(info: ReadonlyMap<string, ItemInfo>): Dataset {
    const { values, match } = alignItemInfo(this.itemIds, info);
    return new Dataset({ ...this.#init(), itemInfo: values }, { ...this.#matches(), itemInfoMatch: match });
  }

  /**
   * A Dataset sharing these arrays with `userAttributes` aligned through userIds, and
   * `userAttributesMatch` reporting the ids that did not meet. Needs userIds.
   */
  withUserAttributes(attrs: ReadonlyMap<string, UserAttributes>): Dataset {
    const { values, match } = alignUserAttributes(this.userIds, attrs);
    return new Dataset({ ...this.#init(), userAttributes: values }, { ...this.#matches(), userAttributesMatch: match });
  }

  #init(): DatasetInit {
    const { offsets, items, numItems, times, ratings, itemIds, userIds, itemInfo, userAttributes } = this;
    return { offsets, items, numItems, times, ratings, itemIds, userIds, itemInfo, userAttributes };
  }

  #matches(): SideInfoMatches {
    return { itemInfoMatch: this.itemInfoMatch, userAttributesMatch: this.userAttributesMatch };
  }

  #derive<S extends { train: Dataset }>(split: WithTrainInit<S>): Omit<S, 'train'> & { train: Dataset } {
    return { ...split, train: new Dataset(split.train, this.#matches()) };
  }
}

/** Ratings: a Float32Array parallel to items, each finite or NaN (none). */
function checkRatings(ratings: Float32Array, n: number): void {
  if (!(ratings instanceof Float32Array) || ratings.length !== n) {
    throw dataError('ratings', -1, `Expected ratings to be a Float32Array of items.length=${n} values (NaN = none)`);
  }
  for (let i = 0; i < n; i++) {
    if (ratings[i] === Infinity || ratings[i] === -Infinity)
      throw dataError('ratings', i, `Expected ratings[${i}] to be finite or NaN but found ${ratings[i]}`);
  }
}

/** Times must be finite and non-decreasing within each user's slice. */
function checkTimes(offsets: Int32Array, times: Float64Array): void {
  const n = offsets[offsets.length - 1]!;
  if (!(times instanceof Float64Array) || times.length !== n) {
    throw dataError('times', -1, `Expected times to be a Float64Array of items.length=${n} seconds`);
  }
  for (let u = 0; u + 1 < offsets.length; u++) {
    for (let i = offsets[u]!; i < offsets[u + 1]!; i++) {
      if (!Number.isFinite(times[i])) throw dataError('times', i, `Expected times[${i}] to be finite but found ${times[i]}`);
      if (i > offsets[u]! && times[i]! < times[i - 1]!) {
        const msg = `Expected times to be non-decreasing within user ${u} but times[${i}]=${times[i]} < times[${i - 1}]=${times[i - 1]}`;
        throw dataError('times', i, msg);
      }
    }
  }
}

function checkLength(field: string, value: readonly unknown[] | undefined, length: number, what: string, of: string): void {
  if (value !== undefined && (!Array.isArray(value) || value.length !== length)) {
    throw dataError(field, -1, `Expected ${field} to be an array of ${what}=${length} ${of}`);
  }
}

function dataError(field: string, index: number, message: string): SeqrecError {
  return new SeqrecError('E_INVALID_DATA', message, index >= 0 ? { field, index } : { field });
}
