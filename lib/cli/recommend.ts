/**
 * `seqrec recommend`: top-K items for a history given as item ids of the training data's vocabulary, or for
 * a user of a data file (their whole sequence as history). Answers in the data's own item ids.
 */
import { SeqrecError } from '../errors.js';
import { loadModel } from '../models/sasrec.js';
import type { Recommendation } from '../models/inference.js';
import type { Config } from './config.js';
import { loadData, modelItems, type UnknownItems } from './load-data.js';

export interface RecommendRequest {
  model: string;
  k: number;
  /** item ids, oldest first */
  history?: string[];
  /** a user id of the data file */
  user?: string;
  /** seen items are left out unless false */
  excludeSeen: boolean;
}

export interface RecommendResult {
  /** the history the recommendations follow, in the data's ids (unknown items left out) */
  history: string[];
  recommendations: Recommendation[];
  /** history items the model never saw, left out (the same rule as evaluate) */
  unknownItems: UnknownItems;
}

export async function runRecommend(config: Config, r: RecommendRequest): Promise<RecommendResult> {
  if ((r.history === undefined) === (r.user === undefined)) {
    throw new SeqrecError('E_INVALID_OPTION', 'give either --history <id,id,…> or --user <id> with --data <file>', { option: 'history' });
  }
  await using model = await loadModel(r.model);
  let ids: string[];
  if (r.history !== undefined) {
    ids = r.history;
  } else {
    const { dataset } = await loadData(config.data);
    const index = dataset.userIds?.indexOf(r.user!) ?? -1;
    if (index < 0) throw new SeqrecError('E_INVALID_OPTION', `user ${JSON.stringify(r.user)} is not in ${config.data?.path}`, { option: 'user' });
    ids = Array.from(dataset.sequence(index), (i) => dataset.itemIds?.[i] ?? String(i));
  }
  const { items, unknown } = modelItems(ids, model);
  const recommendations = await model.recommend(items, { k: r.k, excludeSeen: r.excludeSeen });
  return { history: Array.from(items, (i) => model.itemIds?.[i] ?? String(i)), recommendations, unknownItems: unknown };
}
