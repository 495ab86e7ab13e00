/**
 * From the CLI's `data` section to a Dataset: pick the reader by format (or by extension), stream the file
 * with progress, preprocess through InteractionLog, and, for a trained model, align the items to the model's
 * vocabulary so evaluation reads the same ids the model learned (events of items it never saw are dropped
 * and counted, never silently).
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
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
  '.dat': 'movielens',
  '.txt': 'sasrec',
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.inter': 'recbole',
  '.parquet': 'parquet',
};

export function resolveFormat(path: string, format: string | undefined): string {
  if (format !== undefined && format !== 'auto') return format;
  const ext = extensionOf(path);
  const found = byExtension[ext];
  if (!found) {
    const why = ext === '' ? 'it has no extension' : `its extension "${ext}" is not one seqrec reads`;
    throw new SeqrecError(
      'E_INVALID_OPTION',
      `cannot tell the format of ${path}: ${why}; pass --format (${[...new Set(Object.values(byExtension))].join(', ')})`,
      { option: 'data.format' },
    );
  }
  return found;
}

/** ".csv" for "a/b.csv.gz"; "" when the name has none. */
function extensionOf(path: string): string {
  const name = basename(path).replace(/\.gz$/, '');
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/** A directory given as the data file: say so, naming the interaction files in it. */
async function refuseDirectory(path: string): Promise<void> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  if (entries === undefined) return; // not a directory (or unreadable: the reader reports it)
  const candidates = entries.filter((e) => e.isFile() && byExtension[extensionOf(e.name)]).map((e) => join(path, e.name));
  const hint = candidates.length ? `; interaction files in it: ${candidates.slice(0, 5).join(', ')}${candidates.length > 5 ? ', …' : ''}` : '';
  throw new SeqrecError('E_INVALID_OPTION', `--data ${path} is a directory; pass an interactions file${hint}`, { option: 'data.path', path });
}

export async function loadData(data: Config['data'], onProgress?: (lines: number) => void): Promise<LoadedData> {
  const path = data?.path;
  if (!path) throw new SeqrecError('E_INVALID_OPTION', 'no data: pass --data <file> or set data.path in the config file', { option: 'data.path' });
  await refuseDirectory(path);
  const format = resolveFormat(path, data.format);
  const read = { ...(data.lenient !== undefined && { lenient: data.lenient }), ...(onProgress && { onProgress }) };
  const columns = data.columns;
  if (format !== 'sasrec' && (data.itemIdMap || data.userIdMap)) {
    throw new SeqrecError('E_INVALID_OPTION', 'itemIdMap and userIdMap apply to the SASRec text format only', { option: 'data.itemIdMap' });
  }
  if (format === 'sasrec') {
    if (columns || data.minRating !== undefined || data.kCore || (data.dedupe && data.dedupe !== 'keep')) {
      throw new SeqrecError('E_INVALID_OPTION', 'the SASRec text format is already preprocessed: columns, minRating, kCore and dedupe do not apply', {
        option: 'data',
      });
    }
    const maps = { ...(data.itemIdMap && { itemIdMap: data.itemIdMap }), ...(data.userIdMap && { userIdMap: data.userIdMap }) };
    return { dataset: await readSasrecText(path, { ...maps, ...(onProgress && { onProgress }) }), name: basename(path), dropped: {} };
  }
  let raw: InteractionsRead;
  if (format === 'movielens') raw = await readMovieLensRatings(path, read);
  else if (format === 'csv' || format === 'tsv')
    raw = await readDelimited(path, { ...read, delimiter: format === 'csv' ? ',' : '\t', ...(columns && { columns }) });
  else if (format === 'jsonl') raw = await readJsonl(path, { ...read, ...(columns && { fields: columns }) });
  else if (format === 'recbole') raw = await readRecBoleInter(path, { ...read, ...(columns && { fields: columns }) });
  else raw = await readParquet(path, { ...read, ...columns });
  const { dataset, report } = raw.log.toDataset({
    ...(data.minRating !== undefined && { minRating: data.minRating }),
    ...(data.kCore !== undefined && { kCore: data.kCore }),
    ...(data.dedupe !== undefined && { dedupe: data.dedupe }),
  });
  return {
    dataset,
    name: basename(path),
    dropped: { malformed: raw.skipped, belowRating: report.belowRating, duplicates: report.duplicates, kCore: report.kCore },
  };
}

/**
 * Items of the data that the model never saw. The one rule of evaluate and recommend: such events are
 * left out and reported (how many, and which ids); if nothing known is left, it is an E_INVALID_DATA.
 */
export interface UnknownItems {
  /** events (or history entries) left out */
  events: number;
  /** the distinct unknown item ids, in order of first appearance */
  ids: string[];
}

/** "3 events of 2 items the model never saw were left out: "x", "y"" (the first five ids named). */
export function describeUnknown(u: UnknownItems): string {
  const shown = u.ids
    .slice(0, 5)
    .map((id) => JSON.stringify(id))
    .join(', ');
  return `${u.events} ${u.events === 1 ? 'event' : 'events'} of ${u.ids.length} ${u.ids.length === 1 ? 'item' : 'items'} the model never saw ${u.events === 1 ? 'was' : 'were'} left out: ${shown}${u.ids.length > 5 ? ', …' : ''}`;
}

function refuseAllUnknown(u: UnknownItems, what: string, field: string): never {
  throw new SeqrecError(
    'E_INVALID_DATA',
    `none of the items of ${what} is known to the model (${describeUnknown(u).replace(/ (was|were) left out/, '')}); was the model trained on this catalogue?`,
    {
      field,
      unknownItems: u.ids.length,
      unknownEvents: u.events,
      ids: u.ids.slice(0, 100),
    },
  );
}

/** Dense model items for item ids (a history); unknown ids are left out and counted, all unknown is an error. */
export function modelItems(ids: readonly string[], model: SequentialRecommender): { items: Int32Array; unknown: UnknownItems } {
  const unknown: UnknownItems = { events: 0, ids: [] };
  const items: number[] = [];
  const index = model.itemIds ? new Map(model.itemIds.map((id, i) => [id, i] as const).slice(1)) : undefined;
  ids.forEach((id, i) => {
    const item = index ? index.get(id) : numericId(id, i, model.config.items);
    if (item !== undefined) return void items.push(item);
    unknown.events++;
    if (!unknown.ids.includes(id)) unknown.ids.push(id);
  });
  if (items.length === 0 && ids.length > 0) refuseAllUnknown(unknown, 'the history', 'history');
  return { items: Int32Array.from(items), unknown };
}

/** Without an id vocabulary the ids are the dense ones: an integer outside 1..V is unknown, a non-integer is an error. */
function numericId(id: string, i: number, items: number): number | undefined {
  const n = Number(id);
  if (!/^\d+$/.test(id.trim()))
    throw new SeqrecError('E_INVALID_OPTION', `history[${i}] = ${JSON.stringify(id)} is not an item id (the model's ids are 1..${items})`, {
      option: 'history',
      index: i,
    });
  return n >= 1 && n <= items ? n : undefined;
}

/**
 * The dataset with its items renumbered to the model's dense ids. Needs both vocabularies, or neither (then
 * the catalogue sizes must agree). Events of items the model never saw are left out and reported.
 */
export function alignToModel(dataset: Dataset, model: SequentialRecommender, name: string): { dataset: Dataset; unknown: UnknownItems } {
  const modelIds = model.itemIds;
  const dataIds = dataset.itemIds;
  const none: UnknownItems = { events: 0, ids: [] };
  if (!modelIds || !dataIds) {
    if (dataset.numItems > model.config.items) {
      throw new SeqrecError('E_INVALID_DATA', `the data has ${dataset.numItems} items but the model was trained on ${model.config.items}`, {
        field: 'numItems',
      });
    }
    return { dataset, unknown: none };
  }
  if (modelIds.length === dataIds.length && dataIds.every((id, i) => id === modelIds[i])) return { dataset, unknown: none };
  const index = new Map(modelIds.map((id, i) => [id, i] as const).slice(1));
  const toModel = Int32Array.from(dataIds, (id, i) => (i === 0 ? 0 : (index.get(id) ?? 0)));
  const offsets = new Int32Array(dataset.offsets.length);
  const kept: number[] = [];
  const times: number[] = [];
  const unknown: UnknownItems = { events: 0, ids: [] };
  const seen = new Set<number>();
  for (let e = 0, u = 0; u < dataset.numUsers; u++) {
    for (; e < dataset.offsets[u + 1]!; e++) {
      const item = toModel[dataset.items[e]!]!;
      if (item === 0) {
        unknown.events++;
        if (!seen.has(dataset.items[e]!)) unknown.ids.push(dataIds[dataset.items[e]!]!);
        seen.add(dataset.items[e]!);
        continue;
      }
      kept.push(item);
      if (dataset.times) times.push(dataset.times[e]!);
    }
    offsets[u + 1] = kept.length;
  }
  if (kept.length === 0) refuseAllUnknown(unknown, name, 'items');
  const aligned = Dataset.fromCSR({
    offsets,
    items: Int32Array.from(kept),
    numItems: model.config.items,
    itemIds: modelIds,
    ...(dataset.userIds && { userIds: dataset.userIds }),
    ...(dataset.times && { times: Float64Array.from(times) }),
  });
  return { dataset: aligned, unknown };
}
