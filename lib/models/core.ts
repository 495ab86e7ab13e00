/**
 * ModelCore: the internal half of a SequentialRecommender. It owns the native model (created here,
 * freed by dispose once the calls in flight settle) and the state that fit (lib/train/fit.ts),
 * checkpoints and weight edits (lib/coldstart) share: the item vocabulary, the run record and its
 * best weights, whether item text is set, and the LoRA adapters. The public class holds one in a
 * private field and hands it to those modules (modelCore in ./recommender.ts); lib/index.ts exports
 * neither, so the published types show none of it.
 */
import type { Dataset } from '../data/dataset.js';
import { SeqrecError, callNative, callNativeSync } from '../errors.js';
import { AdapterManager } from '../adapters/manager.js';
import { addon } from '../native/loader.js';
import type { AddonModelState, AddonNativeModel, AddonTopKRequest, AddonTopKResult } from '../native/raw.js';
import { TopKBatcher } from './topk-batcher.js';
import type { BestWeights, RunRecord } from '../train/run-record.js';
import { type ModelConfig, toAddonConfig } from './config.js';

export class ModelCore {
  #config: ModelConfig;
  /** the named LoRA adapters and which one is applied */
  readonly adapters: AdapterManager;
  /** (V+1) the training data's id of each dense item ([0] unused), kept from fit and saved in checkpoints */
  itemIds: readonly string[] | undefined;
  /** item text is set: by setItemText, an end-to-end text fit, or a loaded checkpoint (which holds the text) */
  hasItemText = false;
  /** the last run fit started (or a checkpoint's): what resume must repeat */
  run: RunRecord | undefined;
  /** the best validated weights of that run while it is incomplete */
  best: BestWeights | undefined;
  /** the `metadata` given to save() of the checkpoint the model was loaded from */
  metadata: Readonly<Record<string, string>> = {};
  #itemIndex: Map<string, number> | undefined;
  /**
   * recommend()'s top-K calls, batched when they arrive together (./topk-batcher.ts) on CUDA, where one
   * launch for many users is what pays. On CPU concurrent calls run side by side on the job pool instead:
   * measured with benchmarks/serve-load.mjs (2 cores, ML-1M shape, 32 connections), merging them cut
   * throughput from 1,772 to 1,394–1,627 req/s and doubled p99 (29 → 57–63 ms): a batch's activations
   * leave the cache that one history's fit in.
   */
  readonly #topK: TopKBatcher;
  #native: AddonNativeModel | undefined;
  readonly #pending = new Set<Promise<unknown>>();
  #disposing: Promise<void> | undefined;

  constructor(config: ModelConfig) {
    this.#config = config;
    this.#native = callNativeSync(() => new (addon().NativeModel)(toAddonConfig(config)));
    this.#topK = new TopKBatcher(
      (request) => {
        const native = this.native();
        return this.track(callNative(() => native.topK(request)));
      },
      { maxInFlight: config.device.startsWith('cuda') ? 2 : Infinity },
    );
    this.adapters = new AdapterManager({
      native: () => this.native(),
      track: (p) => this.track(p),
      architecture: () => config.architecture,
      heads: () => config.heads,
    });
  }

  /** the resolved configuration (every default filled in); `items` grows with growItems */
  get config(): ModelConfig {
    return this.#config;
  }

  /**
   * New items join the catalogue (V → `items`), natively in place; `itemIds`, when the model has ids, is the
   * new vocabulary (the old one as its prefix, checked by the caller). Every per-generation cache rebuilds.
   */
  async growItems(items: number, itemIds: readonly string[] | undefined): Promise<void> {
    const native = this.native();
    await this.track(callNative(() => native.growItems(items)));
    this.#config = { ...this.#config, items };
    if (itemIds !== undefined) this.#setItemIds(itemIds);
  }

  get disposed(): boolean {
    return this.#native === undefined || this.#disposing !== undefined;
  }

  /** The native model, or E_DISPOSED. */
  native(): AddonNativeModel {
    if (this.#native === undefined || this.#disposing !== undefined) {
      throw new SeqrecError('E_DISPOSED', 'the model was disposed; create or load a new one');
    }
    return this.#native;
  }

  /** Count a native promise as in flight until it settles (dispose waits for it). */
  track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const forget = () => this.#pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Top-K lists for recommend(), batched natively with the calls that arrive at the same time. */
  topK(request: AddonTopKRequest): Promise<AddonTopKResult> {
    this.native(); // E_DISPOSED at once
    return this.#topK.submit(request);
  }

  /** Every parameter (and optimizer moment) as named tensors. */
  exportState(): Promise<AddonModelState> {
    const native = this.native();
    return this.track(callNative(() => native.exportState()));
  }

  /** Replace the state with one from exportState (same names and shapes; checked natively). */
  importState(state: AddonModelState): Promise<void> {
    const native = this.native();
    return this.track(callNative(() => native.importState(state)));
  }

  /** Dense id of each item id of the vocabulary (built on first use). */
  itemIndex(): Map<string, number> | undefined {
    if (this.itemIds) this.#itemIndex ??= new Map(this.itemIds.map((id, i) => [id, i] as const).slice(1));
    return this.#itemIndex;
  }

  /** Keep the data's item vocabulary; refuse data whose vocabulary differs from the one the model learned. */
  adoptItemIds(data: Dataset): void {
    const ids = data.itemIds;
    if (ids === undefined) return;
    if (this.itemIds !== undefined && this.itemIds !== ids) {
      const at = ids.findIndex((id, i) => i > 0 && id !== this.itemIds![i]);
      if (ids.length !== this.itemIds.length || at > 0) {
        throw new SeqrecError(
          'E_INVALID_DATA',
          `data.itemIds differ from the model's item ids${at > 0 ? ` at dense id ${at}` : ''}; map items to the model's vocabulary first`,
          { field: 'itemIds', index: at },
        );
      }
    }
    this.#setItemIds(ids);
  }

  #setItemIds(ids: readonly string[]): void {
    this.itemIds = ids;
    this.#itemIndex = undefined; // rebuilt on first use
  }

  /** Free native memory: abort a running fit, wait for the calls in flight, then dispose. Idempotent. */
  dispose(): Promise<void> {
    if (this.#native === undefined) return Promise.resolve();
    this.#disposing ??= (async () => {
      this.#native?.abortFit();
      await Promise.allSettled([...this.#pending]);
      this.#native?.dispose();
      this.#native = undefined;
    })();
    return this.#disposing;
  }
}
