/**
 * The most-popular baseline's full-ranking rank of each target: items scored by train count, the user's
 * history (other than the target itself) excluded, item 0 (padding) never a candidate, ties pessimistic.
 * Sorts the counts once, then costs O(history · 1) plus two binary searches per user, never O(numItems).
 * Model ranks are computed on device in native/; this is the bar every model must clear.
 */
import type { EvalSet } from '../data/dataset.js';
import { SeqrecError } from '../errors.js';

/**
 * rank = 1 + #(unseen items ≠ target with count > target's) + #(unseen items ≠ target with count == target's).
 * `trainCounts` is (numItems+1), e.g. `train.itemCounts()`.
 */
export function popularityRanks(trainCounts: Int32Array, evalSet: EvalSet): Int32Array {
  const { users, offsets, items, targets, numItems } = evalSet;
  if (!(trainCounts instanceof Int32Array) || trainCounts.length !== numItems + 1) {
    const msg = `Expected trainCounts to be an Int32Array of numItems+1=${numItems + 1} counts`;
    throw new SeqrecError('E_INVALID_DATA', msg, { field: 'trainCounts' });
  }
  if (offsets.length !== targets.length + 1 || users.length !== targets.length || offsets[targets.length] !== items.length) {
    throw new SeqrecError('E_INVALID_DATA', 'Expected an EvalSet whose users, offsets and targets agree in length', { field: 'evalSet' });
  }
  const sorted = trainCounts.slice(1).sort(); // (numItems) ascending; typed-array sort is numeric
  // Marks items already discounted for the current user, so repeated history items count once.
  const seenBy = new Int32Array(numItems + 1).fill(-1);
  const ranks = new Int32Array(targets.length);
  for (let e = 0; e < targets.length; e++) {
    const target = targets[e]!;
    if (target < 1 || target > numItems) {
      throw new SeqrecError('E_INVALID_DATA', `Expected targets[${e}] in 1..${numItems} but found ${target}`, { field: 'targets', index: e });
    }
    const c = trainCounts[target]!;
    const lo = lowerBound(sorted, c);
    const hi = lowerBound(sorted, c + 1);
    let higher = numItems - hi;
    let equal = hi - lo - 1; // the target itself is one of the equals
    seenBy[target] = e; // the target stays a candidate even if it is in the history
    for (let p = offsets[e]!; p < offsets[e + 1]!; p++) {
      const h = items[p]!;
      if (h < 1 || h > numItems) {
        throw new SeqrecError('E_INVALID_DATA', `Expected items[${p}] in 1..${numItems} but found ${h}`, { field: 'items', index: p });
      }
      if (seenBy[h] === e) continue;
      seenBy[h] = e;
      const hc = trainCounts[h]!;
      if (hc > c) higher--;
      else if (hc === c) equal--;
    }
    ranks[e] = 1 + higher + equal;
  }
  return ranks;
}

/** First index whose value is >= x in an ascending array. */
function lowerBound(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m]! < x) lo = m + 1;
    else hi = m;
  }
  return lo;
}
