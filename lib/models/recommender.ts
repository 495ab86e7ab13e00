/**
 * SequentialRecommender: the public face of one native model (SASRec or BERT4Rec mode).
 * Async factories, options objects, Keras-like verbs (fit / evaluate / recommend / save), and
 * explicit ownership: dispose() or `await using` frees native memory; use after dispose throws.
 * Every native call goes through callNative so errors are SeqrecErrors with the caller's stack.
 */
import type { Dataset, EvalSet } from '../data/dataset.js';
import { SeqrecError, callNative, callNativeSync, isSeqrecError, withCallerStack } from '../errors.js';
import type { TopKLists } from '../eval/beyond-accuracy.js';
import { checkEvalSet } from '../eval/eval-set.js';
import { evaluateModel, type Evaluation, type EvaluateOptions } from '../eval/evaluate.js';
import { addon } from '../native/loader.js';
import type { AddonAdapterState, AddonFitResult, AddonModelState, AddonNativeModel } from '../native/raw.js';
import type { ResolvedValidation, ValidationRecord } from '../train/validation.js';
import { FitRun, type FitSummary } from '../train/fit-run.js';
import { resolveFit, type FitOptions } from '../train/fit-options.js';
import { checkResume, lockedOptions, type RunRecord } from '../train/run-record.js';
import { integer, invalid, noUnknownKeys, optionsObject, boolean } from '../validate.js';
import { readCheckpoint, writeCheckpoint } from '../io/checkpoint.js';
import { type Architecture, type ModelConfig, resolveModelConfig, toAddonConfig } from './config.js';
import { checkItemVectors, type ItemTextVectors } from '../text/vectors.js';
import { fromNativeAdapter } from '../text/bert-lora.js';
import { resolveTextTuning } from '../text/text-tuning.js';
import { AdapterManager, type AdapterInfo, type LoadAdapterOptions, type SaveAdapterOptions } from '../adapters/manager.js';
import type { AdapterOptions } from '../adapters/options.js';

export interface LoadOptions {
  /** (str) place the loaded model on this device instead of the stored one */
  device?: string;
  /** (int) CPU threads instead of the stored count */
  threads?: number;
}

export interface Recommendation {
  /** dense item id (1..V) */
  item: number;
  /** the item's id in the training data's vocabulary, when the model was fit on a Dataset with itemIds */
  id?: string;
  /** model score (higher is better) */
  score: number;
}

export class SequentialRecommender implements AsyncDisposable {
  /** @internal */ protected native: AddonNativeModel | undefined;
  readonly #config: ModelConfig;
  #itemIds: readonly string[] | undefined;
  #itemIndex: Map<string, number> | undefined;
  readonly #pending = new Set<Promise<unknown>>();
  #disposing: Promise<void> | undefined;
  #hasItemText = false; // set by setItemText or a loaded checkpoint (which holds the text buffer)
  #run: RunRecord | undefined; // the last run fit() started (or a checkpoint's): what resume must repeat
  #best: BestWeights | undefined; // the best validated weights of that run while it is incomplete
  #metadata: Readonly<Record<string, string>> = {};
  readonly #adapters = new AdapterManager({
    native: () => this.ensureNative(),
    track: (p) => this.track(p),
    architecture: () => this.#config.architecture,
  });

  /** @internal use SASRec.create / BERT4Rec.create */
  protected constructor(config: ModelConfig) {
    this.#config = config;
    this.native = callNativeSync(() => new (addon().NativeModel)(toAddonConfig(config)));
  }

  /**
   * @internal Build a model from a stored checkpoint, with `device`/`threads` overridable.
   * `make` constructs the concrete class (SASRec or BERT4Rec) for the stored config.
   */
  static async loadInto<M extends SequentialRecommender>(
    path: string,
    architecture: Architecture | undefined,
    overrides: LoadOptions,
    make: (config: ModelConfig) => M,
  ): Promise<M> {
    const o = optionsObject('options', overrides) as LoadOptions;
    noUnknownKeys('options', o, ['device', 'threads']);
    const { config: stored, state, itemIds, run, best, metadata } = await readCheckpoint(path);
    if (architecture && stored.architecture !== architecture) {
      throw new SeqrecError('E_CHECKPOINT', `${path} holds a ${stored.architecture} model, not ${architecture}`, { file: path });
    }
    const { architecture: arch, ...options } = stored;
    const model = make(resolveModelConfig(arch, { ...options, ...pickDefined({ device: o.device, threads: o.threads }) }));
    model.#itemIds = itemIds;
    model.#run = run;
    model.#metadata = metadata ?? {};
    if (best) model.#best = { state: best, restore: () => model.importState(best) };
    try {
      await model.importState(state);
      model.#hasItemText = true;
    } catch (e) {
      await model.dispose();
      if (isSeqrecError(e, 'E_CHECKPOINT')) {
        throw new SeqrecError('E_CHECKPOINT', `${path}: ${e.message}`, { file: path }, { cause: e });
      }
      throw e;
    }
    return model;
  }

  /**
   * Save parameters, optimizer state, the run's step counter and record (options, validations) and the
   * config to one safetensors file, atomically (a crash or abort never leaves a half-written file at
   * `path`). A run interrupted before it completed also keeps its best validated weights, so
   * `fit(…, { resume: true })` on the loaded model ends exactly as the uninterrupted run would.
   * `metadata` (string values) is stored beside and comes back as `checkpointMetadata` after load.
   */
  async save(path: string, options: { signal?: AbortSignal; metadata?: Record<string, string> } = {}): Promise<void> {
    const o = optionsObject('options', options) as { signal?: AbortSignal; metadata?: Record<string, string> };
    noUnknownKeys('options', o, ['signal', 'metadata']);
    for (const [key, value] of Object.entries(optionsObject('options.metadata', o.metadata))) {
      if (typeof value !== 'string') throw invalid(`options.metadata.${key}`, 'a string', value);
    }
    const state = await this.exportState();
    const best = this.#run && !this.#run.complete ? this.#best?.state : undefined;
    await writeCheckpoint(
      path,
      {
        config: this.#config, state, ...(this.#itemIds && { itemIds: this.#itemIds }), ...(this.#run && { run: this.#run }), ...(best && { best }),
        ...(o.metadata && { metadata: o.metadata }),
      },
      { ...(o.signal && { signal: o.signal }) },
    );
  }

  /** The `metadata` given to save() of the checkpoint this model was loaded from ({} otherwise). */
  get checkpointMetadata(): Readonly<Record<string, string>> {
    return this.#metadata;
  }

  /** (V+1) the training data's id of each dense item ([0] unused), kept from fit() and saved in checkpoints. */
  get itemIds(): readonly string[] | undefined {
    return this.#itemIds;
  }

  /** Dense item ids for ids of the training data's vocabulary; an unknown id throws E_INVALID_DATA naming it. */
  itemsFromIds(ids: readonly string[]): Int32Array {
    if (!this.#itemIds) throw new SeqrecError('E_INVALID_OPTION', 'the model has no item ids: fit it on a Dataset with itemIds (e.g. from InteractionLog)');
    if (!Array.isArray(ids)) throw invalid('ids', 'an array of item ids', ids);
    this.#itemIndex ??= new Map(this.#itemIds.map((id, i) => [id, i] as const).slice(1));
    return Int32Array.from(ids, (id, i) => {
      const item = this.#itemIndex!.get(String(id));
      if (item === undefined) throw new SeqrecError('E_INVALID_DATA', `ids[${i}] = ${JSON.stringify(id)} is not an item the model knows`, { field: 'ids', index: i });
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
    const native = this.ensureNative();
    const { items, textDim } = this.#config;
    if (textDim === 0) throw new SeqrecError('E_INVALID_OPTION', 'setItemText: create the model with options.textDim (the text vector width) first', { option: 'textDim' });
    integer('vectors.dim', (optionsObject('vectors', vectors) as { dim?: unknown }).dim, textDim, textDim);
    const { data } = checkItemVectors('vectors', vectors, items);
    await this.track(callNative(() => native.setItemText({ dim: textDim, data })));
    this.#hasItemText = true;
  }

  /** The resolved configuration (every default filled in); saved in checkpoints. */
  get config(): Readonly<ModelConfig> {
    return this.#config;
  }

  /** @internal every parameter (and optimizer moment) as named tensors, for lib modules that edit weights */
  exportState(): Promise<AddonModelState> {
    const native = this.ensureNative();
    return this.track(callNative(() => native.exportState()));
  }

  /** @internal replace the state with one from exportState (same names and shapes; checked natively) */
  importState(state: AddonModelState): Promise<void> {
    const native = this.ensureNative();
    return this.track(callNative(() => native.importState(state)));
  }

  get disposed(): boolean {
    return this.native === undefined || this.#disposing !== undefined;
  }

  /** Parameter count, device, attention kernel and the run's step counter. */
  info(): { parameters: number; device: string; sdpa: boolean; trainStep: number } {
    return callNativeSync(() => this.ensureNative().info());
  }

  /**
   * Train on `data` (a Dataset's CSR interactions, handed to native once) on a dedicated native
   * thread. Await the returned run for a FitSummary, or iterate it for progress reports.
   */
  fit(data: Dataset, options: FitOptions = {}): FitRun {
    const callerStack = new Error();
    return new FitRun(async (push) => {
      const native = this.ensureNative();
      const { request, validation, signal, onProgress, textEncoder } = resolveFit(data, options, this.#config);
      const tuning = textEncoder === undefined ? undefined : resolveTextTuning(textEncoder, this.#config, request.resume);
      if (this.#config.textDim > 0 && !this.#hasItemText && !tuning) {
        throw new SeqrecError('E_INVALID_OPTION', `fit: the model has textDim ${this.#config.textDim} but no item text yet; call setItemText(vectors) first`, { option: 'textDim' });
      }
      this.#adapters.beginTraining(request.adapter);
      this.#adoptItemIds(data);
      const aborted = (steps: number, totalSteps: number, summary?: FitSummary) =>
        withCallerStack(new SeqrecError('E_ABORTED', `fit() was aborted after step ${steps} of ${totalSteps}`, { summary }), callerStack);
      if (signal?.aborted) throw new SeqrecError('E_ABORTED', 'fit() was called with an already aborted signal');
      const locked = lockedOptions(request, validation);
      if (request.resume) checkResume(this.#run, locked, native.info().trainStep);
      else {
        this.#run = { options: locked, history: [], sinceValidation: [], complete: false };
        this.#best = undefined;
      }
      const run = this.#run!;
      let callbackError: unknown;
      const onAbort = () => native.abortFit();
      signal?.addEventListener('abort', onAbort);
      const segment = async (untilEpoch: number, resume: boolean) => {
        const result = await this.track(
          callNative(() =>
            native.fit({ ...request, untilEpoch, resume }, (p) => {
              push(p);
              try {
                onProgress?.(p);
              } catch (e) {
                callbackError ??= e;
                native.abortFit();
              }
            }),
          ),
        );
        if (callbackError !== undefined) throw callbackError;
        return result;
      };
      let bestText: AddonAdapterState | undefined; // the tuned encoder adapter of the best validation
      const onBest = async () => {
        if (tuning) bestText = await this.track(callNative(() => native.textEncoderAdapter()));
      };
      const train = async (): Promise<FitSummary> => {
        let summary: FitSummary;
        if (!validation) {
          const result = await segment(0, request.resume);
          summary = summarize(result, [result.losses], result.elapsedSec);
          if (result.aborted) throw aborted(result.steps, result.totalSteps, summary);
        } else {
          summary = await this.#fitWithValidation(segment, request.resume, validation, run, () => signal?.aborted === true, aborted, request.adapter, onBest);
        }
        run.complete = true;
        this.#best = undefined;
        return summary;
      };
      try {
        if (!tuning) return await train();
        const tune = await tuning.encoder.tuneRequest(tuning.texts, tuning.lora, tuning.modules, tuning.itemsPerStep);
        await this.track(callNative(() => native.attachTextEncoder(tune)));
        this.#hasItemText = true; // attach wrote the encoder's vectors
        let summary: FitSummary | undefined;
        try {
          summary = await train();
        } finally {
          const last = await this.track(callNative(() => native.detachTextEncoder()));
          if (summary) {
            const state = summary.validation?.restored && bestText ? bestText : last;
            summary.textAdapter = fromNativeAdapter(state, tuning.lora.targetModules, tuning.encoder.baseFingerprint);
          }
        }
        return summary;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    });
  }

  /** Epoch segments of one resumable run, validated in between; early stopping and best-weight restore. */
  async #fitWithValidation(
    segment: (untilEpoch: number, resume: boolean) => Promise<AddonFitResult>,
    resumeFirst: boolean,
    v: ResolvedValidation,
    run: RunRecord,
    isAborted: () => boolean,
    aborted: (steps: number, totalSteps: number, summary?: FitSummary) => SeqrecError,
    adapter: string,
    onBest: () => Promise<void>,
  ): Promise<FitSummary> {
    // A resumed run continues its validations: the same history, best and patience count.
    const history = run.history;
    let best: ValidationRecord | undefined = history.reduce<ValidationRecord | undefined>((b, r) => (!b || r.value > b.value ? r : b), undefined);
    let restoreBest = this.#best?.restore;
    let sinceBest = best ? history.length - 1 - history.indexOf(best) : 0;
    let stoppedEarly = false;
    let elapsed = 0;
    const losses: Float32Array[] = [];
    let last: AddonFitResult | undefined;
    const first = (history.at(-1)?.epoch ?? 0) + v.every;
    for (let epoch = first; ; epoch += v.every) {
      // aborted between segments (during a validation): the summary holds the steps done so far
      if (isAborted()) throw aborted(last?.steps ?? history.at(-1)?.step ?? 0, last?.totalSteps ?? 0, last && summarize(last, losses, elapsed));
      last = await segment(epoch, resumeFirst || epoch > first);
      losses.push(last.losses);
      elapsed += last.elapsedSec;
      run.sinceValidation.push(...last.losses);
      if (last.aborted) throw aborted(last.steps, last.totalSteps, summarize(last, losses, elapsed));
      const { metrics } = await this.evaluate(v.data, { metrics: [v.metric], adapter: adapter || null });
      const since = run.sinceValidation.splice(0);
      const trainLoss = since.length ? since.reduce((a, b) => a + b, 0) / since.length : NaN;
      const record: ValidationRecord = { epoch, step: last.steps, value: metrics[v.metric]!, trainLoss };
      history.push(record);
      if (!best || record.value > best.value) {
        best = record;
        sinceBest = 0;
        if (v.restoreBest) {
          restoreBest = await this.#snapshot(adapter);
          await onBest();
        }
      } else {
        sinceBest++;
      }
      if (!last.paused) break;
      if (v.patience > 0 && sinceBest >= v.patience) {
        stoppedEarly = true;
        break;
      }
    }
    const end = last!; // the loop runs at least one segment
    const restored = restoreBest !== undefined && best!.step !== end.steps;
    if (restored) await restoreBest!();
    return { ...summarize(end, losses, elapsed), validation: { metric: v.metric, history, best: best!, stoppedEarly, restored } };
  }

  /**
   * Rank of each target in `evalSet`: over all items, seen excluded, ties pessimistic; or, with `candidates`
   * (count negatives per user, row-major), among itself and its candidates only (the legacy sampled protocol).
   */
  async rank(
    evalSet: EvalSet,
    options: { batchSize?: number; candidates?: { items: Int32Array; count: number }; adapter?: string | null } = {},
  ): Promise<Int32Array> {
    const native = this.ensureNative();
    checkEvalSet('evalSet', evalSet, this.#config.items);
    const batchSize = integer('options.batchSize', options.batchSize ?? 256, 1, 1 << 20);
    const numCandidates = options.candidates ? integer('options.candidates.count', options.candidates.count, 1, this.#config.items) : 0;
    const candidates = options.candidates?.items ?? new Int32Array(0);
    if (!(candidates instanceof Int32Array)) throw invalid('options.candidates.items', 'an Int32Array', candidates);
    const adapter = this.#adapters.resolve('options.adapter', options.adapter);
    return this.track(
      callNative(() => native.rank({ offsets: evalSet.offsets, items: evalSet.items, targets: evalSet.targets, batchSize, numCandidates, candidates, adapter })),
    );
  }

  /**
   * Evaluate on held-out targets: registry metrics by full ranking (or the named legacy 'sampled-100' protocol),
   * with most-popular and random baselines, CIs and group fairness when `train` / `groups` are given.
   */
  async evaluate(evalSet: EvalSet, options: EvaluateOptions & { adapter?: string | null } = {}): Promise<Evaluation> {
    const { adapter: which, ...rest } = optionsObject('options', options) as EvaluateOptions & { adapter?: string | null };
    const adapter = this.#adapters.resolve('options.adapter', which) || null; // (str | null) LoRA adapter; default the active one
    return evaluateModel(
      {
        rank: (e, candidates, batchSize) => this.rank(e, { batchSize, adapter, ...(candidates && { candidates }) }),
        topK: (e, k, batchSize) => this.#topKLists(e, k, batchSize, adapter ?? ''),
      },
      evalSet,
      rest,
    );
  }

  /** Top-k unseen items for each history of `evalSet` (its targets are ignored). */
  async #topKLists(evalSet: EvalSet, k: number, batchSize: number, adapter: string): Promise<TopKLists> {
    const native = this.ensureNative();
    checkEvalSet('evalSet', evalSet, this.#config.items);
    const width = Math.min(k, this.#config.items);
    const result = await this.track(
      callNative(() => native.topK({ offsets: evalSet.offsets, items: evalSet.items, k: width, excludeSeen: true, batchSize, adapter })),
    );
    return { lists: result.items, width: result.k, numItems: this.#config.items };
  }

  /** Top-k items for one history (dense ids, oldest first). */
  async recommend(history: ArrayLike<number>, options: { k?: number; excludeSeen?: boolean; adapter?: string | null } = {}): Promise<Recommendation[]> {
    const native = this.ensureNative();
    const o = optionsObject('options', options) as { k?: number; excludeSeen?: boolean; adapter?: string | null };
    noUnknownKeys('options', o, ['k', 'excludeSeen', 'adapter']);
    const adapter = this.#adapters.resolve('options.adapter', o.adapter);
    const k = integer('options.k', o.k ?? 10, 1, this.#config.items);
    const items = Int32Array.from(history);
    items.forEach((item, i) => integer(`history[${i}]`, item, 1, this.#config.items));
    const result = await this.track(
      callNative(() =>
        native.topK({ offsets: Int32Array.of(0, items.length), items, k, excludeSeen: boolean('options.excludeSeen', o.excludeSeen ?? true), batchSize: 1, adapter }),
      ),
    );
    const out: Recommendation[] = [];
    for (let i = 0; i < result.k; i++) {
      const item = result.items[i]!;
      if (item > 0) out.push({ item, score: result.scores[i]!, ...(this.#itemIds && { id: this.#itemIds[item] }) });
    }
    return out;
  }

  /** Keep the data's item vocabulary; refuse data whose vocabulary differs from the one the model learned. */
  #adoptItemIds(data: Dataset): void {
    const ids = data.itemIds;
    if (ids === undefined) return;
    if (this.#itemIds !== undefined && this.#itemIds !== ids) {
      const at = ids.findIndex((id, i) => i > 0 && id !== this.#itemIds![i]);
      if (ids.length !== this.#itemIds.length || at > 0) {
        throw new SeqrecError('E_INVALID_DATA', `data.itemIds differ from the model's item ids${at > 0 ? ` at dense id ${at}` : ''}; map items to the model's vocabulary first`, { field: 'itemIds', index: at });
      }
    }
    this.#itemIds = ids;
    this.#itemIndex = undefined;
  }

  /** Free native memory now. Aborts a running fit and waits for calls in flight. Idempotent. */
  async dispose(): Promise<void> {
    if (this.native === undefined) return;
    this.#disposing ??= (async () => {
      this.native?.abortFit();
      await Promise.allSettled([...this.#pending]);
      this.native?.dispose();
      this.native = undefined;
    })();
    return this.#disposing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** @internal the native model, or E_DISPOSED */
  protected ensureNative(): AddonNativeModel {
    if (this.native === undefined || this.#disposing !== undefined) {
      throw new SeqrecError('E_DISPOSED', 'the model was disposed; create or load a new one');
    }
    return this.native;
  }

  /** @internal count a native promise as in flight until it settles (dispose waits for it) */
  protected track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const forget = () => this.#pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  // ---- LoRA adapters: thin delegation to lib/adapters/manager.ts ----------------------------

  /** Add a LoRA adapter (A Kaiming-uniform, B zero, so the model is unchanged until it is trained). Not made active. */
  addAdapter(name: string, options: AdapterOptions = {}): Promise<AdapterInfo> {
    return this.#adapters.add(name, options);
  }

  /** Apply this adapter in recommend / evaluate / rank from now on (their options.adapter overrides it); null for the base model alone. */
  applyAdapter(name: string | null): void {
    this.#adapters.apply(name);
  }

  /** The active adapter's name, or null. */
  get activeAdapter(): string | null {
    return this.#adapters.active;
  }

  /** Every adapter of the model, in the order they were added. */
  get adapters(): AdapterInfo[] {
    return this.#adapters.list();
  }

  /** Fold an adapter into the base weights (W += s·B·A) for adapter-free inference speed; it becomes active. */
  mergeAdapter(name: string): Promise<void> {
    return this.#adapters.merge(name);
  }

  /** Restore the weights from before mergeAdapter, bit for bit. */
  unmergeAdapter(name: string): Promise<void> {
    return this.#adapters.unmerge(name);
  }

  /** Delete an adapter and its tensors (refused while it is merged). */
  removeAdapter(name: string): Promise<void> {
    return this.#adapters.remove(name);
  }

  /** Write an adapter as a PEFT folder (adapter_config.json + adapter_model.safetensors), atomically per file. */
  saveAdapter(name: string, dir: string, options: SaveAdapterOptions = {}): Promise<void> {
    return this.#adapters.save(name, dir, options);
  }

  /** Load a PEFT adapter folder saved from this same base model (checked by hash). */
  loadAdapter(dir: string, options: LoadAdapterOptions = {}): Promise<AdapterInfo> {
    return this.#adapters.load(dir, options);
  }

  /** sha256 of the base parameters (names, dtypes, shapes, bytes), merged adapters excluded; adapter files record it. */
  baseHash(): Promise<string> {
    return this.#adapters.baseHash();
  }

  /**
   * Keep the weights fit() may restore: the adapter's factors when training one, else the whole model
   * state, which also becomes the run's best weights that a checkpoint of the unfinished run carries.
   */
  async #snapshot(adapter: string): Promise<() => Promise<void>> {
    if (adapter) {
      const state = await this.#adapters.snapshot(adapter);
      this.#best = { restore: () => this.#adapters.restore(state) }; // adapters are saved apart, not in checkpoints
      return this.#best.restore;
    }
    const state = await this.exportState();
    this.#best = { state, restore: () => this.importState(state) };
    return this.#best.restore;
  }
}

/** The best validated weights of a run in progress, and how to put them back. */
interface BestWeights {
  /** the whole model state (base runs), which checkpoints of the unfinished run carry */
  state?: AddonModelState;
  restore: () => Promise<void>;
}

function summarize(result: AddonFitResult, losses: Float32Array[], elapsedSec: number): FitSummary {
  const all = new Float32Array(losses.reduce((n, l) => n + l.length, 0));
  losses.reduce((at, l) => (all.set(l, at), at + l.length), 0);
  return {
    steps: result.steps,
    totalSteps: result.totalSteps,
    losses: all,
    elapsedSec,
    sequencesPerSec: result.sequencesPerSec,
    parameterGroups: {
      decay: { parameters: result.decayParameters, tensors: result.decayTensors },
      noDecay: { parameters: result.noDecayParameters, tensors: result.noDecayTensors },
    },
  };
}

function pickDefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
