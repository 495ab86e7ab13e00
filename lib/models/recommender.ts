/**
 * SequentialRecommender: the public face of one native model (SASRec or BERT4Rec mode).
 * Async factories, options objects, Keras-like verbs (fit / evaluate / recommend / save), and
 * explicit ownership: dispose() or `await using` frees native memory; use after dispose throws.
 * Every native call goes through callNative so errors are SeqrecErrors with the caller's stack.
 * The native model and the state that fit, checkpoints and weight edits share live in a private
 * core (./core.ts) that only lib modules reach.
 */
import { predictAttributes, predictPointwise, predictTargets } from './task-heads.js';
import type { Dataset, EvalSet } from '../data/dataset.js';
import { SeqrecError, callNative, callNativeSync } from '../errors.js';
import type { TopKLists } from '../eval/beyond-accuracy.js';
import { checkEvalSet } from '../eval/eval-set.js';
import { evaluateModel, type Evaluation, type EvaluateOptions } from '../eval/evaluate.js';
import { saveModel } from '../io/checkpoint.js';
import { FitRun } from '../train/fit-run.js';
import type { FitOptions } from '../train/fit-options.js';
import { trainModel } from '../train/fit.js';
import { type CatalogueGrowth, type GrowCatalogueOptions, type UpdateOptions, checkGrowth, updateRun } from '../train/update.js';
import { integer, invalid, noUnknownKeys, optionsObject } from '../validate.js';
import type { ModelConfig } from './config.js';
import { ModelCore } from './core.js';
import { type Session, type SessionsOptions, openSession, recommendSessions } from './session.js';
import { type BanditOptions, LinearBandit } from './bandit.js';
import { generateSequence, type GenerateOptions, type Generated } from './generate.js';
import {
  plainList,
  checkedHistory,
  explainItem,
  isBatch,
  itemStates,
  recommendLists,
  userStates,
  type Contribution,
  type RecommendOptions,
  type Recommendation,
} from './inference.js';
import { checkItemVectors, type ItemTextVectors } from '../text/vectors.js';
import type { AdapterInfo, LoadAdapterOptions, SaveAdapterOptions } from '../adapters/manager.js';
import type { AdapterOptions } from '../adapters/options.js';

export interface LoadOptions {
  /** (str) place the loaded model on this device instead of the stored one */
  device?: string;
  /** (int) CPU threads instead of the stored count */
  threads?: number;
  /**
   * (bool) for serving: the optimizer moments and the best-weights copy a checkpoint of an unfinished
   * run holds are not kept (info().optimizerBytes is 0), so the model cannot resume that run. Default false.
   */
  inference?: boolean;
}

/** What info() reports. */
export interface ModelInfo {
  /** (int) parameter count */
  parameters: number;
  /** (str) where the model lives */
  device: string;
  /** (bool) attention uses scaled_dot_product_attention */
  sdpa: boolean;
  /** (int) optimizer steps done in the current run */
  trainStep: number;
  /** (int) bytes of the parameters and buffers */
  parameterBytes: number;
  /** (int) bytes of the optimizer moments kept for the run (0 when loaded with inference: true) */
  optimizerBytes: number;
}

/** Set by the class's static block: the only way to a model's core from outside the class. */
let coreOf: (model: SequentialRecommender) => ModelCore;

export class SequentialRecommender implements AsyncDisposable {
  readonly #core: ModelCore;

  static {
    coreOf = (model) => model.#core;
  }

  /** @internal use SASRec.create / BERT4Rec.create */
  protected constructor(config: ModelConfig) {
    this.#core = new ModelCore(config);
  }

  /**
   * Save parameters, optimizer state, the run's step counter and record (options, validations) and the
   * config to one safetensors file, atomically (a crash or abort never leaves a half-written file at
   * `path`). A run interrupted before it completed also keeps its best validated weights, so
   * `fit(…, { resume: true })` on the loaded model ends exactly as the uninterrupted run would.
   * `metadata` (string values) is stored beside and comes back as `checkpointMetadata` after load.
   */
  save(path: string, options: { signal?: AbortSignal; metadata?: Record<string, string> } = {}): Promise<void> {
    return saveModel(this.#core, path, options);
  }

  /** The `metadata` given to save() of the checkpoint this model was loaded from ({} otherwise). */
  get checkpointMetadata(): Readonly<Record<string, string>> {
    return this.#core.metadata;
  }

  /** (V+1) the training data's id of each dense item ([0] unused), kept from fit() and saved in checkpoints. */
  get itemIds(): readonly string[] | undefined {
    return this.#core.itemIds;
  }

  /** Dense item ids for ids of the training data's vocabulary; an unknown id throws E_INVALID_DATA naming it. */
  itemsFromIds(ids: readonly string[]): Int32Array {
    const index = this.#core.itemIndex();
    if (!index) throw new SeqrecError('E_INVALID_OPTION', 'the model has no item ids: fit it on a Dataset with itemIds (e.g. from InteractionLog)');
    if (!Array.isArray(ids)) throw invalid('ids', 'an array of item ids', ids);
    return Int32Array.from(ids, (id, i) => {
      const item = index.get(String(id));
      if (item === undefined)
        throw new SeqrecError('E_INVALID_DATA', `ids[${i}] = ${JSON.stringify(id)} is not an item the model knows`, { field: 'ids', index: i });
      return item;
    });
  }

  /**
   * Give every item its text vector, for a model created with textDim > 0: `vectors.data` is (V+1)·T values
   * laid out by dense item id (row 0 unused), e.g. HashingTextEncoder.encode(itemText(data)) or
   * itemVectorsFromMap. Saved in checkpoints with the parameters. Call before fit, and again after
   * editing an item's text; items without interactions are then scored from their text alone.
   */
  async setItemText(vectors: ItemTextVectors): Promise<void> {
    const core = this.#core;
    const native = core.native();
    const { items, textDim } = core.config;
    if (textDim === 0)
      throw new SeqrecError('E_INVALID_OPTION', 'setItemText: create the model with options.textDim (the text vector width) first', { option: 'textDim' });
    integer('vectors.dim', (optionsObject('vectors', vectors) as { dim?: unknown }).dim, textDim, textDim);
    const { data } = checkItemVectors('vectors', vectors, items);
    await core.track(callNative(() => native.setItemText({ dim: textDim, data })));
    core.hasItemText = true;
  }

  /** The resolved configuration (every default filled in); saved in checkpoints. */
  get config(): Readonly<ModelConfig> {
    return this.#core.config;
  }

  get disposed(): boolean {
    return this.#core.disposed;
  }

  /** Parameter count, device, attention kernel and the run's step counter. */
  info(): ModelInfo {
    return callNativeSync(() => this.#core.native().info());
  }

  /**
   * Train on `data` (a Dataset's CSR interactions, handed to native once) on a dedicated native
   * thread. Await the returned run for a FitSummary, or iterate it for progress reports. The
   * options are checked and the run orchestrated by lib/train/fit.ts.
   */
  fit(data: Dataset, options: FitOptions = {}): FitRun {
    const callerStack = new Error(); // errors of the run point at the caller
    return new FitRun((push) => trainModel(this.#core, this, data, options, push, callerStack));
  }

  /**
   * Fine-tune on fresh interactions without a full retrain, replaying a sample of past data against forgetting
   * (`replay`, `replayShare`); one epoch at lr 5e-4 unless told otherwise; items beyond the model's V join the catalogue
   * first (their text from `itemVectors` when the model reads text) (lib/train/update.ts). Returns the run, as fit does.
   */
  update(fresh: Dataset, options: UpdateOptions = {}): FitRun {
    const core = this.#core;
    const { data, fit, grow } = updateRun({ ...core.config, itemIds: core.itemIds }, fresh, options);
    if (grow === undefined) return this.fit(data, fit);
    const callerStack = new Error();
    return new FitRun(async (push) => {
      await this.#grow(grow);
      return trainModel(core, this, data, fit, push, callerStack);
    });
  }

  /**
   * A contextual bandit over this model's candidates (LinUCB or Thompson sampling on a Bayesian linear head over the
   * last layer's features, ./bandit.ts): lists with propensities, learning from observed rewards.
   */
  bandit(options: BanditOptions): LinearBandit {
    this.#core.native(); // E_DISPOSED at once
    return new LinearBandit(this, options);
  }

  /**
   * New items join the catalogue without training: V grows to `items`, every existing item, parameter and answer
   * unchanged. A new item's id row starts as at creation (seeded); a model with item text scores it from its text
   * (`itemVectors`, the grown catalogue's (V'+1, T) vectors, required then) until interactions train it. A model
   * with item ids needs the grown vocabulary (`itemIds`, the old ids first). update() does this itself when its
   * fresh data brings new items. Ends the last fit's run (it cannot be resumed over another catalogue).
   */
  async growCatalogue(options: GrowCatalogueOptions): Promise<void> {
    const o = optionsObject('options', options);
    noUnknownKeys('options', o, ['items', 'itemIds', 'itemVectors']);
    const core = this.#core;
    await this.#grow(checkGrowth({ ...core.config, itemIds: core.itemIds }, { items: o.items, itemIds: o.itemIds, itemVectors: o.itemVectors }, 'options'));
  }

  async #grow(grow: CatalogueGrowth): Promise<void> {
    await this.#core.growItems(grow.items, grow.itemIds);
    if (grow.itemVectors) await this.setItemText(grow.itemVectors);
  }

  /**
   * Rank of each target in `evalSet`: over all items, seen excluded, ties pessimistic; or, with `candidates`
   * (count negatives per user, row-major), among itself and its candidates only (the legacy sampled protocol).
   */
  async rank(
    evalSet: EvalSet,
    options: { batchSize?: number; candidates?: { items: Int32Array; count: number }; adapter?: string | null } = {},
  ): Promise<Int32Array> {
    const native = this.#core.native();
    checkEvalSet('evalSet', evalSet, this.#core.config.items);
    const batchSize = integer('options.batchSize', options.batchSize ?? 256, 1, 1 << 20);
    const numCandidates = options.candidates ? integer('options.candidates.count', options.candidates.count, 1, this.#core.config.items) : 0;
    const candidates = options.candidates?.items ?? new Int32Array(0);
    if (!(candidates instanceof Int32Array)) throw invalid('options.candidates.items', 'an Int32Array', candidates);
    const adapter = this.#core.adapters.resolve('options.adapter', options.adapter);
    return this.#core.track(
      callNative(() =>
        native.rank({ offsets: evalSet.offsets, items: evalSet.items, targets: evalSet.targets, batchSize, numCandidates, candidates, adapter }),
      ),
    );
  }

  /**
   * Evaluate on held-out targets: registry metrics by full ranking (or the named legacy 'sampled-100' protocol),
   * with most-popular and random baselines, CIs and group fairness when `train` / `groups` are given.
   */
  async evaluate(evalSet: EvalSet, options: EvaluateOptions & { adapter?: string | null } = {}): Promise<Evaluation> {
    const { adapter: which, ...rest } = optionsObject('options', options) as EvaluateOptions & { adapter?: string | null };
    const adapter = this.#core.adapters.resolve('options.adapter', which) || null; // (str | null) LoRA adapter; default the active one
    return evaluateModel(
      {
        rank: (e, candidates, batchSize) => this.rank(e, { batchSize, adapter, ...(candidates && { candidates }) }),
        topK: (e, k, batchSize) => this.#topKLists(e, k, batchSize, adapter ?? ''),
        ...(this.#core.config.pointwise !== 'none' && {
          pointwise: (e, batchSize) => predictTargets(this.#core, checkEvalSet('evalSet', e, this.#core.config.items), batchSize, adapter ?? ''),
        }),
      },
      evalSet,
      rest,
    );
  }

  /** Top-k unseen items for each history of `evalSet` (its targets are ignored). */
  async #topKLists(evalSet: EvalSet, k: number, batchSize: number, adapter: string): Promise<TopKLists> {
    const native = this.#core.native();
    checkEvalSet('evalSet', evalSet, this.#core.config.items);
    const width = Math.min(k, this.#core.config.items);
    const result = await this.#core.track(
      callNative(() =>
        native.topK({
          offsets: evalSet.offsets,
          items: evalSet.items,
          batchSize,
          list: plainList(width, true, adapter),
        }),
      ),
    );
    return { lists: result.items, width: result.k, numItems: this.#core.config.items };
  }

  /**
   * Top-k items for one history (dense ids, oldest first), or for each of several histories at once
   * (one native call). Seen items (excludeSeen), `deny` and anything outside `allow` are left out
   * inside the native top-K; `adapter` picks the LoRA adapter per call; `explain` adds to each item
   * the history events that drove it (as explain() computes them).
   */
  recommend(history: ArrayLike<number>, options?: RecommendOptions): Promise<Recommendation[]>;
  recommend(histories: ArrayLike<number>[], options?: RecommendOptions): Promise<Recommendation[][]>;
  async recommend(history: ArrayLike<number> | ArrayLike<number>[], options: RecommendOptions = {}): Promise<Recommendation[] | Recommendation[][]> {
    if (isBatch(history)) return recommendLists(this.#core, history, options);
    if (history === null || typeof history !== 'object') throw invalid('history', 'an array of item ids, or an array of such arrays', history);
    return (await recommendLists(this.#core, [history], options))[0]!;
  }

  /**
   * A live session for one user, starting from `history` (default empty): `append(item)` as events happen,
   * `recommend(options)` for the list. With `positions: 'start'` (SASRec) an append costs one position.
   */
  session(history: ArrayLike<number> = []): Session {
    this.#core.native(); // E_DISPOSED at once
    return openSession(this.#core, history);
  }

  /**
   * The lists of several sessions of this model at once (the same options for each): one native call steps the
   * sessions' new events together (each weight read once for all), then scores all of them in one pass. Up to 16
   * one-position steps over a small catalogue (V·dim ≤ 2^20, exact scoring) run in this call, a fraction of a
   * millisecond, as a lone session's recommend() does; anything longer, or any call with `offThread: true`, runs off
   * the JS thread. What a server does with the requests that arrive together; each list equals what that session's own
   * recommend() would answer. Bad arguments throw here, as a session's recommend() does.
   */
  recommendSessions(sessions: readonly Session[], options: SessionsOptions = {}): Promise<Recommendation[][]> {
    return recommendSessions(this.#core, sessions, options);
  }

  /**
   * Each history's user state (n·dim, row-major): the vector whose dot product with item row j is item j's
   * score. For retrieval outside seqrec (an ANN index over the item rows, a two-tower store).
   */
  async userStates(histories: ArrayLike<number>[], options: { adapter?: string | null } = {}): Promise<Float32Array> {
    return userStates(this.#core, histories, options);
  }

  /**
   * The rows of the table items are scored against (n·dim, row-major) for `items` (default every item, 1..V):
   * score(user, item) = userStates(user) · itemStates(item). Item text is folded in for models with text.
   */
  async itemStates(items?: ArrayLike<number>): Promise<Float32Array> {
    return itemStates(this.#core, items);
  }

  /**
   * The pointwise head's prediction (ModelOptions.pointwise) for each history and the item beside it
   * (`items[u]` for `histories[u]`): the rating the user would give it ('rating'), or the probability
   * that they like it ('like'). Evaluate with the metrics rmse, mae, auc, logloss.
   */
  async predict(histories: ArrayLike<number>[], items: ArrayLike<number>, options: { adapter?: string | null } = {}): Promise<Float32Array> {
    return predictPointwise(this.#core, histories, items, options);
  }

  /**
   * The attribute head's probabilities (n·G, row-major; ModelOptions.attributes) of each attribute of the
   * item each history leads to, e.g. the genres a user will watch next.
   */
  async predictAttributes(histories: ArrayLike<number>[], options: { adapter?: string | null } = {}): Promise<Float32Array> {
    return predictAttributes(this.#core, histories, options);
  }

  /**
   * Continue `history` as a sequence of `length` new items (SASRec): beam search over the model's
   * next-item distribution (`beams`, default 1 = greedy) or sampling (`temperature`, `seed`); noRepeat
   * (default) never adds an item already in the sequence.
   */
  async generate(history: ArrayLike<number>, options: GenerateOptions = {}): Promise<Generated> {
    return generateSequence(this.#core, checkedHistory(history, this.#core.config.items), options);
  }

  /**
   * Which events of `history` drove `item`'s score, largest contribution first: leave-one-out
   * occlusion, exact for the model (score with the whole history minus score without the event),
   * all variants scored in one batched native call.
   */
  explain(history: ArrayLike<number>, item: number, options: { adapter?: string | null } = {}): Promise<Contribution[]> {
    return explainItem(this.#core, history, item, options);
  }

  /** Free native memory now. Aborts a running fit and waits for calls in flight. Idempotent. */
  dispose(): Promise<void> {
    return this.#core.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  // ---- LoRA adapters: thin delegation to lib/adapters/manager.ts ----------------------------

  /** Add a LoRA adapter (A Kaiming-uniform, B zero, so the model is unchanged until it is trained). Not made active. */
  addAdapter(name: string, options: AdapterOptions = {}): Promise<AdapterInfo> {
    return this.#core.adapters.add(name, options);
  }

  /** Apply this adapter in recommend / evaluate / rank from now on (their options.adapter overrides it); null for the base model alone. */
  applyAdapter(name: string | null): void {
    this.#core.adapters.apply(name);
  }

  /** The active adapter's name, or null. */
  get activeAdapter(): string | null {
    return this.#core.adapters.active;
  }

  /** Every adapter of the model, in the order they were added. */
  get adapters(): AdapterInfo[] {
    return this.#core.adapters.list();
  }

  /** Fold an adapter into the base weights (W += s·B·A) for adapter-free inference speed; it becomes active. */
  mergeAdapter(name: string): Promise<void> {
    return this.#core.adapters.merge(name);
  }

  /** Restore the weights from before mergeAdapter, bit for bit. */
  unmergeAdapter(name: string): Promise<void> {
    return this.#core.adapters.unmerge(name);
  }

  /** Delete an adapter and its tensors (refused while it is merged). */
  removeAdapter(name: string): Promise<void> {
    return this.#core.adapters.remove(name);
  }

  /** Write an adapter as a PEFT folder (adapter_config.json + adapter_model.safetensors), atomically per file. */
  saveAdapter(name: string, dir: string, options: SaveAdapterOptions = {}): Promise<void> {
    return this.#core.adapters.save(name, dir, options);
  }

  /** Load a PEFT adapter folder saved from this same base model (checked by hash). */
  loadAdapter(dir: string, options: LoadAdapterOptions = {}): Promise<AdapterInfo> {
    return this.#core.adapters.load(dir, options);
  }

  /** sha256 of the base parameters (names, dtypes, shapes, bytes), merged adapters excluded; adapter files record it. */
  baseHash(): Promise<string> {
    return this.#core.adapters.baseHash();
  }
}

/**
 * @internal The core of `model`: its native model (core.native()), exportState/importState and the state
 * fit and checkpoints share; for loading checkpoints (./sasrec.ts) and weight edits (lib/coldstart).
 * Not exported from lib/index.ts, so users cannot reach it.
 */
export function modelCore(model: SequentialRecommender): ModelCore {
  return coreOf(model);
}
