/**
 * Dataset: user → item interactions as CSR typed arrays (offsets + items), the form handed to native once.
 * Dense item ids are 1..numItems because the model reserves 0 for padding; users are 0..numUsers-1.
 * Holds no timestamps or file parsing (readers live beside it in lib/data) and does not copy the arrays
 * it is given: callers hand them over and must not mutate them afterwards.
 */
import { SeqrecError } from '../errors.js';
import { integer, oneOf } from '../validate.js';

export interface DatasetInit {
  /** (U+1) row starts: offsets[0] = 0, non-decreasing, offsets[U] = items.length. */
  offsets: Int32Array;
  /** (N) dense item ids 1..numItems, each user's slice in time order. */
  items: Int32Array;
  /** Size of the catalogue; ids 1..numItems are valid, 0 is padding. */
  numItems: number;
  /** (numItems+1) original id of each dense item; index 0 is unused. */
  itemIds?: readonly string[];
  /** (U) original id of each user. */
  userIds?: readonly string[];
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
  numItems: number;
}

export interface LeaveOneOutSplit {
  train: Dataset;
  valid: EvalSet;
  test: EvalSet;
}

export class Dataset {
  readonly numUsers: number;
  readonly numItems: number;
  readonly numInteractions: number;
  readonly offsets: Int32Array;
  readonly items: Int32Array;
  readonly itemIds?: readonly string[];
  readonly userIds?: readonly string[];

  // Private so every Dataset has passed fromCSR's checks (or was derived from one that did).
  private constructor(init: DatasetInit) {
    this.offsets = init.offsets;
    this.items = init.items;
    this.numItems = init.numItems;
    this.numUsers = init.offsets.length - 1;
    this.numInteractions = init.items.length;
    if (init.itemIds !== undefined) this.itemIds = init.itemIds;
    if (init.userIds !== undefined) this.userIds = init.userIds;
  }

  /** Wrap CSR arrays after checking them; throws E_INVALID_DATA naming the field and index. */
  static fromCSR(init: DatasetInit): Dataset {
    if (init === null || typeof init !== 'object') throw dataError('init', -1, 'Expected a DatasetInit object');
    const { offsets, items, itemIds, userIds } = init;
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
    if (itemIds !== undefined && (!Array.isArray(itemIds) || itemIds.length !== numItems + 1)) {
      throw dataError('itemIds', -1, `Expected itemIds to be an array of numItems+1=${numItems + 1} strings (index 0 unused)`);
    }
    if (userIds !== undefined && (!Array.isArray(userIds) || userIds.length !== last)) {
      throw dataError('userIds', -1, `Expected userIds to be an array of numUsers=${last} strings`);
    }
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
   * Leave-one-out as in SASRec/BERT4Rec. Users with >= 3 interactions: train = seq[:-2];
   * valid reads seq[:-2] and targets seq[-2]; test reads seq[:-1] (valid item included) and targets seq[-1].
   * Shorter users stay whole in train and are not evaluated. train keeps every user index and numItems.
   */
  split(kind: 'leave-one-out'): LeaveOneOutSplit {
    oneOf('kind', kind, ['leave-one-out'] as const);
    const U = this.numUsers;
    let evaluated = 0;
    let held = 0; // interactions moved out of train
    for (let u = 0; u < U; u++) {
      if (this.offsets[u + 1]! - this.offsets[u]! >= 3) {
        evaluated++;
        held += 2;
      }
    }
    const trainOffsets = new Int32Array(U + 1);
    const trainItems = new Int32Array(this.numInteractions - held);
    const users = new Int32Array(evaluated);
    const validOffsets = new Int32Array(evaluated + 1);
    const testOffsets = new Int32Array(evaluated + 1);
    const validTargets = new Int32Array(evaluated);
    const testTargets = new Int32Array(evaluated);
    let e = 0;
    for (let u = 0; u < U; u++) {
      const start = this.offsets[u]!;
      const end = this.offsets[u + 1]!;
      const n = end - start;
      const keep = n >= 3 ? n - 2 : n;
      trainItems.set(this.items.subarray(start, start + keep), trainOffsets[u]!);
      trainOffsets[u + 1] = trainOffsets[u]! + keep;
      if (n < 3) continue;
      users[e] = u;
      validOffsets[e + 1] = validOffsets[e]! + n - 2;
      testOffsets[e + 1] = testOffsets[e]! + n - 1;
      validTargets[e] = this.items[end - 2]!;
      testTargets[e] = this.items[end - 1]!;
      e++;
    }
    const validItems = new Int32Array(validOffsets[evaluated]!);
    const testItems = new Int32Array(testOffsets[evaluated]!);
    for (let k = 0; k < evaluated; k++) {
      const start = this.offsets[users[k]!]!;
      validItems.set(this.items.subarray(start, start + validOffsets[k + 1]! - validOffsets[k]!), validOffsets[k]!);
      testItems.set(this.items.subarray(start, start + testOffsets[k + 1]! - testOffsets[k]!), testOffsets[k]!);
    }
    const train = new Dataset({
      offsets: trainOffsets,
      items: trainItems,
      numItems: this.numItems,
      ...(this.itemIds !== undefined && { itemIds: this.itemIds }),
      ...(this.userIds !== undefined && { userIds: this.userIds }),
    });
    const numItems = this.numItems;
    return {
      train,
      valid: { users, offsets: validOffsets, items: validItems, targets: validTargets, numItems },
      test: { users: users.slice(), offsets: testOffsets, items: testItems, targets: testTargets, numItems },
    };
  }
}

function dataError(field: string, index: number, message: string): SeqrecError {
  return new SeqrecError('E_INVALID_DATA', message, index >= 0 ? { field, index } : { field });
}
