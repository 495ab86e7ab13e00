/**
 * fit() options: defaults, checks (one message format, unknown keys rejected) and the plain
 * request the native trainer takes. The CSR arrays of the Dataset travel in the same request.
 */
import type { Dataset } from '../data/dataset.js';
import { SeqrecError } from '../errors.js';
import type { Architecture } from '../models/config.js';
import type { AddonFitRequest } from '../native/raw.js';
import { type ResolvedValidation, type ValidationOptions, resolveValidation } from './validation.js';
import { type DistributedOptions, resolveDistributed } from './distributed.js';
import { type FreezeOptions, resolveTrainScope } from '../adapters/train-scope.js';
import type { TextTuningOptions } from '../text/text-tuning.js';
import { abortSignal, boolean, func, integer, invalid, noUnknownKeys, number, oneOf, optionsObject } from '../validate.js';

/** One progress report of fit (the addon's FitProgress record, declared here for the published types). */
export interface FitProgress {
  /** (int) optimizer steps done in the run */
  step: number;
  /** (int) steps the run will take */
  totalSteps: number;
  /** (int) epochs completed */
  epoch: number;
  /** (float) mean cross-entropy of the last step */
  loss: number;
  /** (float) the auxiliary InfoNCE of the last step with options.contrastive, else 0 */
  contrastiveLoss: number;
  /** (float) the pointwise head's loss of the last step with options.tasks (squared error or binary CE), else 0 */
  pointwiseLoss: number;
  /** (float) the attribute head's binary CE of the last step with options.tasks.attributes, else 0 */
  attributeLoss: number;
  /** (float) learning rate of the last step */
  lr: number;
  /** (float) global gradient norm before clipping */
  gradNorm: number;
  /** (float) training throughput since the last report */
  sequencesPerSec: number;
  /** (float) seconds since this fit call started */
  elapsedSec: number;
}

export interface FitOptions {
  /** (int) passes over the users. Default 20. Ignored when `steps` is set. */
  epochs?: number;
  /** (int) optimizer steps of the run; overrides epochs. */
  steps?: number;
  /** (int) sequences per micro-batch. Default 128. */
  batchSize?: number;
  /** (int) micro-batches accumulated per optimizer step. Default 1. */
  accumulate?: number;
  /** (float) peak learning rate. Default 1e-3. */
  lr?: number;
  /** (int) linear warmup steps. Default 0. */
  warmupSteps?: number;
  /** (str) decay after warmup: 'cosine', 'linear' or 'constant'. Default 'cosine'. */
  schedule?: 'cosine' | 'linear' | 'constant';
  /** (float) final learning rate as a fraction of the peak, in [0, 1]. Default 0. */
  minLrRatio?: number;
  /** (float) decoupled weight decay on matrices and embeddings (never biases/LayerNorm). Default 0.1. */
  weightDecay?: number;
  /** ([float, float]) AdamW β1, β2. Default [0.9, 0.98]. */
  betas?: [number, number];
  /** (float) AdamW ε. Default 1e-8. */
  eps?: number;
  /** (str) AdamW form on CPU: 'auto' or 'single' (one tensor at a time) or 'foreach' (multi-tensor); CUDA always uses foreach. Default 'auto'. */
  optimizerImpl?: 'auto' | 'foreach' | 'single';
  /** (float) clip the global gradient norm to this; 0 turns clipping off. Default 1.0. */
  clipNorm?: number;
  /** (int) memory budget in bytes of one chunk of the fused output loss. Default 16 MiB. */
  lossChunkBytes?: number;
  /** (float) BERT4Rec: probability of masking each position. Default 0.2. */
  maskProb?: number;
  /** (int) progress report every this many steps. Default 10. */
  progressEvery?: number;
  /** (bool) continue the model's interrupted or loaded run (same options) instead of starting anew. Default false. */
  resume?: boolean;
  /** Evaluate on held-out data every few epochs, stop early, keep the best weights (see ValidationOptions). */
  validation?: ValidationOptions;
  /** Cancels training within one step; fit() then rejects with E_ABORTED and the model keeps its last completed step. */
  signal?: AbortSignal;
  /** Called on the JS thread with each progress report. */
  onProgress?: (progress: FitProgress) => void;
  /** (str) train only this LoRA adapter (see addAdapter), the whole base frozen; it also becomes the active adapter. Without it, fit trains the base alone (no adapter applied). */
  adapter?: string;
  /** Base training with parts frozen (no gradient, no optimizer state): embeddings, the first k blocks, or all but biases/LayerNorm. */
  freeze?: FreezeOptions;
  /**
   * (float in [0, 1)) models with item text (textDim > 0): each step drops the id embedding of this share of
   * items, so the text projection learns to represent items alone, as it must for cold items (DropoutNet,
   * Volkovs et al. 2017). Default 0.5 for a model with text (without it the id rows absorb everything and cold
   * items fall to random: HR@10 0.008 against 0.745 on the planted-genre test data), and must be 0 without text.
   */
  idDropout?: number;
  /**
   * End-to-end text (models with textDim, see TextTuningOptions): each step the item text comes from a
   * LoRA-adapted copy of this BERT encoder, so the adapter trains with the model; the summary's
   * textAdapter holds it afterwards. Not with resume.
   */
  textEncoder?: TextTuningOptions;
  /**
   * (str) the objective: 'ce' full-softmax cross-entropy over the whole catalogue (fused; the default), or one over
   * sampled items: 'bce' (k uniform negatives per target; k = 1 is the original SASRec), 'gbce' (gSASRec's
   * calibrated BCE, `gbceT`), 'sampled-softmax' (`negatives` shared per batch drawn by popularity, logQ-corrected:
   * the option for catalogues of millions). Formulas in native/train/sampled_loss.h. The reported loss is the
   * objective's own value.
   */
  loss?: 'ce' | 'bce' | 'gbce' | 'sampled-softmax';
  /** (int) negatives: per target for bce (default 1) and gbce (default 256), shared per batch for sampled-softmax (default 1024). */
  negatives?: number;
  /** (float in [0, 1]) gbce's calibration t (β = t·(α − 1) + 1, α = k / (V − 1)). Default 0.75. */
  gbceT?: number;
  /**
   * Fairness-aware training: a penalty weight·|L̄₀ − L̄₁| on the gap between two user groups' mean cross-entropy
   * (the differentiable stand-in for their ranking metric), e.g. by gender or by activity. `groups` gives each
   * user of `data`, in user order, group 0 or 1, or -1 / null for neither (native/train/group_gap.h).
   */
  fairness?: FairnessOptions;
  /**
   * train as one of several processes (data parallel over PyTorch's c10d with Gloo; lib/train/distributed.ts):
   * `true` reads RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT from the environment, an object sets them. Every
   * rank calls fit with the same data and options; N ranks with batchSize B train as one process with N·B. Save
   * checkpoints from rank 0 only (they load anywhere). The next-item objective alone for now.
   */
  distributed?: DistributedOptions | boolean;
  /**
   * Self-supervised contrastive learning as an auxiliary loss (CL4SRec, Xie et al. 2022): each step also
   * encodes two augmented views of every sequence (crop, mask, reorder) and adds weight·InfoNCE between
   * their final states (native/train/contrastive.h). Costs two more forward/backward passes per step.
   */
  contrastive?: ContrastiveOptions;
  /**
   * Multi-task training with the model's task heads (ModelOptions.pointwise / attributes): each loss's
   * weight beside the next-item objective's (native/train/task_losses.h). Pointwise training reads the
   * Dataset's `ratings`.
   */
  tasks?: TaskOptions;
  /** (bool) time each step's phases; the summary's `profile` adds them up. On CUDA it synchronises after each phase, which costs a little. Default false. */
  profile?: boolean;
}

export interface FairnessOptions {
  /** (U, in data's user order) 0, 1, or -1 / null for a user in neither group */
  groups: ArrayLike<number | null>;
  /** (float > 0) λ, the weight of the gap penalty */
  weight: number;
}

export interface ContrastiveOptions {
  /** (float > 0) λ, the weight of the InfoNCE term. Default 0.1. */
  weight?: number;
  /** (float > 0) τ of InfoNCE over cosine similarities. Default 1. */
  temperature?: number;
  /** (float in [0, 1]) η: share of the events a crop keeps; 0 leaves crop out. Default 0.6. */
  crop?: number;
  /** (float in [0, 1]) γ: each event masked with this probability (a causal model leaves it out); 0 leaves mask out. Default 0.3. */
  mask?: number;
  /** (float in [0, 1]) β: share of the events a reorder shuffles; 0 leaves reorder out. Default 0.6. */
  reorder?: number;
}

export interface TaskOptions {
  /** (float >= 0) weight of the next-item objective; 0 trains the heads alone (a single-task rating model). Default 1. */
  nextItem?: number;
  /** (float >= 0) weight of the pointwise head's loss (squared error for 'rating', binary CE for 'like'). Default 1 with a pointwise head and rated data, else 0. */
  pointwise?: number;
  /** (float) 'like' head: an event is liked when its rating is >= this. Default 4. */
  likeThreshold?: number;
  /** The attribute head's labels and weight. */
  attributes?: {
    /** (float > 0) weight of the attribute head's binary cross-entropy. Default 1. */
    weight?: number;
    /** ((V+1)·G, row-major, row 0 unused) each item's labels in [0, 1], e.g. attributeLabels(data.itemInfo, genres). */
    labels: Float32Array;
  };
}

/** Defaults of options.contrastive (CL4SRec's augmentation rates). */
export const CONTRASTIVE_DEFAULTS = { weight: 0.1, temperature: 1, crop: 0.6, mask: 0.3, reorder: 0.6 } as const;

/** The default of every optional fit option that has one value (idDropout: 0.5 with item text, else 0). */
export const FIT_DEFAULTS = {
  epochs: 20,
  batchSize: 128,
  accumulate: 1,
  lr: 1e-3,
  warmupSteps: 0,
  schedule: 'cosine',
  minLrRatio: 0,
  weightDecay: 0.1,
  betas: [0.9, 0.98],
  eps: 1e-8,
  optimizerImpl: 'auto',
  clipNorm: 1.0,
  lossChunkBytes: 16 * 2 ** 20,
  maskProb: 0.2,
  progressEvery: 10,
  textIdDropout: 0.5,
} as const;

const KEYS = [
  'epochs',
  'steps',
  'batchSize',
  'accumulate',
  'lr',
  'warmupSteps',
  'schedule',
  'minLrRatio',
  'weightDecay',
  'betas',
  'eps',
  'optimizerImpl',
  'clipNorm',
  'lossChunkBytes',
  'maskProb',
  'progressEvery',
  'resume',
  'validation',
  'signal',
  'onProgress',
  'adapter',
  'freeze',
  'idDropout',
  'textEncoder',
  'loss',
  'negatives',
  'gbceT',
  'fairness',
  'contrastive',
  'tasks',
  'profile',
  'distributed',
] as const;

export interface ResolvedFit {
  request: AddonFitRequest;
  validation?: ResolvedValidation;
  signal?: AbortSignal;
  onProgress?: (progress: FitProgress) => void;
  /** options.textEncoder as given; checked by resolveTextTuning (it needs the model) */
  textEncoder?: unknown;
}

export function resolveFit(
  data: Dataset,
  raw: unknown,
  model: { items: number; architecture: Architecture; layers?: number; textDim?: number; pointwise?: string; attributes?: number },
): ResolvedFit {
  if (!data || !(data.offsets instanceof Int32Array) || !(data.items instanceof Int32Array)) {
    throw invalid('data', 'a Dataset (offsets and items as Int32Array)', data);
  }
  if (data.numItems > model.items) {
    throw new SeqrecError('E_INVALID_DATA', `data has ${data.numItems} items but the model was created for ${model.items}`, {
      field: 'numItems',
    });
  }
  const o = optionsObject('options', raw) as FitOptions;
  noUnknownKeys('options', o, KEYS);
  const betas = o.betas ?? FIT_DEFAULTS.betas;
  if (!Array.isArray(betas) || betas.length !== 2) throw invalid('options.betas', 'a pair [beta1, beta2]', betas);
  const impl = oneOf('options.optimizerImpl', o.optimizerImpl ?? FIT_DEFAULTS.optimizerImpl, ['auto', 'foreach', 'single'] as const);
  return {
    request: {
      offsets: data.offsets,
      items: data.items,
      epochs: integer('options.epochs', o.epochs ?? FIT_DEFAULTS.epochs, 1, 1e9),
      maxSteps: o.steps === undefined ? 0 : integer('options.steps', o.steps, 1, 1e12),
      batchSize: integer('options.batchSize', o.batchSize ?? FIT_DEFAULTS.batchSize, 1, 1 << 20),
      accumSteps: integer('options.accumulate', o.accumulate ?? FIT_DEFAULTS.accumulate, 1, 1 << 16),
      lr: number('options.lr', o.lr ?? FIT_DEFAULTS.lr, 0, 10, { exclusiveMin: true }),
      warmupSteps: integer('options.warmupSteps', o.warmupSteps ?? FIT_DEFAULTS.warmupSteps, 0, 1e12),
      decay: oneOf('options.schedule', o.schedule ?? FIT_DEFAULTS.schedule, ['cosine', 'linear', 'constant'] as const),
      minLrRatio: number('options.minLrRatio', o.minLrRatio ?? FIT_DEFAULTS.minLrRatio, 0, 1),
      weightDecay: number('options.weightDecay', o.weightDecay ?? FIT_DEFAULTS.weightDecay, 0, 100),
      beta1: number('options.betas[0]', betas[0], 0, 0.999999),
      beta2: number('options.betas[1]', betas[1], 0, 0.999999),
      eps: number('options.eps', o.eps ?? FIT_DEFAULTS.eps, 0, 1, { exclusiveMin: true }),
      foreachAdamW: impl === 'foreach',
      clipNorm: number('options.clipNorm', o.clipNorm ?? FIT_DEFAULTS.clipNorm, 0, 1e12),
      lossChunkBytes: integer('options.lossChunkBytes', o.lossChunkBytes ?? FIT_DEFAULTS.lossChunkBytes, 1024, 2 ** 50),
      maskProb: number('options.maskProb', o.maskProb ?? FIT_DEFAULTS.maskProb, 0, 1, { exclusiveMin: model.architecture === 'bert4rec' }),
      progressEvery: integer('options.progressEvery', o.progressEvery ?? FIT_DEFAULTS.progressEvery, 1, 1e9),
      resume: boolean('options.resume', o.resume ?? false),
      untilEpoch: 0,
      idDropout: number(
        'options.idDropout',
        o.idDropout ?? ((model.textDim ?? 0) > 0 ? FIT_DEFAULTS.textIdDropout : 0),
        0,
        (model.textDim ?? 0) > 0 ? 0.999 : 0,
      ),
      profile: boolean('options.profile', o.profile ?? false),
      ...resolveFairness(o.fairness, data.numUsers),
      ...resolveLoss(o.loss, o.negatives, o.gbceT),
      ...resolveContrastive(o.contrastive),
      ...resolveTasks(o.tasks, data, model),
      ...resolveTrainScope(o.adapter, o.freeze, model.layers),
      ...resolveDistributed(o.distributed),
    },
    validation: resolveValidation(o.validation, model.items),
    signal: o.signal === undefined ? undefined : abortSignal('options.signal', o.signal),
    onProgress: o.onProgress === undefined ? undefined : func<(p: FitProgress) => void>('options.onProgress', o.onProgress),
    textEncoder: o.textEncoder,
  };
}

/** options.fairness as the native request's groupOfUser (255 = neither) and groupGapWeight; empty when off. */
function resolveFairness(value: unknown, users: number): { groupOfUser: Uint8Array; groupGapWeight: number } {
  if (value === undefined) return { groupOfUser: new Uint8Array(0), groupGapWeight: 0 };
  const o = optionsObject('options.fairness', value) as Partial<FairnessOptions>;
  noUnknownKeys('options.fairness', o, ['groups', 'weight']);
  const groups = o.groups;
  if (groups === null || typeof groups !== 'object' || typeof groups.length !== 'number' || groups.length !== users)
    throw invalid('options.fairness.groups', `one group per user of data (${users}): 0, 1, or -1 / null for neither`, groups);
  const groupOfUser = new Uint8Array(users);
  const size = [0, 0];
  for (let u = 0; u < users; u++) {
    const g = groups[u];
    if (g === null || g === -1) groupOfUser[u] = 255;
    else if (g === 0 || g === 1) {
      groupOfUser[u] = g;
      size[g]!++;
    } else throw invalid(`options.fairness.groups[${u}]`, '0, 1, or -1 / null for neither', g);
  }
  if (size[0] === 0 || size[1] === 0) throw invalid('options.fairness.groups', 'members in both group 0 and group 1', `${size[0]} and ${size[1]}`);
  return { groupOfUser, groupGapWeight: number('options.fairness.weight', o.weight, 0, 1e6, { exclusiveMin: true }) };
}

/** options.contrastive as the native request's contrastive* fields (weight 0 = off). */
function resolveContrastive(
  value: unknown,
): Pick<AddonFitRequest, 'contrastiveWeight' | 'contrastiveTemperature' | 'contrastiveCrop' | 'contrastiveMask' | 'contrastiveReorder'> {
  const o = value === undefined ? undefined : (optionsObject('options.contrastive', value) as ContrastiveOptions);
  if (o) noUnknownKeys('options.contrastive', o, ['weight', 'temperature', 'crop', 'mask', 'reorder']);
  const d = CONTRASTIVE_DEFAULTS;
  const rate = (name: 'crop' | 'mask' | 'reorder'): number => number(`options.contrastive.${name}`, o?.[name] ?? d[name], 0, 1);
  const resolved = {
    contrastiveWeight: o ? number('options.contrastive.weight', o.weight ?? d.weight, 0, 1e6, { exclusiveMin: true }) : 0,
    contrastiveTemperature: number('options.contrastive.temperature', o?.temperature ?? d.temperature, 0, 1e6, { exclusiveMin: true }),
    contrastiveCrop: rate('crop'),
    contrastiveMask: rate('mask'),
    contrastiveReorder: rate('reorder'),
  };
  if (resolved.contrastiveCrop + resolved.contrastiveMask + resolved.contrastiveReorder === 0)
    throw invalid('options.contrastive', 'at least one of crop, mask and reorder above 0', value);
  return resolved;
}

/** options.tasks as the native request's task fields, checked against the model's heads and the data. */
function resolveTasks(
  value: unknown,
  data: Dataset,
  model: { items: number; pointwise?: string; attributes?: number },
): Pick<AddonFitRequest, 'ratings' | 'nextItemWeight' | 'pointwiseWeight' | 'likeThreshold' | 'attributeLabels' | 'attributeWeight'> {
  const o = (value === undefined ? {} : optionsObject('options.tasks', value)) as TaskOptions;
  noUnknownKeys('options.tasks', o, ['nextItem', 'pointwise', 'likeThreshold', 'attributes']);
  const head = model.pointwise ?? 'none';
  const rated = data.ratings !== undefined && data.ratings.some((r) => !Number.isNaN(r));
  const pointwise = number('options.tasks.pointwise', o.pointwise ?? (head !== 'none' && rated ? 1 : 0), 0, 1e6);
  if (pointwise > 0 && head === 'none')
    throw invalid('options.tasks.pointwise', '0 for a model created without a pointwise head (ModelOptions.pointwise)', pointwise);
  if (pointwise > 0 && !rated) throw invalid('options.tasks.pointwise', '0 for data without ratings (Dataset.ratings)', pointwise);
  let attributeLabels: Float32Array = new Float32Array(0);
  let attributeWeight = 0;
  if (o.attributes !== undefined) {
    const a = optionsObject('options.tasks.attributes', o.attributes) as NonNullable<TaskOptions['attributes']>;
    noUnknownKeys('options.tasks.attributes', a, ['weight', 'labels']);
    const G = model.attributes ?? 0;
    if (G === 0) throw invalid('options.tasks.attributes', 'absent for a model created without attributes (ModelOptions.attributes)', 'given');
    if (!(a.labels instanceof Float32Array) || a.labels.length !== (model.items + 1) * G)
      throw invalid('options.tasks.attributes.labels', `a Float32Array of (items + 1)·G = ${(model.items + 1) * G} labels`, a.labels);
    const bad = a.labels.findIndex((y) => !(y >= 0 && y <= 1));
    if (bad >= 0) throw invalid(`options.tasks.attributes.labels[${bad}]`, 'a label in [0, 1]', a.labels[bad]);
    attributeLabels = a.labels;
    attributeWeight = number('options.tasks.attributes.weight', a.weight ?? 1, 0, 1e6, { exclusiveMin: true });
  }
  const nextItem = number('options.tasks.nextItem', o.nextItem ?? 1, 0, 1e6);
  if (nextItem + pointwise + attributeWeight === 0) throw invalid('options.tasks', 'at least one task with a weight above 0', value);
  return {
    ratings: pointwise > 0 ? data.ratings! : new Float32Array(0),
    nextItemWeight: nextItem,
    pointwiseWeight: pointwise,
    likeThreshold: number('options.tasks.likeThreshold', o.likeThreshold ?? 4, -1e9, 1e9),
    attributeLabels,
    attributeWeight,
  };
}

/** options.loss, negatives and gbceT, each default filled in; negatives and gbceT only where the loss reads them. */
function resolveLoss(lossOption: unknown, negatives: unknown, gbceT: unknown): { loss: string; negatives: number; gbceT: number } {
  const loss = oneOf('options.loss', lossOption ?? 'ce', ['ce', 'bce', 'gbce', 'sampled-softmax'] as const);
  if (loss === 'ce' && negatives !== undefined) throw invalid('options.negatives', "absent with loss 'ce' (it scores every item)", negatives);
  if (loss !== 'gbce' && gbceT !== undefined) throw invalid('options.gbceT', "given only with loss 'gbce'", gbceT);
  const defaultNegatives = { ce: 1, bce: 1, gbce: 256, 'sampled-softmax': 1024 }[loss];
  return {
    loss,
    negatives: integer('options.negatives', negatives ?? defaultNegatives, 1, 1 << 20),
    gbceT: loss === 'gbce' ? number('options.gbceT', gbceT ?? 0.75, 0, 1) : 0,
  };
}
