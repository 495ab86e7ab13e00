/**
 * The server's sessions: every session's recent events (the last maxLen, which is all the model
 * reads), least recently used dropped past `maxSessions`; and a native Session (model.session())
 * for the `liveSessions` most recently used ones, so an event costs one position on a start-anchored
 * model. A session dropped from the live set, or made under a model since reloaded, is rebuilt from
 * its events on its next event: one pass over at most maxLen events.
 *
 * Requests are answered in batches, as an inference server's dynamic batcher does it, with no timer:
 * the requests read in one turn of the event loop, and those that arrive while a batch is in the
 * model, go together in the next batch, one model.recommendSessions() call per model and list
 * options (each session's step back to back, one scoring pass, off the JS thread). A lone request
 * waits only for the end of its turn; under load batches grow by themselves. A session appears once
 * per batch: its next request waits for the next batch, so each answer follows its own events.
 */
import type { RecommendOptions, Recommendation } from '../models/inference.js';
import type { SequentialRecommender } from '../models/recommender.js';
import type { Session } from '../models/session.js';

interface Live {
  model: SequentialRecommender;
  session: Session;
  events: number; // the session's events so far
}

interface Waiting {
  model: SequentialRecommender;
  id: string;
  events: number[];
  options: RecommendOptions;
  key: string; // the list options, as one batch must share them
  resolve: (answer: { events: number; items: Recommendation[] }) => void;
  reject: (error: unknown) => void;
}

export class SessionStore {
  readonly #maxSessions: number;
  readonly #liveSessions: number;
  readonly #histories = new Map<string, number[]>(); // Map order = least recently used first; up to 2·maxLen events each
  readonly #live = new Map<string, Live>();
  #waiting: Waiting[] = [];
  #inModel = 0; // batches being answered
  #flushSoon = false; // a flush is due at the end of this turn

  constructor(maxSessions: number, liveSessions: number) {
    this.#maxSessions = maxSessions;
    this.#liveSessions = liveSessions;
  }

  get size(): number {
    return this.#histories.size;
  }

  /** The session's last maxLen events, oldest first. */
  history(id: string, maxLen: number): number[] | undefined {
    return this.#histories.get(id)?.slice(-maxLen);
  }

  /**
   * Append `events` (dense ids) to session `id`, then its list: the events it keeps (at most maxLen) and the items.
   * Events the model refuses reject this request alone, and the session keeps none of them.
   */
  events(model: SequentialRecommender, id: string, events: number[], options: RecommendOptions): Promise<{ events: number; items: Recommendation[] }> {
    return new Promise((resolve, reject) => {
      const { k, excludeSeen, allow, deny, adapter, explain, scoring } = options;
      const key = JSON.stringify([k, excludeSeen, allow, deny, adapter, explain, scoring]);
      this.#waiting.push({ model, id, events, options, key, resolve, reject });
      if (this.#inModel === 0 && !this.#flushSoon) {
        this.#flushSoon = true;
        setImmediate(() => {
          this.#flushSoon = false;
          this.#flush();
        });
      }
    });
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

  /** Send every waiting request whose session is not already in a batch: one model call per model and options. */
  #flush(): void {
    if (this.#inModel > 0 || this.#waiting.length === 0) return;
    const batches = new Map<SequentialRecommender, Map<string, { waiting: Waiting[]; sessions: Session[] }>>();
    const taken = new Set<string>();
    const later: Waiting[] = [];
    for (const w of this.#waiting) {
      if (taken.has(w.id)) {
        later.push(w); // this session's earlier request is in this batch
        continue;
      }
      let session: Session;
      try {
        session = this.#liveSession(w.model, w.id).append(w.events); // checks the events before the session keeps them
      } catch (error) {
        w.reject(error);
        continue;
      }
      taken.add(w.id);
      const byOptions = batches.get(w.model) ?? new Map<string, { waiting: Waiting[]; sessions: Session[] }>();
      batches.set(w.model, byOptions);
      const batch = byOptions.get(w.key) ?? { waiting: [], sessions: [] };
      byOptions.set(w.key, batch);
      batch.waiting.push(w);
      batch.sessions.push(session);
    }
    this.#waiting = later;
    for (const [model, byOptions] of batches) for (const { waiting, sessions } of byOptions.values()) void this.#answer(model, waiting, sessions);
    this.#dropOldest(this.#live, this.#liveSessions, (dropped) => void dropped.session.dispose()); // after the calls have taken their sessions
    if (this.#inModel === 0) this.#flush(); // every request was refused: the deferred ones go now
  }

  async #answer(model: SequentialRecommender, waiting: Waiting[], sessions: Session[]): Promise<void> {
    this.#inModel++;
    let lists: Recommendation[][];
    try {
      lists = await model.recommendSessions(sessions, waiting[0]!.options);
    } catch (error) {
      for (const w of waiting) w.reject(error);
      return;
    } finally {
      if (--this.#inModel === 0) this.#flush(); // the next batch goes to the model before this one's answers are written
    }
    const maxLen = model.config.maxLen;
    waiting.forEach((w, i) => {
      const live = this.#live.get(w.id);
      if (live && live.session === sessions[i]) live.events += w.events.length; // (unless dropped from the live set meanwhile)
      const history = this.#histories.get(w.id) ?? [];
      history.push(...w.events);
      if (history.length > 2 * maxLen) history.splice(0, history.length - maxLen);
      this.#touch(this.#histories, w.id, history);
      w.resolve({ events: Math.min(history.length, maxLen), items: lists[i]! });
    });
    this.#dropOldest(this.#histories, this.#maxSessions);
  }

  /** Session `id`'s native session under `model`, made (from its recent events) when it has none or has grown long. */
  #liveSession(model: SequentialRecommender, id: string): Session {
    const maxLen = model.config.maxLen;
    let live = this.#live.get(id);
    if (live && (live.model !== model || live.events > 2 * maxLen)) {
      void live.session.dispose(); // another model's, or grown long: start again from the recent events
      live = undefined;
    }
    if (!live) {
      const recent = this.#histories.get(id)?.slice(-maxLen) ?? [];
      live = { model, session: model.session(recent), events: recent.length };
    }
    this.#touch(this.#live, id, live);
    return live.session;
  }

  /** Drop the least recently used entries of `map` past `limit` (a native session in a call in flight outlives its entry). */
  #dropOldest<V>(map: Map<string, V>, limit: number, onDrop?: (value: V) => void): void {
    while (map.size > limit) {
      const [oldest, dropped] = map.entries().next().value!;
      map.delete(oldest);
      onDrop?.(dropped);
    }
  }

  /** Make `key` the most recently used entry of `map`. */
  #touch<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
  }
}
