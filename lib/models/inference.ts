/**
 * recommend() and explain() over a model's core: options checked and turned into one native call
 * each. Lists come from the native top-K, where seen items, `deny` and everything outside `allow`
 * are excluded before the selection (a list is never short because a filter ran after it).
 * Explanations are leave-one-out occlusion, exact for the model: the contribution of history event
 * i to item j's score is score(history, j) − score(history without event i, j), every variant
 * scored in one batched native call (scoreItems).
 */
import { SeqrecError, callNative } from '../errors.js';
import type { AddonListRequest } from '../native/raw.js';
import type { TextVectors } from '../text/hashing-encoder.js';
import { abortSignal, boolean, integer, invalid, noUnknownKeys, number, oneOf, optionsObject } from '../validate.js';
import type { ModelCore } from './core.js';
import { type Reranker, type RerankOptions, calibrated, checkRerank, fairFloor, mmr } from './rerank.js';
import { type ExploreOptions, type Explorer, checkExplore, explore } from './explore.js';

export interface RecommendOptions {
  /** (int) list length. Default 10. */
  k?: number;
  /** (bool) leave out items already in the history. Default true. */
  excludeSeen?: boolean;
  /** (int[]) the only items that may be recommended (dense ids 1..V), e.g. what is in stock. Default: any. */
  allow?: ArrayLike<number>;
  /** (int[]) items never recommended (dense ids 1..V). */
  deny?: ArrayLike<number>;
  /**
   * ((item, id) => boolean) keep only items the predicate accepts, e.g. `(i, id) => genres.get(id) === 'Drama'` over
   * the item metadata you hold. Evaluated once per item and function (a WeakMap remembers the result for a function
   * used again) and applied inside the native top-K with allow / deny, so a list is never short because of it.
   */
  filter?: (item: number, id: string | undefined) => boolean;
  /** (str | null) LoRA adapter to score with: one loaded base serves many adapters, per call. Default: the applied one. */
  adapter?: string | null;
  /** (bool) give each recommendation `because`: the history events that drove it (see explain). Default false. */
  explain?: boolean;
  /**
   * (str | float[]) steer the lists in words: the query's text vector, projected into the model's space by the
   * model's own text projection (models with textDim), is added to each user state, so items whose text
   * matches rise, those with no interactions included. A string needs `textEncoder` (the encoder of the
   * item texts); a vector (textDim values) is used as it is.
   */
  query?: string | ArrayLike<number>;
  /** encodes a string query: the HashingTextEncoder or BertTextEncoder that made the model's item text */
  textEncoder?: { encode(texts: string[]): TextVectors | Promise<TextVectors> };
  /** (float >= 0) how much the query counts against the history: the projected query, scaled to weight × the user state's length, is added to it (1 = as much as the history). Default 1. */
  queryWeight?: number;
  /**
   * (str) how items are scored: 'fp32' exactly; 'int8' (CPU) or 'bf16' propose candidates (4k, at least k + 64) from a
   * reduced-precision copy of the item table, built once per weights, and their exact fp32 scores decide the list,
   * so it differs from the exact one only when a true top item misses the candidates (on ML-1M: 100% of top-10
   * lists identical, benchmarks/recommend-latency.mjs). Pays off on large catalogues. Default 'fp32'.
   */
  scoring?: 'fp32' | 'bf16' | 'int8';
  /**
   * (str) 'fp32' (default) or 'bf16': the transformer forward under bf16 autocast (on CPUs with AMX, oneDNN's bf16
   * matmuls; on CUDA, tensor cores); the list's scores stay fp32 against the item table. Measured at the ML-1M shape
   * on a 2-core Sapphire Rapids (benchmarks/many-users.mjs): 256 users 1.58× faster than fp32, 99.8% of top-10 slots
   * as fp32. Not for sessions (their one-position steps are fp32).
   */
  compute?: 'fp32' | 'bf16';
  /** (AbortSignal) rejects the call with E_ABORTED; the model is untouched (the native work, a millisecond or so, finishes unseen) */
  signal?: AbortSignal;
  /**
   * Re-rank the model's top max(50, 5k) (filters applied) into the k shown: `{ method: 'mmr', lambda }` for diversity,
   * `{ method: 'calibrated', lambda, categories: (item, id) => string[] }` to match the history's category mix,
   * `{ method: 'fair', group: (item, id) => boolean, share }` for an exposure floor of an item group (./rerank.ts).
   */
  rerank?: RerankOptions;
  /**
   * Explore: `{ policy: 'epsilon-greedy', epsilon }` or `{ policy: 'softmax', temperature }`, drawn from the model's top
   * `pool` (default max(50, 5k)), optionally `seed`ed; each item then carries its `propensity` for off-policy
   * evaluation (./explore.ts). Applied after `rerank`, when both are given.
   */
  explore?: ExploreOptions;
}

export interface Recommendation {
  /** dense item id (1..V) */
  item: number;
  /** the item's id in the training data's vocabulary, when the model was fit on a Dataset with itemIds */
  id?: string;
  /** model score (higher is better) */
  score: number;
  /** with options.explain: the history events by contribution to this score, largest first */
  because?: Contribution[];
  /** with options.explore: the probability the policy placed this item in this slot, given the slots before */
  propensity?: number;
}

export interface Contribution {
  /** index of the event in the history (0 = oldest) */
  position: number;
  /** its dense item id */
  item: number;
  /** its id in the training data's vocabulary, when known */
  id?: string;
  /** score(history) − score(history without this event): how much the event raised the item's score */
  contribution: number;
}

export const KEYS = [
  'k',
  'excludeSeen',
  'allow',
  'deny',
  'filter',
  'adapter',
  'explain',
  'query',
  'textEncoder',
  'queryWeight',
  'scoring',
  'compute',
  'signal',
  'rerank',
  'explore',
] as const;

/** The items each filter function accepted, per model (item ids differ between models) and catalogue size (it can grow). */
const accepted = new WeakMap<ModelCore, WeakMap<object, { V: number; kept: Int32Array }>>();

/**
 * The allow list of `allow` ∩ the items `filter` accepts (empty = every item), or null when that is no item at all
 * (an empty allow list would mean every item).
 */
function allowList(core: ModelCore, allow: unknown, filter: unknown): Int32Array | null {
  const V = core.config.items;
  const listed = allow === undefined ? undefined : itemList('options.allow', allow, V);
  if (filter === undefined) return listed ?? new Int32Array(0);
  if (typeof filter !== 'function') throw invalid('options.filter', 'a function (item, id) => boolean', filter);
  const byFunction = accepted.get(core) ?? new WeakMap<object, { V: number; kept: Int32Array }>();
  accepted.set(core, byFunction);
  let kept = byFunction.get(filter)?.V === V ? byFunction.get(filter)!.kept : undefined;
  if (!kept) {
    const ids = core.itemIds;
    const out: number[] = [];
    for (let item = 1; item <= V; item++) if ((filter as (item: number, id: string | undefined) => unknown)(item, ids?.[item])) out.push(item);
    kept = Int32Array.from(out);
    byFunction.set(filter, { V, kept });
  }
  const keptSet = listed && new Set(kept); // a Set: allow lists and catalogues can both be 100k items
  const both = listed ? listed.filter((item) => keptSet!.has(item)) : kept;
  return both.length > 0 ? both : null;
}

/** One history (an array of numbers) or several (an array of arrays). */
export function isBatch(value: unknown): value is ArrayLike<number>[] {
  return Array.isArray(value) && value.length > 0 && typeof value[0] !== 'number';
}

export function itemList(name: string, value: unknown, numItems: number): Int32Array {
  if (value === null || typeof value !== 'object' || typeof (value as ArrayLike<number>).length !== 'number')
    throw invalid(name, 'an array of item ids', value);
  const list = value as ArrayLike<unknown>;
  const items = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    // the item's name is built only for the error: a 200-event history would otherwise cost 200 strings
    if (!Number.isInteger(item) || (item as number) < 1 || (item as number) > numItems) integer(`${name}[${i}]`, item, 1, numItems);
    items[i] = item as number;
  }
  return items;
}

/** One history as dense ids 1..V, every item checked (E_INVALID_OPTION naming history[i]). */
export function checkedHistory(history: unknown, numItems: number): Int32Array {
  return itemList('history', history, numItems);
}

/** Histories as CSR arrays, every item checked. */
function histories(name: string, lists: ArrayLike<number>[], numItems: number): { offsets: Int32Array; items: Int32Array } {
  return csr(lists.map((h, u) => itemList(lists.length === 1 ? name : `${name}[${u}]`, h, numItems)));
}

/** Lists of (already checked) item ids as the CSR arrays native calls take. */
export function csr(lists: ArrayLike<number>[]): { offsets: Int32Array; items: Int32Array } {
  const offsets = new Int32Array(lists.length + 1);
  lists.forEach((h, u) => (offsets[u + 1] = offsets[u]! + h.length));
  const items = new Int32Array(offsets[lists.length]!);
  lists.forEach((h, u) => items.set(h, offsets[u]!));
  return { offsets, items };
}

/** A list request that filters nothing but (with excludeSeen) the history: no allow or deny list, no query, exact scores. */
export function plainList(k: number, excludeSeen: boolean, adapter: string): AddonListRequest {
  return {
    k,
    excludeSeen,
    allow: new Int32Array(0),
    deny: new Int32Array(0),
    query: new Float32Array(0),
    queryWeight: 0,
    adapter,
    scoring: 'fp32',
    compute: 'fp32',
  };
}

/** The query as a text vector of the model's textDim (empty without a query); a Promise only when the encoder is asynchronous. */
function queryVector(o: RecommendOptions, textDim: number): Float32Array | Promise<Float32Array> {
  if (o.query === undefined) return new Float32Array(0);
  if (textDim === 0)
    throw new SeqrecError('E_INVALID_OPTION', 'options.query needs a model with item text (create it with options.textDim)', { option: 'options.query' });
  const check = (vector: ArrayLike<number>): Float32Array => {
    if (typeof vector !== 'object' || vector === null || vector.length !== textDim)
      throw invalid('options.query', `a string or ${textDim} numbers (the model's textDim)`, o.query);
    return Float32Array.from(vector);
  };
  if (typeof o.query !== 'string') return check(o.query);
  if (!o.textEncoder || typeof o.textEncoder.encode !== 'function')
    throw invalid('options.textEncoder', 'the text encoder of the item texts (to encode options.query)', o.textEncoder);
  const encoded = o.textEncoder.encode([o.query]);
  return encoded instanceof Promise ? encoded.then((v) => check(v.data)) : check(encoded.data);
}

export interface PreparedList {
  list: AddonListRequest;
  explain: boolean;
  signal: AbortSignal | undefined;
  /** with a re-ranker, list.k is its candidate count and `k` the length it keeps */
  rerank: { reranker: Reranker; k: number } | undefined;
  /** with exploration, the policy and the length shown (list.k is its pool, or the re-ranker's) */
  explore: { explorer: Explorer; k: number } | undefined;
}

/**
 * The options of recommend() (and a session's) that shape its lists, checked: the native list request and the rest.
 * Synchronous unless a string query needs an asynchronous encoder (BERT): recommend() then reaches the native model
 * in the caller's tick, so a dispose() right after it still waits for the call.
 */
export function listRequest(core: ModelCore, options: unknown, keys: readonly string[] = KEYS): PreparedList | Promise<PreparedList> {
  const o = optionsObject('options', options) as RecommendOptions;
  noUnknownKeys('options', o, keys);
  const V = core.config.items;
  const signal = o.signal === undefined ? undefined : abortSignal('options.signal', o.signal);
  const list: Omit<AddonListRequest, 'query'> = {
    k: integer('options.k', o.k ?? 10, 1, V),
    excludeSeen: boolean('options.excludeSeen', o.excludeSeen ?? true),
    allow: new Int32Array(0),
    deny: o.deny === undefined ? new Int32Array(0) : itemList('options.deny', o.deny, V),
    queryWeight: number('options.queryWeight', o.queryWeight ?? 1, 0, 1e6),
    adapter: core.adapters.resolve('options.adapter', o.adapter),
    scoring: oneOf('options.scoring', o.scoring ?? 'fp32', ['fp32', 'bf16', 'int8'] as const),
    compute: oneOf('options.compute', o.compute ?? 'fp32', ['fp32', 'bf16'] as const),
  };
  let rerank: PreparedList['rerank'];
  let exploring: PreparedList['explore'];
  if (o.explore !== undefined) {
    const explorer = checkExplore(o.explore);
    exploring = { explorer, k: list.k };
    list.k = explorer.pool(list.k, V); // the re-ranker, if any, keeps the whole pool in its order
  }
  if (o.rerank !== undefined) {
    const reranker = checkRerank(o.rerank);
    rerank = { reranker, k: list.k };
    list.k = Math.max(list.k, reranker.candidates(list.k, V));
  }
  const allow = allowList(core, o.allow, o.filter);
  if (allow) list.allow = allow;
  else [list.allow, list.deny] = [Int32Array.of(1), Int32Array.of(1)]; // no item admitted: item 1 both allowed and denied leaves none
  const explain = boolean('options.explain', o.explain ?? false);
  const query = queryVector(o, core.config.textDim);
  return query instanceof Promise
    ? query.then((q) => ({ list: { ...list, query: q }, explain, signal, rerank, explore: exploring }))
    : { list: { ...list, query }, explain, signal, rerank, explore: exploring };
}

/**
 * `work`, or E_ABORTED as soon as `signal` fires. The native call is not interrupted (a top-K is a
 * millisecond or so of read-only work); its result is dropped, so the model is never touched.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return work;
  const aborted = () => new SeqrecError('E_ABORTED', `${what} was aborted`);
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(aborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The native top-K result as lists of recommendations, one per history. */
export function toLists(core: ModelCore, result: { k: number; items: Int32Array; scores: Float32Array }, users: number): Recommendation[][] {
  const ids = core.itemIds;
  return Array.from({ length: users }, (_, u) => {
    const list: Recommendation[] = [];
    for (let j = u * result.k; j < (u + 1) * result.k; j++) {
      const item = result.items[j]!;
      if (item > 0) list.push(ids ? { item, score: result.scores[j]!, id: ids[item] } : { item, score: result.scores[j]! }); // (literals, not a spread: V8's fast path)
    }
    return list;
  });
}

/** Each user's candidates re-ranked into the list shown (./rerank.ts). */
export async function reranked(
  core: ModelCore,
  { reranker, k }: NonNullable<PreparedList['rerank']>,
  lists: Recommendation[][],
  histories: Int32Array[],
): Promise<Recommendation[][]> {
  const o = reranker.options;
  const ids = core.itemIds;
  return Promise.all(
    lists.map(async (list, u) => {
      if (o.method === 'fair') return fairFloor(list, k, o.group, o.share);
      if (o.method === 'calibrated') {
        const history = Array.from(histories[u]!, (item) => ({ item, ...(ids && { id: ids[item] }) }));
        return calibrated(list, history, k, o.lambda ?? 0.5, o.categories);
      }
      const vectors =
        list.length > 0
          ? await itemStates(
              core,
              list.map((r) => r.item),
            )
          : new Float32Array(0);
      return mmr(list, vectors, k, o.lambda ?? 0.7);
    }),
  );
}

/** Fill each recommendation's `because` (explain) for the histories the lists were made from. */
export async function addExplanations(core: ModelCore, histories: Int32Array[], lists: Recommendation[][], adapter: string): Promise<void> {
  for (let u = 0; u < histories.length; u++) {
    const because = await contributions(
      core,
      histories[u]!,
      Int32Array.from(lists[u]!, (r) => r.item),
      adapter,
    );
    lists[u]!.forEach((r, j) => (r.because = because[j]!));
  }
}

/** Top-k lists for `lists`, as recommend() returns them. */
export async function recommendLists(core: ModelCore, lists: ArrayLike<number>[], options: unknown): Promise<Recommendation[][]> {
  const prepared = listRequest(core, options);
  const { offsets, items } = histories('history', lists, core.config.items);
  const { list, explain, signal, rerank, explore: exploring } = prepared instanceof Promise ? await prepared : prepared;
  const result = await abortable(core.topK({ offsets, items, batchSize: 64, list }), signal, 'recommend()');
  let out = toLists(core, result, lists.length);
  if (rerank) {
    const each = Array.from(lists, (_, u) => items.subarray(offsets[u]!, offsets[u + 1]!));
    out = await abortable(reranked(core, rerank, out, each), signal, 'recommend()');
  }
  if (exploring) out = out.map((l) => explore(l, exploring.k, exploring.explorer));
  if (explain) {
    const each = Array.from(lists, (_, u) => items.subarray(offsets[u]!, offsets[u + 1]!));
    await abortable(addExplanations(core, each, out, list.adapter), signal, 'recommend()');
  }
  return out;
}

/** `histories` (checked) as CSR arrays and the adapter of `options` ({ adapter }), for calls over many histories. */
export function historiesRequest(core: ModelCore, lists: ArrayLike<number>[], options: unknown): { offsets: Int32Array; items: Int32Array; adapter: string } {
  const o = optionsObject('options', options) as { adapter?: string | null };
  noUnknownKeys('options', o, ['adapter']);
  if (!Array.isArray(lists)) throw invalid('histories', 'an array of histories (arrays of item ids)', lists);
  const adapter = core.adapters.resolve('options.adapter', o.adapter);
  return { ...histories('histories', lists, core.config.items), adapter };
}

/** (n·d) the state each history ends in, row-major (model.userStates). */
export async function userStates(core: ModelCore, lists: ArrayLike<number>[], options: unknown): Promise<Float32Array> {
  const { offsets, items, adapter } = historiesRequest(core, lists, options);
  const native = core.native();
  return core.track(callNative(() => native.hidden({ offsets, items, batchSize: 64, adapter })));
}

/** (n·d) the rows item scores are dot products with, for `items` (default all, 1..V), row-major (model.itemStates). */
export async function itemStates(core: ModelCore, items: unknown): Promise<Float32Array> {
  const V = core.config.items;
  const ids = items === undefined ? Int32Array.from({ length: V }, (_, i) => i + 1) : itemList('items', items, V);
  const native = core.native();
  return core.track(callNative(() => native.scoreRows(ids)));
}

/** explain(history, item): the contribution of every history event to the item's score. */
export async function explainItem(core: ModelCore, history: ArrayLike<number>, item: unknown, options: unknown): Promise<Contribution[]> {
  const o = optionsObject('options', options) as { adapter?: string | null };
  noUnknownKeys('options', o, ['adapter']);
  const V = core.config.items;
  const target = integer('item', item, 1, V);
  const adapter = core.adapters.resolve('options.adapter', o.adapter);
  const [because] = await contributions(core, itemList('history', history, V), Int32Array.of(target), adapter);
  return because!;
}

/**
 * For each of `targets` (c), the contribution of each event of `history` (n) to its score, largest
 * first: the n + 1 histories (whole, then without event i) × c targets scored in one native call.
 */
async function contributions(core: ModelCore, history: Int32Array, targets: Int32Array, adapter: string): Promise<Contribution[][]> {
  const n = history.length;
  const c = targets.length;
  if (n === 0 || c === 0) return Array.from({ length: c }, () => []);
  const { offsets, items } = csr([history, ...Array.from(history, (_, i) => [...history.subarray(0, i), ...history.subarray(i + 1)])]);
  const candidates = new Int32Array((n + 1) * c);
  for (let u = 0; u <= n; u++) candidates.set(targets, u * c);
  const native = core.native();
  const scores = await core.track(callNative(() => native.scoreItems({ offsets, items, candidates, batchSize: 64, adapter })));
  const ids = core.itemIds;
  return Array.from(targets, (_, j) =>
    Array.from(history, (item, i) => ({ position: i, item, ...(ids && { id: ids[item] }), contribution: scores[j]! - scores[(i + 1) * c + j]! })).sort(
      (a, b) => b.contribution - a.contribution,
    ),
  );
}
