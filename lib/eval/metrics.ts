/**
 * Ranking metrics as pure functions over 1-based ranks of one held-out item per user (rank 1 = best).
 * Ranks come from full-catalogue ranking with seen items excluded and ties counted pessimistically;
 * that is computed elsewhere (model scoring in native, the baselines in ./popularity.ts and ./random-baseline.ts).
 * Every metric is a mean over users of a per-user gain (`perUser` returns the gains for export and for
 * bootstrap/fairness); an empty input throws rather than returning NaN. List metrics live in ./beyond-accuracy.ts.
 */
import { SeqrecError } from '../errors.js';
import { integer, oneOf } from '../validate.js';

/** Hit rate (HR@k, a.k.a. recall@k with one relevant item), in [0, 1]: share of users with rank <= k. */
export function hitRate(ranks: Int32Array, k: number): number {
  return mean(perUser(ranks, 'hr', k));
}

/** Recall@k with one relevant item per user: identical to hitRate (RecBole's Recall with |R_u| = 1). */
export const recall = hitRate;

/**
 * NDCG@k with a single relevant item, in [0, 1]: 1/log2(rank+1) when rank <= k, else 0
 * (the ideal DCG is 1, so no further normalisation; as in SASRec/BERT4Rec and RecBole).
 */
export function ndcg(ranks: Int32Array, k: number): number {
  return mean(perUser(ranks, 'ndcg', k));
}

/**
 * Mean reciprocal rank, in (0, 1]: mean of 1/rank over the full ranking when k is omitted;
 * with k, MRR@k (RecBole) counts 1/rank only when rank <= k, so its range is [0, 1].
 */
export function mrr(ranks: Int32Array, k?: number): number {
  return mean(perUser(ranks, 'mrr', k));
}

/**
 * Precision@k with one relevant item, in [0, 1/k]: (1 if rank <= k else 0) / k (RecBole's Precision).
 * Its maximum is 1/k, not 1, because a top-k list holds at most one hit.
 */
export function precision(ranks: Int32Array, k: number): number {
  return mean(perUser(ranks, 'precision', k));
}

/**
 * MAP@k, in [0, 1]. AP@k = (1/min(|R_u|, k)) Σ_{i<=k} P@i·rel_i (RecBole's MAP); with one relevant item
 * this is 1/rank when rank <= k, else 0, so MAP@k equals MRR@k under leave-one-out.
 */
export function meanAveragePrecision(ranks: Int32Array, k: number): number {
  return mean(perUser(ranks, 'map', k));
}

export const rankMetricNames = ['hr', 'recall', 'ndcg', 'mrr', 'precision', 'map'] as const;
export type RankMetricName = (typeof rankMetricNames)[number];

/**
 * (users) the metric's value for each user, in input order, for per-user export, bootstrap and fairness.
 * `k` is required for every metric except 'mrr' (omitted = no cut-off).
 */
export function perUser(ranks: Int32Array, metric: RankMetricName, k?: number): Float64Array {
  oneOf('metric', metric, rankMetricNames);
  if (metric !== 'mrr' || k !== undefined) integer('k', k, 1);
  const K = k ?? Infinity;
  const gain = gains[metric];
  checkRanks(ranks);
  const out = new Float64Array(ranks.length);
  for (let i = 0; i < ranks.length; i++) out[i] = gain(ranks[i]!, K);
  return out;
}

const gains: Record<RankMetricName, (rank: number, k: number) => number> = {
  hr: (r, k) => (r <= k ? 1 : 0),
  recall: (r, k) => (r <= k ? 1 : 0),
  ndcg: (r, k) => (r <= k ? 1 / Math.log2(r + 1) : 0),
  mrr: (r, k) => (r <= k ? 1 / r : 0),
  precision: (r, k) => (r <= k ? 1 / k : 0),
  map: (r, k) => (r <= k ? 1 / r : 0),
};

function checkRanks(ranks: Int32Array): void {
  if (!(ranks instanceof Int32Array)) throw new SeqrecError('E_INVALID_DATA', 'Expected ranks to be an Int32Array', { field: 'ranks' });
  if (ranks.length === 0) throw new SeqrecError('E_INVALID_DATA', 'no users to evaluate: ranks is empty', { field: 'ranks' });
  for (let i = 0; i < ranks.length; i++) {
    const r = ranks[i]!;
    if (r < 1) throw new SeqrecError('E_INVALID_DATA', `Expected ranks[${i}] >= 1 but found ${r}`, { field: 'ranks', index: i });
  }
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}
