/**
 * Ranking metrics as pure functions over 1-based ranks of one held-out item per user (rank 1 = best).
 * Ranks come from full-catalogue ranking with seen items excluded and ties counted pessimistically;
 * that is computed elsewhere (model scoring in native, the popularity baseline in ./popularity.ts).
 * Every metric is a mean over users; an empty input throws rather than returning NaN.
 */
import { SeqrecError } from '../errors.js';
import { integer } from '../validate.js';

/** Hit rate (HR@k, a.k.a. recall@k with one relevant item), in [0, 1]: share of users with rank <= k. */
export function hitRate(ranks: Int32Array, k: number): number {
  integer('k', k, 1);
  return meanOver(ranks, (r) => (r <= k ? 1 : 0));
}

/**
 * NDCG@k with a single relevant item, in [0, 1]: 1/log2(rank+1) when rank <= k, else 0
 * (the ideal DCG is 1, so no further normalisation; as in SASRec/BERT4Rec and RecBole).
 */
export function ndcg(ranks: Int32Array, k: number): number {
  integer('k', k, 1);
  return meanOver(ranks, (r) => (r <= k ? 1 / Math.log2(r + 1) : 0));
}

/** Mean reciprocal rank over the full ranking (no cut-off), in (0, 1]: mean of 1/rank. */
export function mrr(ranks: Int32Array): number {
  return meanOver(ranks, (r) => 1 / r);
}

function meanOver(ranks: Int32Array, gain: (rank: number) => number): number {
  if (!(ranks instanceof Int32Array)) throw new SeqrecError('E_INVALID_DATA', 'Expected ranks to be an Int32Array', { field: 'ranks' });
  if (ranks.length === 0) throw new SeqrecError('E_INVALID_DATA', 'no users to evaluate: ranks is empty', { field: 'ranks' });
  let sum = 0;
  for (let i = 0; i < ranks.length; i++) {
    const r = ranks[i]!;
    if (r < 1) throw new SeqrecError('E_INVALID_DATA', `Expected ranks[${i}] >= 1 but found ${r}`, { field: 'ranks', index: i });
    sum += gain(r);
  }
  return sum / ranks.length;
}
