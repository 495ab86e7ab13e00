/**
 * Model configuration: the options a user gives, their defaults and checks, and the resolved
 * config that `model.config` returns and every checkpoint stores. Unknown keys throw.
 */
import { availableParallelism } from 'node:os';
import type { AddonModelConfig } from '../native/raw.js';
import { device as deviceOption, integer, invalid, noUnknownKeys, number, oneOf, optionsObject } from '../validate.js';

export type Architecture = 'sasrec' | 'bert4rec';

export interface ModelOptions {
  /** (int) catalogue size V: item ids are 1..V (0 is padding). Required. */
  items: number;
  /** (int) model width d. Default 64. */
  dim?: number;
  /** (int) transformer blocks. Default 2. */
  layers?: number;
  /** (int) attention heads; must divide dim. Default 2. */
  heads?: number;
  /** (int) longest history the model reads, L. Default 200. */
  maxLen?: number;
  /** (int) feed-forward width. Default 4·dim. */
  ffnDim?: number;
  /** (float) dropout on embeddings, residual branches and feed-forward, in [0, 1). Default 0.2. */
  dropout?: number;
  /** (float) dropout on attention probabilities, in [0, 1). Default 0. */
  attnDropout?: number;
  /** (str) attention kernel: 'auto' (SDPA where LibTorch has it) or 'explicit'. Default 'auto'. */
  attention?: 'auto' | 'explicit';
  /** (str) 'cpu', 'cuda' or 'cuda:N'. Default 'cpu'. */
  device?: string;
  /** (int) seed of initialisation, batch order, masking and dropout. Default 0. */
  seed?: number;
  /** (int) CPU threads for this model's LibTorch work. Default: all cores. */
  threads?: number;
  /**
   * (int) width T of item text vectors (e.g. HashingTextEncoder's dim), 0 for none. With T > 0 an item's row
   * is its id embedding, once the item has been trained on, plus a learned (T → dim) projection of its text
   * vector (set with setItemText before fit): items without interactions are scored from their text alone.
   * Default 0.
   */
  textDim?: number;
  /**
   * (str) SASRec only: how positions count. 'end' (the published SASRec): the newest event always sits at position
   * L−1, so every event's position moves when one arrives. 'start': the oldest event of the window sits at 0,
   * padding after the events where causal attention never sees it, so an event's keys and values never change
   * as later ones arrive: a session (model.session()) then appends an event at the cost of one position instead
   * of a pass over the history. On ML-1M (benchmarks/quality-ml1m.mjs, same recipe, one seed) it reached NDCG@10
   * 0.1792 / HR@10 0.3118 against 'end''s 0.1824 / 0.3151. Default 'end'.
   */
  positions?: 'end' | 'start';
  /**
   * (str) a pointwise head beside next-item prediction, for explicit feedback (native/model/task_heads.h):
   * 'rating' predicts an event's rating (squared error), 'like' the probability that it is liked (binary
   * cross-entropy on rating >= fit's likeThreshold); trained with fit's `tasks`, read with model.predict().
   * Default 'none'.
   */
  pointwise?: 'none' | 'rating' | 'like';
  /**
   * (int) G > 0 adds an attribute head: from a state, the probability of each of G item attributes (say,
   * genres) of the item that comes next; trained with fit's `tasks.attributes`, read with
   * model.predictAttributes(). Default 0.
   */
  attributes?: number;
}

export interface ModelConfig extends Required<ModelOptions> {
  /** causal next-item (SASRec) or masked-item (BERT4Rec) training and inference */
  architecture: Architecture;
}

/** The default of every optional model option (threads: all cores, resolved when a model is made). */
export const MODEL_DEFAULTS = {
  dim: 64,
  layers: 2,
  heads: 2,
  maxLen: 200,
  dropout: 0.2,
  attnDropout: 0,
  attention: 'auto',
  device: 'cpu',
  seed: 0,
  textDim: 0,
  positions: 'end',
  pointwise: 'none',
  attributes: 0,
} as const;

const KEYS = [
  'items',
  'dim',
  'layers',
  'heads',
  'maxLen',
  'ffnDim',
  'dropout',
  'attnDropout',
  'attention',
  'device',
  'seed',
  'threads',
  'textDim',
  'positions',
  'pointwise',
  'attributes',
] as const;

export function resolveModelConfig(architecture: Architecture, raw: unknown): ModelConfig {
  const o = optionsObject('options', raw) as unknown as ModelOptions;
  noUnknownKeys('options', o, KEYS);
  const dim = integer('options.dim', o.dim ?? MODEL_DEFAULTS.dim, 1, 65536);
  const heads = integer('options.heads', o.heads ?? MODEL_DEFAULTS.heads, 1, 1024);
  if (dim % heads !== 0) throw invalid('options.heads', `a divisor of options.dim (${dim})`, heads);
  const device = deviceOption('options.device', o.device ?? MODEL_DEFAULTS.device);
  return {
    architecture,
    items: integer('options.items', o.items, 1, 2 ** 31 - 3),
    dim,
    layers: integer('options.layers', o.layers ?? MODEL_DEFAULTS.layers, 1, 256),
    heads,
    maxLen: integer('options.maxLen', o.maxLen ?? MODEL_DEFAULTS.maxLen, architecture === 'bert4rec' ? 2 : 1, 1 << 20),
    ffnDim: integer('options.ffnDim', o.ffnDim ?? 4 * dim, 1, 1 << 20),
    dropout: number('options.dropout', o.dropout ?? MODEL_DEFAULTS.dropout, 0, 0.999),
    attnDropout: number('options.attnDropout', o.attnDropout ?? MODEL_DEFAULTS.attnDropout, 0, 0.999),
    attention: oneOf('options.attention', o.attention ?? MODEL_DEFAULTS.attention, ['auto', 'explicit'] as const),
    device,
    seed: integer('options.seed', o.seed ?? MODEL_DEFAULTS.seed, 0, Number.MAX_SAFE_INTEGER),
    threads: integer('options.threads', o.threads ?? availableParallelism(), 1, 1024),
    textDim: integer('options.textDim', o.textDim ?? MODEL_DEFAULTS.textDim, 0, 1 << 20),
    positions: oneOf(
      'options.positions',
      o.positions ?? MODEL_DEFAULTS.positions,
      architecture === 'sasrec' ? (['end', 'start'] as const) : (['end'] as const),
    ),
    pointwise: oneOf('options.pointwise', o.pointwise ?? MODEL_DEFAULTS.pointwise, ['none', 'rating', 'like'] as const),
    attributes: integer('options.attributes', o.attributes ?? MODEL_DEFAULTS.attributes, 0, 1 << 16),
  };
}

export function toAddonConfig(c: ModelConfig): AddonModelConfig {
  return {
    numItems: c.items,
    dim: c.dim,
    layers: c.layers,
    heads: c.heads,
    maxLen: c.maxLen,
    ffnDim: c.ffnDim,
    dropout: c.dropout,
    attnDropout: c.attnDropout,
    causal: c.architecture === 'sasrec',
    useSdpa: c.attention === 'auto',
    device: c.device,
    seed: c.seed,
    threads: c.threads,
    textDim: c.textDim,
    startPositions: c.positions === 'start',
    pointwise: c.pointwise === 'none' ? '' : c.pointwise,
    attributes: c.attributes,
  };
}

/** Checks a config read back from a checkpoint (same rules as user options). */
export function checkStoredConfig(value: unknown): ModelConfig {
  const stored = optionsObject('checkpoint config', value) as Partial<ModelConfig>;
  const architecture = oneOf('checkpoint config.architecture', stored.architecture, ['sasrec', 'bert4rec'] as const);
  const { architecture: _architecture, ...options } = stored;
  return resolveModelConfig(architecture, options);
}
