/**
 * From raw events to a Dataset: string ids → dense ids (kept, so recommendations come back in
 * the user's vocabulary), optional rating threshold, per-user time order with a stable tie-break
 * (file order), optional de-duplication of repeated (user, item) pairs, and iterative k-core
 * filtering. Event times reach the Dataset as `times`; events added without one keep file order and
 * the Dataset gets no times. File readers (lib/data/readers/) append events here while they stream.
 */
import { SeqrecError } from '../errors.js';
import { integer, itemIdList, noUnknownKeys, number, oneOf, optionsObject } from '../validate.js';
import { Dataset } from './dataset.js';

export interface PreprocessOptions {
  /** (float) keep events whose rating is >= this (events without a rating are kept). Default: keep all. */
  minRating?: number;
  /** (int) iteratively drop users and items with fewer than k events until none remain. Default 0 (off). */
  kCore?: number;
  /** (str) repeated (user, item) pairs: 'keep' all, or keep only the 'first' or 'last' in time. Default 'keep'. */
  dedupe?: 'keep' | 'first' | 'last';
  /**
   * (str[], (V+1) with [0] unused) a vocabulary to keep, e.g. a trained model's itemIds: its items keep their dense
   * ids, items not in it get V+1, V+2, … in order of first appearance (what model.update grows the catalogue with).
   * Default: dense ids in order of first appearance.
   */
  itemIds?: readonly string[];
}

export interface PreprocessReport {
  /** events read */
  events: number;
  /** dropped by minRating */
  belowRating: number;
  /** dropped as repeated (user, item) pairs */
  duplicates: number;
  /** dropped by k-core filtering */
  kCore: number;
}

/** Growable columnar store of (user, item, time, rating) events with interned string ids. */
/** Longest user or item id accepted, in characters (UTF-16 code units). */
export const MAX_ID_LENGTH = 1024;

function checkId(field: 'user' | 'item', id: string): void {
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH) {
    const what = typeof id === 'string' ? `is ${id.length} characters long; ids may have at most ${MAX_ID_LENGTH}` : `must be a string, got ${typeof id}`;
    throw new SeqrecError('E_INVALID_DATA', `${field} id ${what}`, { field });
  }
}

export class InteractionLog {
  readonly #userIndex = new Map<string, number>();
  readonly #itemIndex = new Map<string, number>();
  readonly #userKeys: string[] = [];
  readonly #itemKeys: string[] = [];
  #users = new Int32Array(1024);
  #items = new Int32Array(1024);
  #times = new Float64Array(1024);
  #ratings = new Float32Array(1024);
  #length = 0;
  #timed = 0; // events added with a time

  get length(): number {
    return this.#length;
  }

  /**
   * Append one event. time: seconds, or NaN for "no time" (file order); either every event has a
   * time or none has. rating NaN means "no rating".
   */
  add(user: string, item: string, time = Number.NaN, rating = Number.NaN): void {
    checkId('user', user);
    checkId('item', item);
    if (Number.isFinite(time)) this.#timed++;
    else if (!Number.isNaN(time)) {
      throw new SeqrecError('E_INVALID_DATA', `Expected time to be a finite number of seconds or NaN but found ${time}`, { field: 'time' });
    }
    if (this.#length === this.#users.length) this.#grow();
    const i = this.#length++;
    this.#users[i] = intern(this.#userIndex, this.#userKeys, user);
    this.#items[i] = intern(this.#itemIndex, this.#itemKeys, item);
    this.#times[i] = time;
    this.#ratings[i] = rating;
  }

  /** Build the Dataset (dense item ids 1..V in first-seen order after filtering). */
  toDataset(options: PreprocessOptions = {}): { dataset: Dataset; report: PreprocessReport } {
    const o = optionsObject('options', options) as PreprocessOptions;
    noUnknownKeys('options', o, ['minRating', 'kCore', 'dedupe', 'itemIds']);
    const vocabulary = o.itemIds === undefined ? undefined : itemIdList('options.itemIds', o.itemIds);
    const minRating = o.minRating === undefined ? undefined : number('options.minRating', o.minRating);
    const kCore = integer('options.kCore', o.kCore ?? 0, 0, 1e9);
    const dedupe = oneOf('options.dedupe', o.dedupe ?? 'keep', ['keep', 'first', 'last'] as const);
    const report: PreprocessReport = { events: this.#length, belowRating: 0, duplicates: 0, kCore: 0 };
    const timed = this.#hasTimes();

    let keep: number[] = [];
    for (let i = 0; i < this.#length; i++) {
      const r = this.#ratings[i]!;
      if (minRating !== undefined && !Number.isNaN(r) && r < minRating) report.belowRating++;
      else keep.push(i);
    }
    // Time order per user; ties (and untimed events) keep file order (Array.prototype.sort is stable).
    keep.sort((a, b) => this.#users[a]! - this.#users[b]! || (timed ? this.#times[a]! - this.#times[b]! : 0));
    if (dedupe !== 'keep') {
      const before = keep.length;
      keep = this.#dedupe(keep, dedupe);
      report.duplicates = before - keep.length;
    }
    if (kCore > 0) {
      const before = keep.length;
      keep = this.#kCore(keep, kCore);
      report.kCore = before - keep.length;
    }
    if (keep.length === 0) throw new SeqrecError('E_INVALID_DATA', 'no interactions are left after preprocessing', { report });
    return { dataset: this.#csr(keep, timed, vocabulary), report };
  }

  /** Whether events carry times; E_INVALID_DATA when only some do (they could not be ordered). */
  #hasTimes(): boolean {
    if (this.#timed === 0 || this.#timed === this.#length) return this.#timed > 0;
    throw new SeqrecError('E_INVALID_DATA', `${this.#timed} of ${this.#length} events have a time; give every event a time or none`, { field: 'time' });
  }

  #dedupe(order: number[], which: 'first' | 'last'): number[] {
    const seen = new Map<number, number>(); // item → position in `out` (per user)
    const out: number[] = [];
    let user = -1;
    for (const i of order) {
      if (this.#users[i] !== user) {
        user = this.#users[i]!;
        seen.clear();
      }
      const at = seen.get(this.#items[i]!);
      if (at === undefined) {
        seen.set(this.#items[i]!, out.length);
        out.push(i);
      } else if (which === 'last') {
        out[at] = -1; // drop the earlier one, keep this one at its own time
        seen.set(this.#items[i]!, out.length);
        out.push(i);
      }
    }
    return out.filter((i) => i >= 0);
  }

  #kCore(order: number[], k: number): number[] {
    let current = order;
    for (;;) {
      const userCount = new Map<number, number>();
      const itemCount = new Map<number, number>();
      for (const i of current) {
        userCount.set(this.#users[i]!, (userCount.get(this.#users[i]!) ?? 0) + 1);
        itemCount.set(this.#items[i]!, (itemCount.get(this.#items[i]!) ?? 0) + 1);
      }
      const next = current.filter((i) => userCount.get(this.#users[i]!)! >= k && itemCount.get(this.#items[i]!)! >= k);
      if (next.length === current.length) return next;
      current = next;
    }
  }

  #csr(order: number[], timed: boolean, vocabulary: readonly string[] | undefined): Dataset {
    const denseItem = new Map<number, number>();
    const itemIds = vocabulary ? [...vocabulary] : [''];
    for (let dense = 1; dense < itemIds.length; dense++) {
      const key = this.#itemIndex.get(itemIds[dense]!);
      if (key !== undefined) denseItem.set(key, dense);
    }
    const userIds: string[] = [];
    const offsets: number[] = [0];
    const items = new Int32Array(order.length);
    let user = -1;
    order.forEach((i, at) => {
      if (this.#users[i] !== user) {
        user = this.#users[i]!;
        userIds.push(this.#userKeys[user]!);
        if (at > 0) offsets.push(at);
      }
      let dense = denseItem.get(this.#items[i]!);
      if (dense === undefined) {
        dense = itemIds.length;
        denseItem.set(this.#items[i]!, dense);
        itemIds.push(this.#itemKeys[this.#items[i]!]!);
      }
      items[at] = dense;
    });
    offsets.push(order.length);
    const times = timed ? Float64Array.from(order, (i) => this.#times[i]!) : undefined;
    const ratings = order.some((i) => !Number.isNaN(this.#ratings[i]!)) ? Float32Array.from(order, (i) => this.#ratings[i]!) : undefined;
    return Dataset.fromCSR({
      offsets: Int32Array.from(offsets),
      items,
      numItems: itemIds.length - 1,
      itemIds,
      userIds,
      ...(times && { times }),
      ...(ratings && { ratings }),
    });
  }

  #grow(): void {
    const grow = <T extends Int32Array | Float64Array | Float32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.#users = grow(this.#users);
    this.#items = grow(this.#items);
    this.#times = grow(this.#times);
    this.#ratings = grow(this.#ratings);
  }
}

function intern(index: Map<string, number>, keys: string[], key: string): number {
  let id = index.get(key);
  if (id === undefined) {
    id = keys.length;
    index.set(key, id);
    keys.push(key);
  }
  return id;
}
