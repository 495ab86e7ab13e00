/**
 * Read and overwrite rows of a model's item embedding table, "model.itemEmbedding.weight", through
 * the native exportState / importState round trip (no native change needed). The table is (V+1, d)
 * for SASRec and (V+2, d) for BERT4Rec: row 0 is padding, rows 1..V are items (also the output
 * weights: score = h · row), and BERT4Rec's row V+1 is the [mask] token. Only rows 1..V are ever
 * written; every other tensor, the optimizer moments and the step counter go back unchanged.
 * @internal
 */
import { SeqrecError } from '../errors.js';
import type { AddonModelState, AddonTensorEntry } from '../native/raw.js';
import { SequentialRecommender, modelCore } from '../models/recommender.js';
import { invalid } from '../validate.js';

export const ITEM_EMBEDDING = 'model.itemEmbedding.weight';

/** The item table of one exported state, decoded; `rows` is a copy, written back by writeItemTable. */
export interface ItemTable {
  state: AddonModelState;
  entry: AddonTensorEntry;
  /** (R, d) row-major, R = V+1 (SASRec) or V+2 (BERT4Rec) */
  rows: Float32Array;
  /** (int) V: item rows are 1..V */
  numItems: number;
  /** (int) d */
  dim: number;
}

export function checkModel(name: string, model: unknown): SequentialRecommender {
  if (!(model instanceof SequentialRecommender)) throw invalid(name, 'a SASRec or BERT4Rec model', model);
  return model;
}

export async function readItemTable(model: SequentialRecommender): Promise<ItemTable> {
  const state = await modelCore(model).exportState();
  const entry = state.tensors.find((t) => t.name === ITEM_EMBEDDING);
  const { items: numItems, dim, architecture } = model.config;
  const expectedRows = numItems + (architecture === 'bert4rec' ? 2 : 1);
  if (!entry) throw new SeqrecError('E_CHECKPOINT', `the model state has no tensor "${ITEM_EMBEDDING}"`, { field: ITEM_EMBEDDING });
  if (entry.dtype !== 'F32' || entry.shape.length !== 2 || entry.shape[0] !== expectedRows || entry.shape[1] !== dim) {
    throw new SeqrecError(
      'E_CHECKPOINT',
      `"${ITEM_EMBEDDING}" is ${entry.dtype} [${entry.shape.join(', ')}]; expected F32 [${expectedRows}, ${dim}] for a ${architecture} model of ${numItems} items`,
      { field: ITEM_EMBEDDING },
    );
  }
  const bytes = entry.data;
  const rows = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)); // aligned copy
  return { state, entry, rows, numItems, dim };
}

/** Put `table.rows` back into the model (the rest of `table.state` as exported). */
export async function writeItemTable(model: SequentialRecommender, table: ItemTable): Promise<void> {
  const data = new Uint8Array(table.rows.buffer, table.rows.byteOffset, table.rows.byteLength);
  const tensors = table.state.tensors.map((t) => (t === table.entry ? { ...t, data } : t));
  await modelCore(model).importState({ ...table.state, tensors });
}
