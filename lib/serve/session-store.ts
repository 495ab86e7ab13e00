/**
 * The server's sessions: every session's recent events (the last maxLen, which is all the model
 * reads), least recently used dropped past `maxSessions`; and a native Session (model.session())
 * for the `liveSessions` most recently used ones, so an event costs one position on a start-anchored
 * model. A session dropped from the live set, or made under a model since reloaded, is rebuilt from
 * its events on its next event: one pass over at most maxLen events.
 */
import type { RecommendOptions, Recommendation } from '../models/inference.js';
import type { SequentialRecommender } from '../models/recommender.js';
import type { Session } from '../models/session.js';

interface Live {
  model: SequentialRecommender;
  session: Session;
  events: number; // the session's events so far
}

let turn: Promise<void> | undefined;

/**
 * Resolves once the event loop has read every request of its current turn (setImmediate), the same
 * promise for all of them. A session's step is tens of µs of native work over the model's weights and
 * item table (about 1.2 MB at the ML-1M shape); run between two requests' HTTP handling it finds them
 * evicted and costs 2-3× as much (measured: 46 → 100 µs). Run back to back, the steps of one turn
 * share one warm copy. A lone request waits only for the end of its turn.
 */
function nextTurn(): Promise<void> {
  turn ??= new Promise((resolve) =>
    setImmediate(() => {
      turn = undefined;
      resolve();
    }),
  );
  return turn;
}

export class SessionStore {
  readonly #maxSessions: number;
  readonly #liveSessions: number;
  readonly #histories = new Map<string, number[]>(); // Map order = least recently used first
  readonly #live = new Map<string, Live>();

  constructor(maxSessions: number, liveSessions: number) {
    this.#maxSessions = maxSessions;
    this.#liveSessions = liveSessions;
  }

  get size(): number {
    return this.#histories.size;
  }

  history(id: string): number[] | undefined {
    return this.#histories.get(id);
  }

  /** Append `events` (dense ids, checked by the session before anything is kept) to session `id`, then its list. */
  async events(model: SequentialRecommender, id: string, events: number[], options: RecommendOptions): Promise<{ history: number[]; items: Recommendation[] }> {
    await nextTurn(); // the steps of every request read in this turn of the event loop run back to back (see nextTurn)
    const maxLen = model.config.maxLen;
    let live = this.#live.get(id);
    if (live && (live.model !== model || live.events > 2 * maxLen)) {
      void live.session.dispose(); // another model's, or grown long: start again from the recent events
      live = undefined;
    }
    if (!live) {
      const recent = this.#histories.get(id) ?? [];
      live = { model, session: model.session(recent), events: recent.length };
    }
    this.#touch(this.#live, id, live, this.#liveSessions, (dropped) => void dropped.session.dispose());
    const items = await live.session.append(events).recommend(options);
    live.events += events.length;
    const history = [...(this.#histories.get(id) ?? []), ...events].slice(-maxLen);
    this.#touch(this.#histories, id, history, this.#maxSessions);
    return { history, items };
  }

  /** Forget session `id`; false when there was none. */
  delete(id: string): boolean {
    const live = this.#live.get(id);
    if (live) void live.session.dispose();
    this.#live.delete(id);
    return this.#histories.delete(id);
  }

  /** Free every native session (the histories go too). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#live.values()].map((l) => l.session.dispose()));
    this.#live.clear();
    this.#histories.clear();
  }

  /** Make `key` the most recently used entry of `map`, dropping the least recently used past `limit`. */
  #touch<V>(map: Map<string, V>, key: string, value: V, limit: number, onDrop?: (value: V) => void): void {
    map.delete(key);
    map.set(key, value);
    while (map.size > limit) {
      const [oldest, dropped] = map.entries().next().value!;
      map.delete(oldest);
      onDrop?.(dropped);
    }
  }
}
