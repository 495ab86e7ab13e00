/**
 * Read and overwrite rows of a model's item id-embedding table through the native itemRows /
 * setItemRows: rows 1..V are the items (also the output weights: score = h · row); padding and
 * BERT4Rec's [mask] row are never reachable from here, and no other tensor changes.
 * @internal
 */
import { callNative } from '../errors.js';
import { SequentialRecommender, modelCore } from '../models/recommender.js';
import { invalid } from '../validate.js';

export function checkModel(name: string, model: unknown): SequentialRecommender {
  if (!(model instanceof SequentialRecommender)) throw invalid(name, 'a SASRec or BERT4Rec model', model);
  return model;
}

/** (n, d) row-major: the id-embedding rows of `items` (ids in 1..V). */
export function readItemRows(model: SequentialRecommender, items: Int32Array): Promise<Float32Array> {
  const core = modelCore(model);
  const native = core.native();
  return core.track(callNative(() => native.itemRows(items)));
}

/** Overwrite the id-embedding rows of `items` with `rows` ((n, d) row-major). */
export function writeItemRows(model: SequentialRecommender, items: Int32Array, rows: Float32Array): Promise<void> {
  const core = modelCore(model);
  const native = core.native();
  return core.track(callNative(() => native.setItemRows({ items, rows })));
}
