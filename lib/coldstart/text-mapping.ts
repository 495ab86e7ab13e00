/**
 * Cold start from item text by an attribute-to-feature mapping (Gantner et al., "Learning
 * Attribute-to-Feature Mappings for Cold-Start Recommendations", ICDM 2010): after a model is trained
 * on the warm items, a ridge regression from each warm item's text vector to its learned embedding row
 * is fitted, and items with no interactions get W·text + b as their row. Full ranking, recommend()
 * and evaluate() then include them like any other item. The transformer is not retrained and no
 * native code changes; the text vectors come from any encoder (HashingTextEncoder, a BERT, your own).
 * The regression is ./ridge.ts, the row reads and writes ./item-table.ts.
 */
import type { Dataset } from '../data/dataset.js';
import { SeqrecError } from '../errors.js';
import type { SequentialRecommender } from '../models/recommender.js';
import { integer, invalid, noUnknownKeys, number, optionsObject } from '../validate.js';
import { checkModel, readItemRows, writeItemRows } from './item-table.js';
import { predictRow, ridgeRegression, type RidgeFit } from './ridge.js';
import { checkItemVectors, type ItemTextVectors } from '../text/vectors.js';

export interface TextMappingOptions {
  /** (ItemTextVectors) the text vector of every item 1..V */
  itemVectors: ItemTextVectors;
  /** (Int32Array) dense ids of the warm items whose learned rows are the regression targets. Or give `train`. */
  warmItems?: Int32Array;
  /** (Dataset) the model's training data: the warm items are those with at least one interaction. Or give `warmItems`. */
  train?: Dataset;
  /**
   * (float > 0 | 'auto') ridge penalty on W (the bias is not penalised), or 'auto': the λ of LAMBDA_GRID with
   * the least exact leave-one-out error in predicting warm items' rows from their text, which is the cold-start
   * task itself. Default 'auto', because the right λ scales with how many items share each text feature: on the
   * planted 12-genre catalogue of the tests a fixed λ = 1 shrank cold rows so far that their HR@10 fell from 0.78
   * ('auto' → 0.1) to 0.17; on ML-1M titles and genres 'auto' chose 10.
   */
  lambda?: number | 'auto';
}

/** λ tried by lambda: 'auto': 10^-3 … 10^2 in half decades. */
export const LAMBDA_GRID: readonly number[] = Array.from({ length: 11 }, (_, i) => 10 ** (-3 + i / 2));

export interface ApplyOptions {
  /**
   * (float in [0, 1]) row = alpha · current row + (1 − alpha) · mapped row. 0 (the default) replaces
   * the row: right for items never trained on, whose current rows only learned to score low.
   */
  alpha?: number;
}

/**
 * A fitted text → embedding map for one model shape; `apply` writes mapped rows into a model. It keeps
 * the itemVectors it was fitted with (a reference, not a copy: do not mutate them afterwards).
 */
export class TextMapping {
  /** (int) text width t */
  readonly textDim: number;
  /** (int) embedding width d */
  readonly embeddingDim: number;
  /** (float) ridge penalty used (the chosen one under lambda: 'auto') */
  readonly lambda: number;
  /** under lambda: 'auto', each λ tried and its leave-one-out mean squared error per row value */
  readonly lambdaSearch: readonly { lambda: number; looMse: number }[] | undefined;
  /** (int) warm items the map was fitted on */
  readonly warmCount: number;
  /** (float) in-sample R² on the warm items' rows (pooled over the d outputs): how much of them text explains */
  readonly warmR2: number;
  /** (t, d) row-major */
  readonly weights: Float64Array;
  /** (d) */
  readonly bias: Float64Array;
  readonly #vectors: ItemTextVectors;
  readonly #numItems: number;

  /** @internal use fitTextMapping */
  constructor(fit: RidgeFit, vectors: ItemTextVectors, numItems: number, warmCount: number) {
    this.textDim = vectors.dim;
    this.embeddingDim = fit.bias.length;
    this.lambda = fit.lambda;
    this.lambdaSearch = fit.search;
    this.warmCount = warmCount;
    this.warmR2 = fit.r2;
    this.weights = fit.weights;
    this.bias = fit.bias;
    this.#vectors = vectors;
    this.#numItems = numItems;
  }

  /** (n, d) row-major: the mapped row W·text + b of each item, in Float64. */
  predict(items: Int32Array): Float64Array {
    checkItems('items', items, this.#numItems);
    const { dim: t, data } = this.#vectors;
    const d = this.embeddingDim;
    const out = new Float64Array(items.length * d);
    items.forEach((item, e) => out.set(predictRow(data, item * t, this.weights, this.bias, t, d), e * d));
    return out;
  }

  /**
   * Write the mapped rows of `items` (dense ids 1..V) into `model`'s item table; no other row or tensor
   * changes (a native call that waits for no fit: do not run fit() on the model at the same time).
   */
  async apply(model: SequentialRecommender, items: Int32Array, options: ApplyOptions = {}): Promise<void> {
    const o = optionsObject('options', options) as ApplyOptions;
    noUnknownKeys('options', o, ['alpha']);
    const alpha = number('options.alpha', o.alpha ?? 0, 0, 1);
    checkModel('model', model);
    this.#checkShape(model);
    checkItems('items', items, this.#numItems);
    await writeMappedRows(this, model, [{ items, alpha }]);
  }

  #checkShape(model: SequentialRecommender): void {
    const { items, dim } = model.config;
    if (items !== this.#numItems || dim !== this.embeddingDim) {
      throw invalid(
        'model',
        `a model of ${this.#numItems} items and dim ${this.embeddingDim} (the one the mapping was fitted on)`,
        `${items} items, dim ${dim}`,
      );
    }
  }
}

/**
 * @internal TextMapping.apply for several groups of items, each with its own alpha (coldStartFromText):
 * row = alpha · current row + (1 − alpha) · mapped row.
 */
export async function writeMappedRows(
  mapping: TextMapping,
  model: SequentialRecommender,
  groups: readonly { items: Int32Array; alpha: number }[],
): Promise<void> {
  for (const { items, alpha } of groups) {
    if (items.length === 0) continue;
    const rows = mapping.predict(items);
    if (alpha > 0) {
      const current = await readItemRows(model, items);
      rows.forEach((mapped, i) => (rows[i] = alpha * current[i]! + (1 - alpha) * mapped));
    }
    await writeItemRows(model, items, Float32Array.from(rows));
  }
}

/**
 * Fit the ridge map from the text vectors of the warm items to their current rows in `model`'s item
 * table (read, not changed). Call it after fit(); write rows with the result's apply().
 */
export async function fitTextMapping(model: SequentialRecommender, options: TextMappingOptions): Promise<TextMapping> {
  checkModel('model', model);
  const o = optionsObject('options', options) as Partial<TextMappingOptions>;
  noUnknownKeys('options', o, ['itemVectors', 'warmItems', 'train', 'lambda']);
  const numItems = model.config.items;
  const vectors = checkItemVectors('options.itemVectors', o.itemVectors, numItems);
  const lambda = lambdaOption(o.lambda);
  const warm = warmItemsOf(o, numItems);
  const { x, y } = gather(vectors, await readItemRows(model, warm), warm);
  const fit = ridgeRegression(x, y, warm.length, vectors.dim, model.config.dim, lambda);
  return new TextMapping(fit, vectors, numItems, warm.length);
}

/** LAMBDA_GRID for 'auto' (the default), else a finite number > 0. */
function lambdaOption(value: unknown): number | readonly number[] {
  if (value === undefined || value === 'auto') return LAMBDA_GRID;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw invalid('options.lambda', "a finite number > 0 or 'auto'", value);
  return value;
}

/** The warm items from exactly one of `warmItems` / `train`; none is E_INVALID_DATA. */
function warmItemsOf(o: Partial<TextMappingOptions>, numItems: number): Int32Array {
  if ((o.warmItems === undefined) === (o.train === undefined)) {
    throw new SeqrecError('E_INVALID_OPTION', 'Expected exactly one of options.warmItems and options.train', { option: 'options.warmItems' });
  }
  let warm: Int32Array;
  if (o.warmItems !== undefined) {
    warm = checkItems('options.warmItems', o.warmItems, numItems);
  } else {
    const counts = trainCounts('options.train', o.train, numItems);
    warm = Int32Array.from(counts.keys()).filter((i) => i > 0 && counts[i]! > 0);
  }
  if (warm.length === 0) throw new SeqrecError('E_INVALID_DATA', 'no warm items to fit the text mapping on (no item has interactions)', { field: 'warmItems' });
  return warm;
}

/** x (n, t) text rows and y (n, d) embedding rows (`rows`, read for `warm`) of the warm items, in Float64. */
function gather(vectors: ItemTextVectors, rows: Float32Array, warm: Int32Array): { x: Float64Array; y: Float64Array } {
  const { dim: t, data } = vectors;
  const x = new Float64Array(warm.length * t);
  warm.forEach((item, r) => x.set(data.subarray(item * t, (item + 1) * t), r * t));
  return { x, y: Float64Array.from(rows) };
}

/** (V+1) interaction counts of a Dataset over the model's catalogue. */
export function trainCounts(name: string, train: unknown, numItems: number): Int32Array {
  const d = train as Dataset | undefined;
  if (!d || typeof d.itemCounts !== 'function' || typeof d.numItems !== 'number') throw invalid(name, 'the Dataset the model was trained on', train);
  if (d.numItems !== numItems) throw invalid(name, `a Dataset of ${numItems} items (the model's)`, `a Dataset of ${d.numItems} items`);
  return d.itemCounts();
}

export function checkItems(name: string, items: unknown, numItems: number): Int32Array {
  if (!(items instanceof Int32Array)) throw invalid(name, 'an Int32Array of dense item ids', items);
  items.forEach((item, i) => integer(`${name}[${i}]`, item, 1, numItems));
  return items;
}
