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
import { boolean, invalid } from '../validate.js';
import {
  KEYS,
  type PreparedList,
  type Recommendation,
  type RecommendOptions,
  abortable,
  addExplanations,
  checkedHistory,
  csr,
  listRequest,
  reranked,
  toLists,
} from './inference.js';

export interface SessionInfo {
  /** events in the session (the initial history included) */
  events: number;
  /** positions whose keys and values are cached (0 when the model recomputes, or before the first recommend) */
  cachedPositions: number;
  /** bytes of the cached keys and values (2 · layers · L · dim · 4 once built) */
  cacheBytes: number;
}

/** model.recommendSessions()'s options: recommend()'s, and where the work runs. */
export interface SessionsOptions extends RecommendOptions {
  /**
   * (bool) run off the JS thread even when the steps are small enough for the call itself: a server under load keeps
   * its JS thread for reading requests and writing answers while another core runs the model. The hop there and back
   * adds ~0.15 ms (a 2-core VM) to a call that has the machine to itself. Default false.
   */
  offThread?: boolean;
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

const SESSIONS_KEYS = [...KEYS, 'offThread'] as const;

/** A session over `core`'s model, starting from `history` (checked). */
export function openSession(core: ModelCore, history: ArrayLike<number>): Session {
  return new NativeBackedSession(core, history);
}

/** model.recommendSessions(): each of `sessions`' lists (one list request for all), in one native call. */
export function recommendSessions(core: ModelCore, sessions: readonly Session[], options: unknown): Promise<Recommendation[][]> {
  if (!Array.isArray(sessions)) throw invalid('sessions', 'an array of sessions of this model (model.session())', sessions);
  const seen = new Set<Session>();
  sessions.forEach((s: unknown, i) => {
    if (!NativeBackedSession.isOf(s, core)) throw invalid(`sessions[${i}]`, 'a session of this model (model.session())', s);
    if (seen.has(s)) throw invalid(`sessions[${i}]`, 'each session once', 'a session already at an earlier index');
    seen.add(s);
  });
  const prepared = listRequest(core, options, SESSIONS_KEYS);
  const { offThread } = options as SessionsOptions;
  const inCall = offThread === undefined || !boolean('options.offThread', offThread);
  if (sessions.length === 0) return Promise.resolve([]);
  return NativeBackedSession.listAll(core, sessions as NativeBackedSession[], prepared, 'model.recommendSessions()', inCall);
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
    this.#live();
    const prepared = listRequest(this.#core, options, KEYS);
    return NativeBackedSession.listAll(this.#core, [this], prepared, 'session.recommend()', true).then((lists) => lists[0]!);
  }

  /** Whether `value` is a session over `core`'s model. */
  static isOf(value: unknown, core: ModelCore): value is NativeBackedSession {
    return value instanceof NativeBackedSession && value.#core === core;
  }

  /**
   * The lists of `sessions` (distinct, of `core`'s model) in one native call, off the JS thread unless `inCall` allows a
   * small batch in the call itself. Each session's calls still run in call order: this one waits for those before it,
   * and the native call holds every session.
   */
  static listAll(
    core: ModelCore,
    sessions: NativeBackedSession[],
    prepared: PreparedList | Promise<PreparedList>,
    what: string,
    inCall: boolean,
  ): Promise<Recommendation[][]> {
    const natives = sessions.map((s) => s.#live());
    const appends = sessions.map((s) => {
      const append = s.#pending;
      s.#pending = [];
      return append;
    });
    const { offsets, items: append } = csr(appends);
    // A failed call gives each session its events back, to go with its next call (the native sessions keep none of them).
    const giveBack = (error: unknown): never => {
      sessions.forEach((s, i) => s.#pending.unshift(...appends[i]!));
      throw error;
    };
    // A small batch of one-position steps (at most 16 sessions and events; a fraction of a millisecond) runs in
    // this call when the caller allows it, no earlier call of these sessions is pending and nothing after the list
    // needs a Promise.
    const plain = !(prepared instanceof Promise) && !prepared.explain && !prepared.signal && !prepared.rerank && !prepared.explore;
    if (inCall && plain && sessions.every((s) => s.#queued === 0)) {
      try {
        const result = callNativeSync(() => core.native().recommendSessionsNow(natives, { offsets, append, list: prepared.list }));
        if (result.k > 0) return Promise.resolve(toLists(core, result, sessions.length)); // (k = 0: declined, nothing changed)
      } catch (error) {
        return Promise.reject(error).catch(giveBack);
      }
    }
    const call = async () => {
      const { list, rerank, explain } = prepared instanceof Promise ? await prepared : prepared;
      const model = core.native();
      const result = await core.track(callNative(() => model.recommendSessions(natives, { offsets, append, list })));
      // read while the sessions are still this call's (the next queued call has not started)
      const histories = rerank || explain ? natives.map((n) => Int32Array.from(n.history())) : [];
      return { result, histories };
    };
    // The native call waits for the calls before it on any of the sessions; an aborted answer rejects at once, but
    // the queues still wait for the native call to end.
    const busy = sessions.filter((s) => s.#queued > 0).map((s) => s.#queue);
    const work = (busy.length > 0 ? Promise.all(busy).then(call) : call()).catch(giveBack);
    for (const s of sessions) {
      s.#queued++;
      s.#queue = work.catch(() => undefined).finally(() => s.#queued--);
    }
    return (async () => {
      const { list, explain, signal, rerank, explore: exploring } = prepared instanceof Promise ? await prepared : prepared;
      const { result, histories } = await abortable(work, signal, what);
      let lists = toLists(core, result, sessions.length);
      if (rerank) lists = await abortable(reranked(core, rerank, lists, histories), signal, what);
      if (exploring) lists = lists.map((l) => explore(l, exploring.k, exploring.explorer));
      if (explain) await abortable(addExplanations(core, histories, lists, list.adapter), signal, what);
      return lists;
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
