/**
 * The legacy sampled protocol of older papers (SASRec's and BERT4Rec's "rank the target among 100 negatives"),
 * kept only so numbers can be compared with them: it overstates accuracy and can reorder models (Krichene &
 * Rendle, KDD 2020), so seqrec never uses it unless asked for by name, and its metric keys carry '/100neg'.
 * Negatives are unseen items other than the target, drawn without replacement, uniformly or by train popularity.
 */
import type { EvalSet } from '../data/dataset.js';
import { seededRandom } from '../data/random.js';
import { SeqrecError } from '../errors.js';
import { checkEvalSet } from './eval-set.js';

/** The one sampled protocol seqrec offers, by its literature name. */
export const SAMPLED_NEGATIVES = 100;
export const SAMPLED_SUFFIX = `/${SAMPLED_NEGATIVES}neg`;

export interface NegativeSampling {
  /** (str) 'uniform' over unseen items (SASRec) or 'popularity' ∝ train count (BERT4Rec). */
  negatives: 'uniform' | 'popularity';
  /** (V+1) train interaction count per item; needed for 'popularity'. */
  trainCounts?: Int32Array;
  seed: number;
}

/**
 * (E·C) C distinct negatives per evaluated user, row-major: never the target, never a history item.
 * Popularity sampling weights item i by trainCounts[i] + 1 so items unseen in train stay possible.
 */
export function sampleNegatives(evalSet: EvalSet, options: NegativeSampling, count = SAMPLED_NEGATIVES): Int32Array {
  const { offsets, items, targets, numItems: V } = checkEvalSet('evalSet', evalSet);
  const E = targets.length;
  const random = seededRandom(options.seed);
  const weights = options.negatives === 'popularity' ? cumulativeWeights(options.trainCounts, V) : undefined;
  const out = new Int32Array(E * count);
  const taken = new Uint8Array(V + 1);
  for (let e = 0; e < E; e++) {
    const history = items.subarray(offsets[e]!, offsets[e + 1]!);
    history.forEach((i) => (taken[i] = 1));
    taken[targets[e]!] = 1;
    let blocked = 0;
    for (let i = 1; i <= V; i++) blocked += taken[i]!;
    if (V - blocked < count) {
      throw new SeqrecError('E_INVALID_DATA', `evaluated user ${e} has only ${V - blocked} unseen items; the sampled protocol needs ${count}`, {
        field: 'evalSet',
        index: e,
      });
    }
    for (let c = 0; c < count;) {
      const item = weights ? drawWeighted(weights, random()) : 1 + Math.floor(random() * V);
      if (taken[item]) continue;
      taken[item] = 1;
      out[e * count + c++] = item;
    }
    history.forEach((i) => (taken[i] = 0));
    taken[targets[e]!] = 0;
    out.subarray(e * count, (e + 1) * count).forEach((i) => (taken[i] = 0));
  }
  return out;
}

/** (E) pessimistic rank of each target among itself and its C negatives by train popularity. */
export function sampledPopularityRanks(trainCounts: Int32Array, evalSet: EvalSet, candidates: Int32Array, count = SAMPLED_NEGATIVES): Int32Array {
  const E = evalSet.targets.length;
  return Int32Array.from({ length: E }, (_, e) => {
    const target = trainCounts[evalSet.targets[e]!]!;
    let rank = 1;
    for (let c = e * count; c < (e + 1) * count; c++) rank += trainCounts[candidates[c]!]! >= target ? 1 : 0;
    return rank;
  });
}

/** (E) rank of each target under random scores: uniform on 1..C+1. */
export function sampledRandomRanks(users: number, seed: number, count = SAMPLED_NEGATIVES): Int32Array {
  const random = seededRandom(seed);
  return Int32Array.from({ length: users }, () => 1 + Math.floor(random() * (count + 1)));
}

/** (V+1) running sums of trainCounts[i] + 1 over items 1..V; [0] = 0. */
function cumulativeWeights(trainCounts: Int32Array | undefined, V: number): Float64Array {
  if (!(trainCounts instanceof Int32Array) || trainCounts.length !== V + 1) {
    throw new SeqrecError('E_INVALID_OPTION', `popularity sampling needs trainCounts with numItems+1=${V + 1} entries`, { option: 'trainCounts' });
  }
  const sums = new Float64Array(V + 1);
  for (let i = 1; i <= V; i++) sums[i] = sums[i - 1]! + trainCounts[i]! + 1;
  return sums;
}

/** Smallest i with sums[i] > u·total (binary search). */
function drawWeighted(sums: Float64Array, u: number): number {
  const goal = u * sums[sums.length - 1]!;
  let lo = 1;
  let hi = sums.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sums[mid]! > goal) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
