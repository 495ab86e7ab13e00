/**
 * `seqrec recommend`: top-K items for a history given as item ids of the training data's vocabulary, or for
 * a user of a data file (their whole sequence as history). Answers in the data's own item ids.
 */
import { SeqrecError } from '../errors.js';
import { loadModel } from '../models/sasrec.js';
import type { Recommendation } from '../models/recommender.js';
import type { Config } from './config.js';
import { alignToModel, loadData } from './load-data.js';

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

export async function runRecommend(config: Config, r: RecommendRequest): Promise<{ history: string[]; recommendations: Recommendation[] }> {
  if ((r.history === undefined) === (r.user === undefined)) {
    throw new SeqrecError('E_INVALID_OPTION', 'give either --history <id,id,…> or --user <id> with --data <file>', { option: 'history' });
  }
  await using model = await loadModel(r.model);
  let items: Int32Array;
  if (r.history !== undefined) {
    items = model.itemIds ? model.itemsFromIds(r.history) : Int32Array.from(r.history, (id, i) => numericId(id, i, model.config.items));
  } else {
    const { dataset } = alignToModel((await loadData(config.data)).dataset, model);
    const index = dataset.userIds?.indexOf(r.user!) ?? -1;
    if (index < 0) throw new SeqrecError('E_INVALID_OPTION', `user ${JSON.stringify(r.user)} is not in ${config.data?.path}`, { option: 'user' });
    items = dataset.sequence(index);
  }
  const recommendations = await model.recommend(items, { k: r.k, excludeSeen: r.excludeSeen });
  return { history: Array.from(items, (i) => model.itemIds?.[i] ?? String(i)), recommendations };
}

/** Without an id vocabulary the ids are the dense ones, 1..V. */
function numericId(id: string, i: number, items: number): number {
  const n = Number(id);
  if (!Number.isInteger(n) || n < 1 || n > items) throw new SeqrecError('E_INVALID_OPTION', `history[${i}] = ${JSON.stringify(id)} is not an item id in 1..${items}`, { option: 'history', index: i });
  return n;
}
