/**
 * model.session(history?): one user's live session. append() takes events as they happen;
 * recommend() answers for the whole session. With a SASRec model made with `positions: 'start'` the
 * native session keeps every block's keys and values, so an appended event costs one position, not a
 * pass over the history; its lists equal recommend(history) exactly (tests/integration/session.test.ts).
 * Other models recompute on each call (same answers, full cost). The cache follows the model: after a
 * fit, a load, or an adapter change the next call rebuilds it from the events.
 */
import { SeqrecError, callNative, callNativeSync } from '../errors.js';
import { addon } from '../native/loader.js';
import type { AddonNativeSession } from '../native/raw.js';
import type { ModelCore } from './core.js';
import { explore } from './explore.js';
import { KEYS, type Recommendation, type RecommendOptions, abortable, addExplanations, checkedHistory, listRequest, reranked, toLists } from './inference.js';

export interface SessionInfo {
  /** events in the session (the initial history included) */
  events: number;
  /** positions whose keys and values are cached (0 when the model recomputes, or before the first recommend) */
  cachedPositions: number;
  /** bytes of the cached keys and values (2 · layers · L · dim · 4 once built) */
  cacheBytes: number;
}

/** A user's live session (model.session()). */
export interface Session {
  /** Add events (dense item ids, oldest first); they reach the model at the next recommend(). Checked now. */
  append(items: number | ArrayLike<number>): this;
  /** The top-k list for the session so far (recommend()'s options). */
  recommend(options?: RecommendOptions): Promise<Recommendation[]>;
  /** Every event so far, oldest first (those appended since the last recommend() included). */
  readonly history: number[];
  /** What the native session holds. */
  info(): SessionInfo;
  readonly disposed: boolean;
  /** Free the cached keys and values once the calls in flight settle. Idempotent. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A session over `core`'s model, starting from `history` (checked). */
export function openSession(core: ModelCore, history: ArrayLike<number>): Session {
  return new NativeBackedSession(core, history);
}

class NativeBackedSession implements Session {
  readonly #core: ModelCore;
  #native: AddonNativeSession | undefined;
  #pending: number[] = []; // appended since the last recommend()
  #queue: Promise<unknown> = Promise.resolve(); // calls run one after another, in call order
  #queued = 0; // calls in #queue not yet settled

  constructor(core: ModelCore, history: ArrayLike<number>) {
    this.#core = core;
    const items = checkedHistory(history, core.config.items);
    this.#native = callNativeSync(() => new (addon().NativeSession)({ history: items }));
  }

  /** Add events (dense item ids, oldest first); they reach the model at the next recommend(). Checked now. */
  append(items: number | ArrayLike<number>): this {
    this.#live();
    const list = checkedHistory(typeof items === 'number' ? [items] : items, this.#core.config.items);
    this.#pending.push(...list);
    return this;
  }

  /**
   * The top-k list for the session so far (recommend()'s options; `explain` occludes each event as explain() does).
   * An incremental step over a small catalogue (one-position steps on a valid cache, V·dim ≤ 2^20, exact scoring:
   * tens of µs) runs in this call, as a better-sqlite3 query does; anything longer runs off the JS thread.
   */
  recommend(options: RecommendOptions = {}): Promise<Recommendation[]> {
    const native = this.#live();
    const prepared = listRequest(this.#core, options, KEYS);
    const append = Int32Array.from(this.#pending);
    this.#pending = [];
    // A failed call gives its events back, to go with the next call (the native session keeps none of a failed call's).
    const giveBack = (error: unknown) => {
      this.#pending.unshift(...append);
      throw error;
    };
    if (this.#queued === 0 && !(prepared instanceof Promise) && !prepared.explain && !prepared.signal && !prepared.rerank && !prepared.explore) {
      try {
        const model = this.#core.native();
        const result = callNativeSync(() => native.recommendNow(model, { append, list: prepared.list }));
        if (result.k > 0) return Promise.resolve(toLists(this.#core, result, 1)[0]!);
      } catch (error) {
        return Promise.reject(error).catch(giveBack);
      }
    }
    // The native call waits for the calls before it (the native session takes one at a time); an
    // aborted answer rejects at once, but the queue still waits for its native call to end.
    const work = this.#queue.then(async () => {
      const { list } = prepared instanceof Promise ? await prepared : prepared;
      let model;
      try {
        model = this.#core.native();
      } catch (error) {
        return giveBack(error);
      }
      const result = await this.#core.track(callNative(() => native.recommend(model, { append, list }))).catch(giveBack);
      return { result, history: Int32Array.from(native.history()) };
    });
    this.#queued++;
    this.#queue = work.catch(() => undefined).finally(() => this.#queued--);
    return (async () => {
      const { list, explain, signal, rerank, explore: exploring } = prepared instanceof Promise ? await prepared : prepared;
      const { result, history } = await abortable(work, signal, 'session.recommend()');
      let lists = toLists(this.#core, result, 1);
      if (rerank) lists = await abortable(reranked(this.#core, rerank, lists, [history]), signal, 'session.recommend()');
      if (exploring) lists = lists.map((l) => explore(l, exploring.k, exploring.explorer));
      if (explain) await abortable(addExplanations(this.#core, [history], lists, list.adapter), signal, 'session.recommend()');
      return lists[0]!;
    })();
  }

  /** Every event so far, oldest first (those appended since the last recommend() included). */
  get history(): number[] {
    return [...this.#live().history(), ...this.#pending];
  }

  /** What the native session holds. */
  info(): SessionInfo {
    return this.#live().info();
  }

  get disposed(): boolean {
    return this.#native === undefined;
  }

  /** Free the cached keys and values once the calls in flight settle. Idempotent. */
  async dispose(): Promise<void> {
    const native = this.#native;
    if (!native) return;
    this.#native = undefined;
    await this.#queue;
    native.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #live(): AddonNativeSession {
    if (!this.#native) throw new SeqrecError('E_DISPOSED', 'the session was disposed; open a new one with model.session()');
    return this.#native;
  }
}
