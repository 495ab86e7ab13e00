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
    const maxLen = model.config.maxLen;
    let live = this.#live.get(id);
    if (live && (live.model !== model || live.session.history.length > 2 * maxLen)) {
      void live.session.dispose(); // another model's, or grown long: start again from the recent events
      live = undefined;
    }
    live ??= { model, session: model.session(this.#histories.get(id) ?? []) };
    this.#touch(this.#live, id, live, this.#liveSessions, (dropped) => void dropped.session.dispose());
    const items = await live.session.append(events).recommend(options);
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
