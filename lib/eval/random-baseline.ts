/**
 * The uniformly random baseline under the model's protocol: every evaluated user draws an independent score
 * for each item 1..V from one seeded stream (mulberry32, lib/data/random.ts, users and items in order); the
 * user's history is excluded and ties are pessimistic, as in popularityRanks. O(V) per user on purpose: drawing
 * the rank directly would match in distribution but not give lists from the same scorer. randomRanks and
 * randomLists with the same seed read the same scores. The most-popular baseline lives in ./popularity.ts.
 */
import type { EvalSet } from '../data/dataset.js';
import { seededRandom } from '../data/random.js';
import { SeqrecError } from '../errors.js';
import { integer, noUnknownKeys, optionsObject } from '../validate.js';
import type { TopKLists } from './beyond-accuracy.js';
import { checkEvalSet } from './eval-set.js';

export interface RandomBaselineOptions {
  /** (int) seed of the score stream, 0..2^32−1. Default 0. */
  seed?: number;
}

/**
 * (E) rank = 1 + #(items ≠ target, not in the history, with score >= the target's); the target stays a
 * candidate even if it is in the history. Mean rank ≈ (C + 1)/2 for C candidates.
 */
export function randomRanks(evalSet: EvalSet, options: RandomBaselineOptions = {}): Int32Array {
  checkEvalSet('evalSet', evalSet);
  const ranks = new Int32Array(evalSet.targets.length);
  scoreUsers(evalSet, options, (e, scores, seen) => {
    const t = evalSet.targets[e]!;
    if (t < 1 || t > evalSet.numItems) {
      throw new SeqrecError('E_INVALID_DATA', `Expected targets[${e}] in 1..${evalSet.numItems} but found ${t}`, { field: 'targets', index: e });
    }
    const st = scores[t]!;
    let rank = 1;
    for (let i = 1; i < scores.length; i++) if (i !== t && seen[i] !== e && scores[i]! >= st) rank++;
    ranks[e] = rank;
  });
  return ranks;
}

/**
 * (E, k) each user's k highest-scoring items with the whole history excluded (the target is unknown to a
 * recommender), ties to the lower id; rows with fewer than k unseen items end in 0 (empty slots).
 */
export function randomLists(evalSet: EvalSet, k: number, options: RandomBaselineOptions = {}): TopKLists {
  checkEvalSet('evalSet', evalSet);
  integer('k', k, 1, 1 << 20);
  const lists = new Int32Array(evalSet.targets.length * k); // (E, k)
  const best = new Int32Array(k); // current top items, best first
  scoreUsers(evalSet, options, (e, scores, seen) => {
    let n = 0;
    for (let i = 1; i < scores.length; i++) {
      if (seen[i] === e || (n === k && scores[i]! <= scores[best[k - 1]!]!)) continue;
      let j = n < k ? n++ : k - 1; // insertion into the sorted buffer, dropping the worst when full
      for (; j > 0 && scores[best[j - 1]!]! < scores[i]!; j--) best[j] = best[j - 1]!;
      best[j] = i;
    }
    lists.set(best.subarray(0, n), e * k);
  });
  return { lists, width: k, numItems: evalSet.numItems };
}

/** Draws (V+1) scores per user in order ([0] unused) and marks the user's history in `seen` with e. */
function scoreUsers(evalSet: EvalSet, options: RandomBaselineOptions, visit: (e: number, scores: Float64Array, seen: Int32Array) => void): void {
  const o = optionsObject('options', options) as RandomBaselineOptions;
  noUnknownKeys('options', o, ['seed']);
  const rand = seededRandom(integer('options.seed', o.seed ?? 0, 0, 0xffffffff));
  const { offsets, items, targets, numItems } = evalSet; // checked by the callers
  const scores = new Float64Array(numItems + 1); // (V+1)
  const seen = new Int32Array(numItems + 1).fill(-1); // (V+1) last user whose history holds the item
  for (let e = 0; e < targets.length; e++) {
    for (let i = 1; i <= numItems; i++) scores[i] = rand();
    for (let p = offsets[e]!; p < offsets[e + 1]!; p++) {
      const h = items[p]!;
      if (h < 1 || h > numItems) throw new SeqrecError('E_INVALID_DATA', `Expected items[${p}] in 1..${numItems} but found ${h}`, { field: 'items', index: p });
      seen[h] = e;
    }
    visit(e, scores, seen);
  }
}
