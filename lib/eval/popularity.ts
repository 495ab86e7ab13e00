/**
 * The most-popular baseline: each target's full-ranking rank (items scored by train count, the user's
 * history other than the target excluded, item 0 never a candidate, ties pessimistic) and each user's
 * top-k list for the beyond-accuracy metrics. Sorts once, then costs O(history + k) per user, never O(numItems).
 * Model ranks are computed on device in native/; the random baseline is in ./random-baseline.ts.
 */
import type { EvalSet } from '../data/dataset.js';
import { SeqrecError } from '../errors.js';
import { integer } from '../validate.js';
import type { TopKLists } from './beyond-accuracy.js';
import { checkEvalSet } from './eval-set.js';

/**
 * rank = 1 + #(unseen items ≠ target with count > target's) + #(unseen items ≠ target with count == target's).
 * `trainCounts` is (numItems+1), e.g. `train.itemCounts()`.
 */
export function popularityRanks(trainCounts: Int32Array, evalSet: EvalSet): Int32Array {
  checkInputs(trainCounts, evalSet);
  const { offsets, items, targets, numItems } = evalSet;
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
      const h = checkItem(items, p, numItems);
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

/**
 * (E, k) each evaluated user's k most popular items, every history item excluded (the target is unknown to a
 * recommender), ties broken by lower item id; rows with fewer than k unseen items end in 0 (empty slots).
 * Because the ranks above put the target after equal-count items, HR@k read off these lists can exceed hitRate(ranks).
 */
export function popularityLists(trainCounts: Int32Array, evalSet: EvalSet, k: number): TopKLists {
  checkInputs(trainCounts, evalSet);
  integer('k', k, 1, 1 << 20);
  const { offsets, items, targets, numItems } = evalSet;
  const order = Int32Array.from({ length: numItems }, (_, j) => j + 1).sort((a, b) => trainCounts[b]! - trainCounts[a]! || a - b);
  const seenBy = new Int32Array(numItems + 1).fill(-1);
  const lists = new Int32Array(targets.length * k); // (E, k), zero = empty slot
  for (let e = 0; e < targets.length; e++) {
    for (let p = offsets[e]!; p < offsets[e + 1]!; p++) seenBy[checkItem(items, p, numItems)] = e;
    let filled = 0;
    for (let j = 0; j < numItems && filled < k; j++) {
      if (seenBy[order[j]!] !== e) lists[e * k + filled++] = order[j]!;
    }
  }
  return { lists, width: k, numItems };
}

function checkInputs(trainCounts: Int32Array, evalSet: EvalSet): void {
  const { numItems } = checkEvalSet('evalSet', evalSet);
  if (!(trainCounts instanceof Int32Array) || trainCounts.length !== numItems + 1) {
    const msg = `Expected trainCounts to be an Int32Array of numItems+1=${numItems + 1} counts`;
    throw new SeqrecError('E_INVALID_DATA', msg, { field: 'trainCounts' });
  }
}

function checkItem(items: Int32Array, p: number, numItems: number): number {
  const h = items[p]!;
  if (h < 1 || h > numItems) {
    throw new SeqrecError('E_INVALID_DATA', `Expected items[${p}] in 1..${numItems} but found ${h}`, { field: 'items', index: p });
  }
  return h;
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
