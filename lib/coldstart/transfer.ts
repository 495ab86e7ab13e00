/**
 * Cross-domain transfer by item text: a model trained on one catalogue becomes a model of another.
 * Everything that does not depend on the catalogue (positions, blocks, norms, the learned text
 * projection and BERT4Rec's [mask] row) is copied; the new items get their text vectors and no id embedding yet, so each new
 * item is represented by the projection of its text alone (ModelOptions.textDim) until a fit on the
 * new catalogue's data trains it. The text vectors of both catalogues must come from the same
 * encoder (same width, same features), which is what puts them in one space. The base is unchanged.
 */
import { SeqrecError, callNative } from '../errors.js';
import { modelCore } from '../models/recommender.js';
import { BERT4Rec, SASRec } from '../models/sasrec.js';
import { integer, noUnknownKeys, optionsObject } from '../validate.js';
import { checkModel } from './item-table.js';
import { checkItemVectors, type ItemTextVectors } from '../text/vectors.js';

export interface TransferOptions {
  /** (int) the new catalogue's size V'. Required. */
  items: number;
  /** (ItemTextVectors) the text vector of every new item, (V'+1, T) row-major, row 0 unused; T = the base's textDim. Required. */
  itemVectors: ItemTextVectors;
  /** (str) device of the new model. Default: the base's. */
  device?: string;
  /** (int) CPU threads of the new model. Default: the base's. */
  threads?: number;
}

/** A new model of the base's architecture over the new catalogue, scored from text until trained on it. */
export async function transferToCatalogue(base: SASRec | BERT4Rec, options: TransferOptions): Promise<SASRec | BERT4Rec> {
  checkModel('base', base);
  const o = optionsObject('options', options) as unknown as TransferOptions;
  noUnknownKeys('options', o, ['items', 'itemVectors', 'device', 'threads']);
  const { architecture, items: _items, ...arch } = base.config;
  if (arch.textDim === 0) {
    throw new SeqrecError(
      'E_INVALID_OPTION',
      'transferToCatalogue: the base model has no text projection; create it with options.textDim and train it with item text',
      { option: 'base' },
    );
  }
  const items = integer('options.items', o.items, 1, 2 ** 31 - 3);
  const vectors = checkItemVectors('options.itemVectors', o.itemVectors, items);
  if (vectors.dim !== arch.textDim) {
    throw new SeqrecError(
      'E_INVALID_OPTION',
      `options.itemVectors.dim is ${vectors.dim} but the base reads text vectors of width ${arch.textDim}; encode both catalogues with the same encoder`,
      { option: 'options.itemVectors.dim' },
    );
  }
  const config = { ...arch, items, ...(o.device !== undefined && { device: o.device }), ...(o.threads !== undefined && { threads: o.threads }) };
  const model = architecture === 'sasrec' ? await SASRec.create(config) : await BERT4Rec.create(config);
  try {
    const [from, to] = [modelCore(base), modelCore(model)];
    const [fromNative, toNative] = [from.native(), to.native()];
    await from.track(to.track(callNative(() => toNative.transferFrom(fromNative))));
    await model.setItemText(vectors);
    return model;
  } catch (e) {
    await model.dispose();
    throw e;
  }
}
