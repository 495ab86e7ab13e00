/**
 * Percentile bootstrap confidence interval of a mean over per-user values (e.g. `perUser(ranks, 'ndcg', 10)`):
 * resample the users with replacement B times from a seeded PRNG (mulberry32, lib/data/random.ts), take the
 * mean of each resample, and read the α/2 and 1−α/2 quantiles (Efron & Tibshirani 1993, ch. 13). Deterministic
 * for a seed; costs O(B·n). It does not do BCa or paired model-vs-baseline tests.
 */
import { seededRandom } from '../data/random.js';
import { SeqrecError } from '../errors.js';
import { integer, invalid, noUnknownKeys, number, optionsObject } from '../validate.js';

export interface BootstrapOptions {
  /** (int) number of resamples B. Default 1000. */
  resamples?: number;
  /** (float) coverage of the interval, in (0, 1). Default 0.95. */
  confidence?: number;
  /** (int) PRNG seed, 0..2^32−1. Default 0. */
  seed?: number;
}

export interface ConfidenceInterval {
  /** mean of the original values (the point estimate) */
  mean: number;
  /** lower bound: the (1−confidence)/2 quantile of the resampled means */
  lower: number;
  /** upper bound: the (1+confidence)/2 quantile of the resampled means */
  upper: number;
  confidence: number;
  resamples: number;
}

/**
 * Quantiles interpolate linearly between order statistics (Hyndman–Fan type 7, numpy's default).
 * One value gives [v, v]; an empty input throws.
 */
export function bootstrapCI(values: ArrayLike<number>, options: BootstrapOptions = {}): ConfidenceInterval {
  const o = optionsObject('options', options) as BootstrapOptions;
  noUnknownKeys('options', o, ['resamples', 'confidence', 'seed']);
  const resamples = integer('options.resamples', o.resamples ?? 1000, 1, 1e7);
  const confidence = number('options.confidence', o.confidence ?? 0.95, 0, 1, { exclusiveMin: true });
  if (confidence === 1) throw invalid('options.confidence', 'a finite number > 0 and < 1', confidence);
  const rand = seededRandom(integer('options.seed', o.seed ?? 0, 0, 0xffffffff));
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') throw invalid('values', 'an array of numbers', values);
  const n = values.length;
  if (n === 0) throw new SeqrecError('E_INVALID_DATA', 'no users to evaluate: values is empty', { field: 'values' });
  const x = Float64Array.from(values);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]!))
      throw new SeqrecError('E_INVALID_DATA', `Expected values[${i}] to be finite but found ${values[i]}`, { field: 'values', index: i });
    total += x[i]!;
  }
  const means = new Float64Array(resamples); // (B)
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[Math.floor(rand() * n)]!;
    means[b] = s / n;
  }
  means.sort();
  const alpha = 1 - confidence;
  return { mean: total / n, lower: quantile(means, alpha / 2), upper: quantile(means, 1 - alpha / 2), confidence, resamples };
}

/** Type-7 quantile of an ascending array. */
function quantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
