/**
 * Item text for `seqrec train --items <movies.dat>`: read the item file, lay its titles and genres
 * out by the dataset's item ids, and encode them with the hashing encoder (no weights) or a local
 * Hugging Face BERT folder (`--text-encoder <folder>`, cached with `--text-cache <dir>`). With
 * `--add-new-items` the file's items that have no interactions join the catalogue, recommendable
 * from their text alone until a later fit trains on them. The model
 * is then created with textDim = the vectors' width, and its checkpoint carries the text, so
 * evaluate and recommend need nothing more.
 */
import { Dataset } from '../data/dataset.js';
import { readMovieLensMovies } from '../data/readers/movielens.js';
import { itemText } from '../data/side-info.js';
import { SeqrecError } from '../errors.js';
import { BertTextEncoder } from '../text/bert-encoder.js';
import { HashingTextEncoder, type TextVectors } from '../text/hashing-encoder.js';
import type { Config } from './config.js';
import type { Progress } from './progress.js';

export interface ItemTextSummary {
  /** 'hashing' or the BERT folder */
  encoder: string;
  /** (int) the text vector width, the model's textDim */
  dim: number;
  /** (int) catalogue items the item file has no entry for (their text is empty) */
  missing: number;
  /** (int) items of the item file without interactions, added to the catalogue (data.addNewItems) */
  added: number;
}

export const HASHING_DIM = 256;

/** The dataset with its item info, and one text vector per item; undefined when the config names no item file. */
export async function encodeItemText(
  dataset: Dataset,
  config: Config,
  progress: Progress,
  signal: AbortSignal,
): Promise<{ dataset: Dataset; vectors: TextVectors; summary: ItemTextSummary } | undefined> {
  const items = config.data?.items;
  const { textDim, textEncoder = 'hashing', textCache } = config.model ?? {};
  if (items === undefined) {
    if (config.data?.addNewItems)
      throw new SeqrecError('E_INVALID_OPTION', 'data.addNewItems adds the items of an item file: pass --items <movies.dat> (data.items)', {
        option: 'data.addNewItems',
      });
    const stray =
      textDim !== undefined ? 'textDim' : config.model?.textEncoder !== undefined ? 'textEncoder' : textCache !== undefined ? 'textCache' : undefined;
    if (stray)
      throw new SeqrecError('E_INVALID_OPTION', `model.${stray} needs item text: pass --items <movies.dat> (data.items)`, { option: `model.${stray}` });
    return undefined;
  }
  if (!items.endsWith('.dat')) {
    throw new SeqrecError('E_INVALID_OPTION', `data.items ${items}: only MovieLens movies.dat ("id::title::genres" lines) is read so far`, {
      option: 'data.items',
    });
  }
  const movies = await readMovieLensMovies(items);
  const { dataset: catalogue, added } = config.data?.addNewItems ? withNewItems(dataset, movies.keys()) : { dataset, added: 0 };
  const withInfo = catalogue.withItemInfo(movies);
  const texts = itemText(withInfo);
  const missing = withInfo.itemInfoMatch?.missing.length ?? 0;
  if (textEncoder === 'hashing') {
    const vectors = new HashingTextEncoder({ dim: textDim ?? HASHING_DIM }).encode(texts);
    return { dataset: withInfo, vectors, summary: { encoder: 'hashing', dim: vectors.dim, missing, added } };
  }
  const device = config.model?.device;
  await using encoder = await BertTextEncoder.load(textEncoder, {
    ...(textCache !== undefined && { cacheDir: textCache }),
    ...(device !== undefined && { device }),
  });
  if (textDim !== undefined && textDim !== encoder.dim) {
    throw new SeqrecError('E_INVALID_OPTION', `model.textDim is ${textDim} but ${textEncoder} gives vectors of width ${encoder.dim}; leave textDim out`, {
      option: 'model.textDim',
    });
  }
  progress.start('encoding item text', texts.length);
  const vectors = await encoder.encode(texts, {
    signal,
    onProgress: (p) => progress.update(p.done, p.reused > 0 ? `${p.reused} from the cache or repeated` : ''),
  });
  progress.stop();
  return { dataset: withInfo, vectors, summary: { encoder: textEncoder, dim: vectors.dim, missing, added } };
}

/** The dataset with every id of `ids` it lacks appended as an item without events (its row is text alone until trained on). */
function withNewItems(dataset: Dataset, ids: Iterable<string>): { dataset: Dataset; added: number } {
  const itemIds = dataset.itemIds;
  if (!itemIds)
    throw new SeqrecError('E_INVALID_OPTION', 'data.addNewItems needs item ids in the data (SASRec text files need itemIdMap)', { option: 'data.addNewItems' });
  const known = new Set(itemIds);
  const extra = [...ids].filter((id) => !known.has(id));
  const { offsets, items, numItems, userIds, times } = dataset;
  const grown = Dataset.fromCSR({
    offsets,
    items,
    numItems: numItems + extra.length,
    itemIds: [...itemIds, ...extra],
    ...(userIds && { userIds }),
    ...(times && { times }),
  });
  return { dataset: grown, added: extra.length };
}
