/**
 * From the CLI's `data` section to a Dataset: pick the reader by format (or by extension), stream the file
 * with progress, preprocess through InteractionLog, and, for a trained model, align the items to the model's
 * vocabulary so evaluation reads the same ids the model learned (events of items it never saw are dropped
 * and counted, never silently).
 */
import { basename } from 'node:path';
import { Dataset } from '../data/dataset.js';
import type { InteractionsRead } from '../data/readers/common.js';
import { readDelimited } from '../data/readers/delimited.js';
import { readJsonl } from '../data/readers/jsonl.js';
import { readMovieLensRatings } from '../data/readers/movielens.js';
import { readParquet } from '../data/readers/parquet.js';
import { readRecBoleInter } from '../data/readers/recbole.js';
import { readSasrecText } from '../data/readers/sasrec-text.js';
import { SeqrecError } from '../errors.js';
import type { SequentialRecommender } from '../models/recommender.js';
import type { Config } from './config.js';

export interface LoadedData {
  dataset: Dataset;
  name: string;
  /** events dropped by preprocessing or skipped as malformed, by reason */
  dropped: Record<string, number>;
}

const byExtension: Record<string, Exclude<NonNullable<NonNullable<Config['data']>['format']>, 'auto'>> = {
  '.dat': 'movielens', '.txt': 'sasrec', '.csv': 'csv', '.tsv': 'tsv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.inter': 'recbole', '.parquet': 'parquet',
};

export function resolveFormat(path: string, format: string | undefined): string {
  if (format !== undefined && format !== 'auto') return format;
  const name = basename(path).replace(/\.gz$/, '');
  const ext = name.slice(name.lastIndexOf('.'));
  const found = byExtension[ext];
  if (!found) throw new SeqrecError('E_INVALID_OPTION', `cannot tell the format of ${path} from "${ext}"; pass --format (${Object.values(byExtension).join(', ')})`, { option: 'data.format' });
  return found;
}

export async function loadData(data: Config['data'], onProgress?: (lines: number) => void): Promise<LoadedData> {
  const path = data?.path;
  if (!path) throw new SeqrecError('E_INVALID_OPTION', 'no data: pass --data <file> or set data.path in the config file', { option: 'data.path' });
  const format = resolveFormat(path, data.format);
  const read = { ...(data.lenient !== undefined && { lenient: data.lenient }), ...(onProgress && { onProgress }) };
  const columns = data.columns;
  if (format !== 'sasrec' && (data.itemIdMap || data.userIdMap)) {
    throw new SeqrecError('E_INVALID_OPTION', 'itemIdMap and userIdMap apply to the SASRec text format only', { option: 'data.itemIdMap' });
  }
  if (format === 'sasrec') {
    if (columns || data.minRating !== undefined || data.kCore || (data.dedupe && data.dedupe !== 'keep')) {
      throw new SeqrecError('E_INVALID_OPTION', 'the SASRec text format is already preprocessed: columns, minRating, kCore and dedupe do not apply', { option: 'data' });
    }
    const maps = { ...(data.itemIdMap && { itemIdMap: data.itemIdMap }), ...(data.userIdMap && { userIdMap: data.userIdMap }) };
    return { dataset: await readSasrecText(path, { ...maps, ...(onProgress && { onProgress }) }), name: basename(path), dropped: {} };
  }
  let raw: InteractionsRead;
  if (format === 'movielens') raw = await readMovieLensRatings(path, read);
  else if (format === 'csv' || format === 'tsv') raw = await readDelimited(path, { ...read, delimiter: format === 'csv' ? ',' : '\t', ...(columns && { columns }) });
  else if (format === 'jsonl') raw = await readJsonl(path, { ...read, ...(columns && { fields: columns }) });
  else if (format === 'recbole') raw = await readRecBoleInter(path, { ...read, ...(columns && { fields: columns }) });
  else raw = await readParquet(path, { ...read, ...columns });
  const { dataset, report } = raw.log.toDataset({
    ...(data.minRating !== undefined && { minRating: data.minRating }),
    ...(data.kCore !== undefined && { kCore: data.kCore }),
    ...(data.dedupe !== undefined && { dedupe: data.dedupe }),
  });
  return { dataset, name: basename(path), dropped: { malformed: raw.skipped, belowRating: report.belowRating, duplicates: report.duplicates, kCore: report.kCore } };
}

/**
 * The dataset with its items renumbered to the model's dense ids. Needs both vocabularies, or neither (then
 * the catalogue sizes must agree). Returns the count of events dropped because the model never saw the item.
 */
export function alignToModel(dataset: Dataset, model: SequentialRecommender): { dataset: Dataset; unknownItems: number } {
  const modelIds = model.itemIds;
  const dataIds = dataset.itemIds;
  if (!modelIds || !dataIds) {
    if (dataset.numItems > model.config.items) {
      throw new SeqrecError('E_INVALID_DATA', `the data has ${dataset.numItems} items but the model was trained on ${model.config.items}`, { field: 'numItems' });
    }
    return { dataset, unknownItems: 0 };
  }
  if (modelIds.length === dataIds.length && dataIds.every((id, i) => id === modelIds[i])) return { dataset, unknownItems: 0 };
  const index = new Map(modelIds.map((id, i) => [id, i] as const).slice(1));
  const toModel = Int32Array.from(dataIds, (id, i) => (i === 0 ? 0 : (index.get(id) ?? 0)));
  const offsets = new Int32Array(dataset.offsets.length);
  const kept: number[] = [];
  const times: number[] = [];
  for (let e = 0, u = 0; u < dataset.numUsers; u++) {
    for (; e < dataset.offsets[u + 1]!; e++) {
      const item = toModel[dataset.items[e]!]!;
      if (item === 0) continue;
      kept.push(item);
      if (dataset.times) times.push(dataset.times[e]!);
    }
    offsets[u + 1] = kept.length;
  }
  const aligned = Dataset.fromCSR({
    offsets, items: Int32Array.from(kept), numItems: model.config.items, itemIds: modelIds,
    ...(dataset.userIds && { userIds: dataset.userIds }), ...(dataset.times && { times: Float64Array.from(times) }),
  });
  return { dataset: aligned, unknownItems: dataset.numInteractions - kept.length };
}
