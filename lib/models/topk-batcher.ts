/**
 * Dynamic batching of concurrent recommend() calls on one model, as an inference server does it:
 * a call goes to the native top-K at once while fewer than `maxInFlight` native calls run; when they
 * are all busy, calls queue, and the next free slot takes every queued call with the same options
 * (k, excludeSeen, adapter; allow, deny and query only ever with identical ones) as one native call
 * over all their histories. No timer: a lone call never waits, and under load the batches grow
 * by themselves. Each caller gets its own rows back, exactly as if it had called alone.
 */
import type { AddonTopKRequest, AddonTopKResult } from '../native/raw.js';

interface Waiting {
  request: AddonTopKRequest;
  resolve: (result: AddonTopKResult) => void;
  reject: (error: unknown) => void;
}

export interface TopKBatcherOptions {
  /** native calls running at once (each uses the model's threads); Infinity never queues, so never merges. Default 2. */
  maxInFlight?: number;
  /** most histories in one native call. Default 256. */
  maxUsers?: number;
}

export class TopKBatcher {
  readonly #run: (request: AddonTopKRequest) => Promise<AddonTopKResult>;
  readonly #maxInFlight: number;
  readonly #maxUsers: number;
  readonly #queues = new Map<string, Waiting[]>(); // by options; Map order = arrival order of the first
  #inFlight = 0;

  constructor(run: (request: AddonTopKRequest) => Promise<AddonTopKResult>, options: TopKBatcherOptions = {}) {
    this.#run = run;
    this.#maxInFlight = options.maxInFlight ?? 2;
    this.#maxUsers = options.maxUsers ?? 256;
  }

  submit(request: AddonTopKRequest): Promise<AddonTopKResult> {
    return new Promise((resolve, reject) => {
      const waiting = { request, resolve, reject };
      if (this.#queues.size === 0 && this.#inFlight < this.#maxInFlight) {
        this.#start([waiting]); // a free slot and nobody waiting: no batch to join (on CPU, always)
        return;
      }
      const list = request.list;
      const key = [
        list.k,
        list.excludeSeen,
        list.adapter,
        list.scoring,
        list.allow.join(','),
        list.deny.join(','),
        list.query.join(','),
        list.queryWeight,
      ].join('|');
      const queue = this.#queues.get(key) ?? [];
      queue.push(waiting);
      this.#queues.set(key, queue);
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queues.size > 0) {
      const [key, queue] = this.#queues.entries().next().value!;
      const batch: Waiting[] = [];
      let users = 0;
      while (queue.length > 0 && (batch.length === 0 || users + queue[0]!.request.offsets.length - 1 <= this.#maxUsers)) {
        const w = queue.shift()!;
        users += w.request.offsets.length - 1;
        batch.push(w);
      }
      if (queue.length === 0) this.#queues.delete(key);
      this.#start(batch);
    }
  }

  #start(batch: Waiting[]): void {
    this.#inFlight++;
    this.#dispatch(batch).finally(() => {
      this.#inFlight--;
      this.#pump();
    });
  }

  async #dispatch(batch: Waiting[]): Promise<void> {
    try {
      if (batch.length === 1) {
        batch[0]!.resolve(await this.#run(batch[0]!.request));
        return;
      }
      const merged = mergeRequests(batch.map((w) => w.request));
      const result = await this.#run(merged);
      let user = 0;
      for (const w of batch) {
        const n = w.request.offsets.length - 1;
        const rows = (a: Int32Array | Float32Array) => a.slice(user * result.k, (user + n) * result.k);
        w.resolve({ k: result.k, items: rows(result.items) as Int32Array, scores: rows(result.scores) as Float32Array });
        user += n;
      }
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
  }
}

/** One request over the histories of `requests` (same options), in order. */
function mergeRequests(requests: AddonTopKRequest[]): AddonTopKRequest {
  const users = requests.reduce((n, r) => n + r.offsets.length - 1, 0);
  const events = requests.reduce((n, r) => n + r.items.length, 0);
  const offsets = new Int32Array(users + 1);
  const items = new Int32Array(events);
  let u = 0;
  let e = 0;
  for (const r of requests) {
    for (let i = 1; i < r.offsets.length; i++) offsets[++u] = e + r.offsets[i]!;
    items.set(r.items, e);
    e += r.items.length;
  }
  return { ...requests[0]!, offsets, items };
}
