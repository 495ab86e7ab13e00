/**
 * coldStartFromText: the one-call form of ./text-mapping.ts for a model just trained on `train`.
 * Fits the map on every item with an interaction in `train`, writes mapped rows for every item with
 * none (cold items), and, when `minCount` is given, blends the learned and mapped rows of rare items
 * (1 ≤ count < minCount), whose few interactions left their rows noisy.
 */
import type { Dataset } from '../data/dataset.js';
import type { SequentialRecommender } from '../models/recommender.js';
import { integer, noUnknownKeys, number, optionsObject } from '../validate.js';
import { checkModel } from './item-table.js';
import type { ItemTextVectors } from '../text/vectors.js';
import { fitTextMapping, trainCounts, writeMappedRows, type TextMapping } from './text-mapping.js';

export interface ColdStartOptions {
  /** (float > 0 | 'auto') ridge penalty on W, or 'auto' (least leave-one-out error; see TextMappingOptions). Default 'auto'. */
  lambda?: number | 'auto';
  /** (int >= 0) items with 1 ≤ count < minCount get a blended row; 0 (the default) blends nothing. */
  minCount?: number;
  /** (float in [0, 1]) rare items' row = alpha · learned + (1 − alpha) · mapped. Default 0.5. */
  alpha?: number;
}

export interface ColdStartResult {
  /** the fitted map (its warmR2 says how well text explains the learned rows) */
  mapping: TextMapping;
  /** (sorted) items with no interaction in train, whose rows are now W·text + b */
  coldItems: Int32Array;
  /** (sorted) items with 1 ≤ count < minCount, whose rows were blended */
  blendedItems: Int32Array;
}

/** Give every item without interactions in `train` a row mapped from its text; see the file header. */
export async function coldStartFromText(
  model: SequentialRecommender,
  train: Dataset,
  itemVectors: ItemTextVectors,
  options: ColdStartOptions = {},
): Promise<ColdStartResult> {
  checkModel('model', model);
  const o = optionsObject('options', options) as ColdStartOptions;
  noUnknownKeys('options', o, ['lambda', 'minCount', 'alpha']);
  const minCount = integer('options.minCount', o.minCount ?? 0, 0, 0x7fffffff);
  const alpha = number('options.alpha', o.alpha ?? 0.5, 0, 1);
  const counts = trainCounts('train', train, model.config.items);
  const mapping = await fitTextMapping(model, { itemVectors, train, ...(o.lambda !== undefined && { lambda: o.lambda }) });
  const coldItems = itemsWhere(counts, (c) => c === 0);
  const blendedItems = itemsWhere(counts, (c) => c > 0 && c < minCount);
  await writeMappedRows(mapping, model, [
    { items: coldItems, alpha: 0 },
    { items: blendedItems, alpha },
  ]);
  return { mapping, coldItems, blendedItems };
}

function itemsWhere(counts: Int32Array, keep: (count: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let i = 1; i < counts.length; i++) if (keep(counts[i]!)) out.push(i);
  return Int32Array.from(out);
}
