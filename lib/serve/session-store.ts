/**
 * The server's sessions: every session's recent events (the last maxLen, which is all the model
 * reads), least recently used dropped past `maxSessions`; and a native Session (model.session())
 * for the `liveSessions` most recently used ones, so an event costs one position on a start-anchored
 * model. A session dropped from the live set, or made under a model since reloaded, is rebuilt from
 * its events on its next event: one pass over at most maxLen events.
 *
 * Requests are answered in batches, as an inference server's dynamic batcher does it, with no timer:
 * the requests read in one turn of the event loop, and those that arrive while a batch is in the
 * model, go together in the next batch, one model.recommendSessions() call per model, list options
 * and 16 sessions (the sessions' steps together, one scoring pass). A lone request waits only for the
 * end of its turn; under load batches grow by themselves. A session appears once per batch: its next
 * request waits for the next batch, so each answer follows its own events.
 *
 * Where the batch runs: a batch of one-position steps smaller than 16 runs in the call itself, the
 * quickest answer while the server has time to spare; a full batch means requests are piling up, and
 * it runs off the JS thread, which meanwhile reads the next requests and writes answers: the JS
 * thread is what a loaded server runs out of, and the steps were about a quarter of its time.
 */
import type { RecommendOptions, Recommendation } from '../models/inference.js';
import type { SequentialRecommender } from '../models/recommender.js';
import type { Session } from '../models/session.js';
import { shortestScores } from './json-scores.js';

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

interface Batch {
  model: SequentialRecommender;
  waiting: Waiting[];
  sessions: Session[];
}

/**
 * Sessions per model call: up to 16 one-position steps can run in the call itself (model.recommendSessions(), a
 * fraction of a millisecond; the bound is Session::quickAll's in native/model/session.cpp), where for a lone request
 * a hop to a pool thread and back would cost more than the steps.
 */
const BATCH = 16;

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
      const allowDeny = allow === undefined && deny === undefined ? '' : JSON.stringify([allow, deny]); // (most requests have neither)
      const key = `${k} ${excludeSeen} ${explain} ${scoring} ${allowDeny} ${adapter}`; // (the one free-form string last: no two keys alike)
      this.#waiting.push({ model, id, events, options, key, resolve, reject });
      if (this.#inModel === 0) this.#flushAfterIo();
    });
  }

  /** Flush once the requests already read (this turn's I/O) have joined the waiting ones. */
  #flushAfterIo(): void {
    if (this.#flushSoon) return;
    this.#flushSoon = true;
    setImmediate(() => {
      this.#flushSoon = false;
      this.#flush();
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

  /**
   * Send the next batch to the model: the oldest waiting request and those after it with the same model and list
   * options, one per session, at most BATCH; the rest wait for the next flush, after this batch's answers are
   * written and the requests read meanwhile have joined them.
   */
  #flush(): void {
    if (this.#inModel > 0) return;
    let batch: Batch | undefined;
    const later: Waiting[] = [];
    const taken = new Set<string>();
    for (const w of this.#waiting) {
      if (batch && (batch.sessions.length === BATCH || w.model !== batch.model || w.key !== batch.waiting[0]!.key || taken.has(w.id))) {
        later.push(w); // another batch's, or this session's earlier request is in this one
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
      batch ??= { model: w.model, waiting: [], sessions: [] };
      batch.waiting.push(w);
      batch.sessions.push(session);
    }
    this.#waiting = later;
    if (batch) void this.#answer(batch.model, batch.waiting, batch.sessions);
    this.#dropOldest(this.#live, this.#liveSessions, (dropped) => void dropped.session.dispose()); // after the call has taken its sessions
  }

  async #answer(model: SequentialRecommender, waiting: Waiting[], sessions: Session[]): Promise<void> {
    this.#inModel++;
    let lists: Recommendation[][];
    try {
      const offThread = sessions.length === BATCH; // a full batch: the requests are piling up
      lists = shortestScores(await model.recommendSessions(sessions, { ...waiting[0]!.options, offThread })); // (the answers go out as JSON)
    } catch (error) {
      for (const w of waiting) w.reject(error);
      return;
    } finally {
      if (--this.#inModel === 0) this.#flushAfterIo();
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
