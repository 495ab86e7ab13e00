/**
 * What a model's task heads predict (ModelOptions.pointwise / attributes; native/model/task_heads.h):
 * a rating or like probability per (history, item), and the attributes of the item a history leads to.
 * Plus attributeLabels, the multi-hot table fit's `tasks.attributes` trains the attribute head on.
 */
import type { EvalSet } from '../data/dataset.js';
import type { ItemInfo } from '../data/side-info.js';
import { callNative } from '../errors.js';
import { integer, invalid } from '../validate.js';
import type { ModelCore } from './core.js';
import { historiesRequest, itemList } from './inference.js';

/** (n) the pointwise head's prediction for each history and its item: a rating, or a like probability. */
export async function predictPointwise(core: ModelCore, lists: ArrayLike<number>[], items: unknown, options: unknown): Promise<Float32Array> {
  if (core.config.pointwise === 'none') throw invalid('model', "a model created with a pointwise head (ModelOptions.pointwise 'rating' or 'like')", 'none');
  const { offsets, items: flat, adapter } = historiesRequest(core, lists, options);
  const candidates = itemList('items', items, core.config.items);
  if (candidates.length !== lists.length) throw invalid('items', `one item per history (${lists.length})`, `${candidates.length} items`);
  return pointwiseOf(core, offsets, flat, candidates, 256, adapter);
}

/** (E) the pointwise prediction of each held-out target of `evalSet` given its history (evaluate's pointwise metrics). */
export function predictTargets(core: ModelCore, evalSet: EvalSet, batchSize: number, adapter: string): Promise<Float32Array> {
  return pointwiseOf(core, evalSet.offsets, evalSet.items, evalSet.targets, batchSize, adapter);
}

function pointwiseOf(
  core: ModelCore,
  offsets: Int32Array,
  items: Int32Array,
  candidates: Int32Array,
  batchSize: number,
  adapter: string,
): Promise<Float32Array> {
  const native = core.native();
  return core.track(callNative(() => native.pointwiseScores({ offsets, items, candidates, batchSize, adapter })));
}

/** (n·G) the probability of each attribute of the item each history leads to, row-major. */
export async function predictAttributes(core: ModelCore, lists: ArrayLike<number>[], options: unknown): Promise<Float32Array> {
  if (core.config.attributes === 0) throw invalid('model', 'a model created with attributes (ModelOptions.attributes)', 0);
  const { offsets, items, adapter } = historiesRequest(core, lists, options);
  const native = core.native();
  return core.track(callNative(() => native.attributeScores({ offsets, items, batchSize: 256, adapter })));
}

/**
 * The multi-hot labels ((V+1)·G, row 0 unused) of a Dataset's items over `vocabulary` (say, the 18 ML-1M
 * genres), from each item's `genres` (Dataset.itemInfo); items without info have no label set.
 */
export function attributeLabels(itemInfo: readonly (ItemInfo | undefined)[], vocabulary: readonly string[]): Float32Array {
  if (!Array.isArray(itemInfo) || itemInfo.length < 2) throw invalid('itemInfo', 'Dataset.itemInfo: (V+1) entries, index 0 unused', itemInfo);
  if (!Array.isArray(vocabulary) || vocabulary.length === 0) throw invalid('vocabulary', 'a non-empty array of attribute names', vocabulary);
  const column = new Map(vocabulary.map((name, g) => [name, g]));
  if (column.size !== vocabulary.length) throw invalid('vocabulary', 'distinct attribute names', vocabulary);
  const G = integer('vocabulary.length', vocabulary.length, 1, 1 << 16);
  const labels = new Float32Array(itemInfo.length * G);
  itemInfo.forEach((info, item) => {
    if (item === 0 || !info?.genres) return;
    for (const genre of info.genres) {
      const g = column.get(genre);
      if (g !== undefined) labels[item * G + g] = 1;
    }
  });
  return labels;
}
