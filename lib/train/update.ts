/**
 * model.update(fresh, { replay }): fine-tune on fresh interactions without a full retrain. The run
 * trains on the fresh sequences plus, against forgetting, a seeded sample of past sequences (`replay`,
 * e.g. the data the model was fit on, or a reservoir of it) making up `replayShare` of the sequences
 * trained on (experience replay: Rolnick et al., NeurIPS 2019). Defaults for a fine-tune: one epoch,
 * a lower learning rate (5e-4), no warm-up.
 * New items join the catalogue: fresh data over more items than the model's V (dense ids V+1.. after
 * the model's own, e.g. InteractionLog.toDataset({ itemIds: model.itemIds })) grows the item table in
 * place first; a new item's row starts as at creation, or, for a model with item text, as the
 * projection of its text (`itemVectors`, the grown catalogue's vectors), and trains on the fresh data.
 */
import { Dataset } from '../data/dataset.js';
import { seededRandom } from '../data/random.js';
import { SeqrecError } from '../errors.js';
import { checkItemVectors, type ItemTextVectors } from '../text/vectors.js';
import { integer, invalid, itemIdList, number, optionsObject } from '../validate.js';
import type { FitOptions } from './fit-options.js';

export interface UpdateOptions extends Omit<FitOptions, 'validation' | 'resume'> {
  /** past data to replay against forgetting (same item ids as the model's) */
  replay?: Dataset;
  /** (float in [0, 1)) share of the trained sequences drawn from `replay`. Default 0.5 with replay. */
  replayShare?: number;
  /** (int) seed of the replay sample. Default 0. */
  replaySeed?: number;
  /**
   * (ItemTextVectors) for a model with item text whose catalogue the fresh data grows: the text vector of
   * every item of the grown catalogue, (V'+1, T). Required then; refused otherwise.
   */
  itemVectors?: ItemTextVectors;
}

/** model.growCatalogue's options: the grown catalogue. */
export interface GrowCatalogueOptions {
  /** (int) the new catalogue size V', more than the model's V. Required. */
  items: number;
  /** (str[], V'+1) the grown vocabulary, the model's ids first; required when the model has item ids */
  itemIds?: readonly string[];
  /** (ItemTextVectors, (V'+1, T)) every item's text vector; required when the model reads item text */
  itemVectors?: ItemTextVectors;
}

/** What the model is now: the catalogue an update may grow. */
export interface UpdateTarget {
  items: number;
  textDim: number;
  itemIds: readonly string[] | undefined;
}

/** The catalogue after the update, when the fresh data brings new items. */
export interface CatalogueGrowth {
  items: number;
  itemIds: readonly string[] | undefined;
  itemVectors: ItemTextVectors | undefined;
}

/** The fit data and options of an update: fresh sequences plus the replayed ones, fine-tuning defaults, and any growth. */
export function updateRun(model: UpdateTarget, fresh: unknown, options: unknown): { data: Dataset; fit: FitOptions; grow: CatalogueGrowth | undefined } {
  if (!(fresh instanceof Dataset)) throw invalid('fresh', 'a Dataset of the new interactions', fresh);
  const o = optionsObject('options', options) as UpdateOptions;
  const { replay, replayShare, replaySeed, itemVectors, ...fit } = o;
  for (const key of ['validation', 'resume'])
    if (key in fit) throw invalid(`options.${key}`, 'absent: an update is one short run (fit() validates and resumes)', (fit as Record<string, unknown>)[key]);
  const grow = catalogueGrowth(model, fresh, itemVectors);
  const sequences = Array.from({ length: fresh.numUsers }, (_, u) => fresh.sequence(u));
  if (replay !== undefined) {
    if (!(replay instanceof Dataset)) throw invalid('options.replay', 'a Dataset of past interactions', replay);
    const share = number('options.replayShare', replayShare ?? 0.5, 0, 0.99);
    const want = Math.min(replay.numUsers, Math.round((share / (1 - share)) * fresh.numUsers));
    const random = seededRandom(integer('options.replaySeed', replaySeed ?? 0, 0, 2 ** 32 - 1));
    const users = Array.from({ length: replay.numUsers }, (_, u) => u);
    for (let j = 0; j < want; j++) {
      const r = j + Math.floor(random() * (users.length - j)); // partial Fisher–Yates: `want` distinct users
      [users[j], users[r]] = [users[r]!, users[j]!];
      sequences.push(replay.sequence(users[j]!));
    }
  } else if (replayShare !== undefined) throw invalid('options.replayShare', 'given only with options.replay', replayShare);
  const numItems = Math.max(fresh.numItems, replay?.numItems ?? 0);
  return { data: Dataset.fromSequences(sequences, numItems), fit: { epochs: 1, lr: 5e-4, warmupSteps: 0, ...fit }, grow };
}

function catalogueGrowth(model: UpdateTarget, fresh: Dataset, itemVectors: unknown): CatalogueGrowth | undefined {
  if (fresh.numItems > model.items) return checkGrowth(model, { items: fresh.numItems, itemIds: fresh.itemIds, itemVectors }, 'fresh');
  if (itemVectors !== undefined)
    throw invalid('options.itemVectors', 'given only when the fresh data brings new items (numItems above the model’s)', itemVectors);
  return undefined;
}

/**
 * The checked growth of a model's catalogue to `items`: the new vocabulary must keep the model's ids
 * as its prefix, and a model with item text needs the grown catalogue's vectors. `from` names the
 * source in messages ('fresh' for an update's data, 'options' for growCatalogue).
 */
export function checkGrowth(
  model: UpdateTarget,
  wanted: { items: unknown; itemIds: unknown; itemVectors: unknown },
  from: 'fresh' | 'options',
): CatalogueGrowth {
  const field = (name: string) => (from === 'fresh' && name === 'itemIds' ? 'fresh.itemIds' : `options.${name}`);
  const items = integer(from === 'fresh' ? 'fresh.numItems' : 'options.items', wanted.items, model.items + 1, 2 ** 31 - 3);
  const ids = wanted.itemIds;
  if (ids !== undefined && (!Array.isArray(ids) || ids.length !== items + 1))
    throw invalid(field('itemIds'), `an array of V'+1 = ${items + 1} item ids, [0] unused`, ids);
  const itemIds = ids as readonly string[] | undefined;
  if (model.itemIds !== undefined) {
    const at = itemIds === undefined ? -1 : model.itemIds.findIndex((id, i) => i > 0 && itemIds![i] !== id);
    if (itemIds === undefined || at > 0)
      throw new SeqrecError(
        'E_INVALID_DATA',
        `${from === 'fresh' ? 'fresh' : 'options'} brings items ${model.items + 1}..${items} but ${itemIds === undefined ? 'has no itemIds' : `its itemIds differ from the model's at dense id ${at}`}: ` +
          "the model's vocabulary must come first (InteractionLog.toDataset({ itemIds: model.itemIds }))",
        { field: field('itemIds'), index: at },
      );
  }
  if (itemIds !== undefined) itemIdList(field('itemIds'), itemIds);
  if (model.textDim === 0) {
    if (wanted.itemVectors !== undefined) throw invalid('options.itemVectors', 'absent: the model has no item text (textDim 0)', wanted.itemVectors);
    return { items, itemIds, itemVectors: undefined };
  }
  if (wanted.itemVectors === undefined)
    throw new SeqrecError(
      'E_INVALID_OPTION',
      `options.itemVectors is required: the model reads item text and ${from} brings items ${model.items + 1}..${items}; give the (V'+1, T) vectors of the grown catalogue`,
      { option: 'options.itemVectors' },
    );
  const vectors = checkItemVectors('options.itemVectors', wanted.itemVectors, items);
  if (vectors.dim !== model.textDim) throw invalid('options.itemVectors.dim', `the model's textDim ${model.textDim}`, vectors.dim);
  return { items, itemIds, itemVectors: vectors };
}
