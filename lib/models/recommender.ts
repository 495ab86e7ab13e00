/**
 * SequentialRecommender: the public face of one native model (SASRec or BERT4Rec mode).
 * Async factories, options objects, Keras-like verbs (fit / evaluate / recommend / save), and
 * explicit ownership: dispose() or `await using` frees native memory; use after dispose throws.
 * Every native call goes through callNative so errors are SeqrecErrors with the caller's stack.
 */
import type { Dataset, EvalSet } from '../data/dataset.js';
import { SeqrecError, callNative, callNativeSync, isSeqrecError, withCallerStack } from '../errors.js';
import { hitRate, mrr, ndcg } from '../eval/metrics.js';
import { addon } from '../native/loader.js';
import type { AddonFitResult, AddonModelState, AddonNativeModel } from '../native/raw.js';
import type { ResolvedValidation, ValidationRecord } from '../train/validation.js';
import { FitRun, type FitSummary } from '../train/fit-run.js';
import { resolveFit, type FitOptions } from '../train/fit-options.js';
import { integer, invalid, noUnknownKeys, optionsObject, boolean } from '../validate.js';
import { readCheckpoint, writeCheckpoint } from '../io/checkpoint.js';
import { type Architecture, type ModelConfig, resolveModelConfig, toAddonConfig } from './config.js';

export interface LoadOptions {
  /** (str) place the loaded model on this device instead of the stored one */
  device?: string;
  /** (int) CPU threads instead of the stored count */
  threads?: number;
}

export interface Recommendation {
  /** dense item id (1..V) */
  item: number;
  /** model score (higher is better) */
  score: number;
}

export interface EvaluateOptions {
  /** (int[]) cut-offs for HR@K and NDCG@K. Default [10]. */
  ks?: number[];
  /** (int) users scored per native batch. Default 256. */
  batchSize?: number;
}

export interface Evaluation {
  /** evaluated users */
  users: number;
  /** 'hr@10', 'ndcg@10', …, 'mrr' */
  metrics: Record<string, number>;
  /** (users) full-ranking pessimistic rank of each target, seen items excluded */
  ranks: Int32Array;
}

export class SequentialRecommender implements AsyncDisposable {
  /** @internal */ protected native: AddonNativeModel | undefined;
  readonly #config: ModelConfig;
  readonly #pending = new Set<Promise<unknown>>();
  #disposing: Promise<void> | undefined;

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
    const { config: stored, state } = await readCheckpoint(path);
    if (architecture && stored.architecture !== architecture) {
      throw new SeqrecError('E_CHECKPOINT', `${path} holds a ${stored.architecture} model, not ${architecture}`, { file: path });
    }
    const { architecture: arch, ...options } = stored;
    const model = make(resolveModelConfig(arch, { ...options, ...pickDefined({ device: o.device, threads: o.threads }) }));
    try {
      await model.track(callNative(() => model.ensureNative().importState(state)));
    } catch (e) {
      await model.dispose();
      if (isSeqrecError(e, 'E_CHECKPOINT')) {
        throw new SeqrecError('E_CHECKPOINT', `${path} does not match its model config: ${e.message}`, { file: path }, { cause: e });
      }
      throw e;
    }
    return model;
  }

  /**
   * Save parameters, optimizer state, the run's step counter and the config to one safetensors
   * file, atomically (a crash or abort never leaves a half-written file at `path`).
   */
  async save(path: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const native = this.ensureNative();
    const state = await this.track(callNative(() => native.exportState()));
    await writeCheckpoint(path, { config: this.#config, state }, options);
  }

  /** The resolved configuration (every default filled in); saved in checkpoints. */
  get config(): Readonly<ModelConfig> {
    return this.#config;
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
      const { request, validation, signal, onProgress } = resolveFit(data, options, this.#config);
      const aborted = (steps: number, totalSteps: number, summary?: FitSummary) =>
        withCallerStack(new SeqrecError('E_ABORTED', `fit() was aborted after step ${steps} of ${totalSteps}`, { summary }), callerStack);
      if (signal?.aborted) throw new SeqrecError('E_ABORTED', 'fit() was called with an already aborted signal');
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
      try {
        if (!validation) {
          const result = await segment(0, request.resume);
          const summary = summarize(result, [result.losses], result.elapsedSec);
          if (result.aborted) throw aborted(result.steps, result.totalSteps, summary);
          return summary;
        }
        return await this.#fitWithValidation(segment, request.resume, validation, () => signal?.aborted === true, aborted);
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
    isAborted: () => boolean,
    aborted: (steps: number, totalSteps: number, summary?: FitSummary) => SeqrecError,
  ): Promise<FitSummary> {
    const history: ValidationRecord[] = [];
    const losses: Float32Array[] = [];
    let best: ValidationRecord | undefined;
    let bestState: AddonModelState | undefined;
    let sinceBest = 0;
    let stoppedEarly = false;
    let elapsed = 0;
    let last: AddonFitResult;
    for (let epoch = v.every; ; epoch += v.every) {
      if (isAborted()) throw aborted(history.at(-1)?.step ?? 0, 0);
      last = await segment(epoch, resumeFirst || epoch > v.every);
      losses.push(last.losses);
      elapsed += last.elapsedSec;
      if (last.aborted) throw aborted(last.steps, last.totalSteps, summarize(last, losses, elapsed));
      const { metrics } = await this.evaluate(v.data, { ks: v.k ? [v.k] : [10] });
      const trainLoss = last.losses.length ? last.losses.reduce((a, b) => a + b, 0) / last.losses.length : NaN;
      const record: ValidationRecord = { epoch, step: last.steps, value: metrics[v.metric]!, trainLoss };
      history.push(record);
      if (!best || record.value > best.value) {
        best = record;
        sinceBest = 0;
        if (v.restoreBest) bestState = await this.track(callNative(() => this.ensureNative().exportState()));
      } else {
        sinceBest++;
      }
      if (!last.paused) break;
      if (v.patience > 0 && sinceBest >= v.patience) {
        stoppedEarly = true;
        break;
      }
    }
    const restored = bestState !== undefined && best!.step !== last.steps;
    if (restored) await this.track(callNative(() => this.ensureNative().importState(bestState!)));
    return { ...summarize(last, losses, elapsed), validation: { metric: v.metric, history, best: best!, stoppedEarly, restored } };
  }

  /** Full-ranking ranks of each target in `evalSet` (all items, seen excluded, ties pessimistic). */
  async rank(evalSet: EvalSet, options: { batchSize?: number } = {}): Promise<Int32Array> {
    const native = this.ensureNative();
    checkEvalSet(evalSet, this.#config.items);
    const batchSize = integer('options.batchSize', options.batchSize ?? 256, 1, 1 << 20);
    return this.track(
      callNative(() => native.rank({ offsets: evalSet.offsets, items: evalSet.items, targets: evalSet.targets, batchSize })),
    );
  }

  /** HR@K, NDCG@K and MRR by full ranking over the whole catalogue. */
  async evaluate(evalSet: EvalSet, options: EvaluateOptions = {}): Promise<Evaluation> {
    const o = optionsObject('options', options) as EvaluateOptions;
    noUnknownKeys('options', o, ['ks', 'batchSize']);
    const ks = o.ks ?? [10];
    if (!Array.isArray(ks) || ks.length === 0) throw invalid('options.ks', 'a non-empty array of integers', ks);
    ks.forEach((k, i) => integer(`options.ks[${i}]`, k, 1, 1 << 30));
    const ranks = await this.rank(evalSet, { batchSize: o.batchSize });
    const metrics: Record<string, number> = {};
    for (const k of ks) {
      metrics[`hr@${k}`] = hitRate(ranks, k);
      metrics[`ndcg@${k}`] = ndcg(ranks, k);
    }
    metrics.mrr = mrr(ranks);
    return { users: ranks.length, metrics, ranks };
  }

  /** Top-k items for one history (dense ids, oldest first). */
  async recommend(history: ArrayLike<number>, options: { k?: number; excludeSeen?: boolean } = {}): Promise<Recommendation[]> {
    const native = this.ensureNative();
    const o = optionsObject('options', options) as { k?: number; excludeSeen?: boolean };
    noUnknownKeys('options', o, ['k', 'excludeSeen']);
    const k = integer('options.k', o.k ?? 10, 1, this.#config.items);
    const items = Int32Array.from(history);
    items.forEach((item, i) => integer(`history[${i}]`, item, 1, this.#config.items));
    const result = await this.track(
      callNative(() =>
        native.topK({ offsets: Int32Array.of(0, items.length), items, k, excludeSeen: boolean('options.excludeSeen', o.excludeSeen ?? true), batchSize: 1 }),
      ),
    );
    const out: Recommendation[] = [];
    for (let i = 0; i < result.k; i++) if (result.items[i]! > 0) out.push({ item: result.items[i]!, score: result.scores[i]! });
    return out;
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

function checkEvalSet(e: EvalSet, numItems: number): void {
  if (!e || !(e.offsets instanceof Int32Array) || !(e.items instanceof Int32Array) || !(e.targets instanceof Int32Array)) {
    throw invalid('evalSet', 'an EvalSet (offsets, items, targets as Int32Array)', e);
  }
  if (e.offsets.length !== e.targets.length + 1) {
    throw new SeqrecError('E_INVALID_DATA', `evalSet.offsets has ${e.offsets.length} entries for ${e.targets.length} targets`, { field: 'offsets' });
  }
  if (e.numItems > numItems) {
    throw new SeqrecError('E_INVALID_DATA', `evalSet has ${e.numItems} items but the model was created for ${numItems}`, { field: 'numItems' });
  }
}
