/**
 * Beyond-accuracy ("long-term effect") metrics over top-K lists: catalogue coverage, Gini and entropy of
 * item exposure, novelty, intra-list diversity and popularity lift. Pure functions of the lists and item
 * statistics; accuracy over ranks lives in ./metrics.ts, per-group comparison in ./fairness.ts.
 * metric@k reads the first k columns of each row; 0 marks an empty slot (a user with fewer unseen items
 * than the width) and is skipped everywhere. Metrics that average over recommended items throw when there are none.
 */
import type { EvalSet } from '../data/dataset.js';
import { SeqrecError } from '../errors.js';
import { integer } from '../validate.js';
import { checkEvalSet } from './eval-set.js';

/** Top-K lists of n evaluated users, e.g. from `popularityLists`, `randomLists` or a model's recommend(). */
export interface TopKLists {
  /** (n, width) row-major dense item ids 1..numItems, 0 = empty slot; row e is evaluated user e. */
  lists: Int32Array;
  /** (int) columns per row, the K the lists were cut at; metrics@k need k <= width. */
  width: number;
  /** (int) catalogue size V; ids 1..V. */
  numItems: number;
}

/** (numItems+1) how often each item appears in the first k columns; [0] is 0 (empty slots are not exposure). */
export function exposureCounts(top: TopKLists, k = top.width): Int32Array {
  const rows = checkLists(top, k);
  const counts = new Int32Array(top.numItems + 1);
  forEachRow(top, rows, k, (row) => row.forEach((i) => counts[i]!++));
  return counts;
}

/** Catalogue coverage@k, in [0, 1]: share of the V catalogue items that appear in at least one list (Recommenders' catalog_coverage). */
export function coverage(top: TopKLists, k = top.width): number {
  const x = exposureCounts(top, k);
  let covered = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > 0) covered++;
  return covered / top.numItems;
}

/**
 * Gini coefficient of exposure@k over ALL V catalogue items, zero-exposure items included (RecBole's GiniIndex):
 * with x_(1) <= … <= x_(V) sorted ascending, G = Σ_{j=1..V} (2j − V − 1)·x_(j) / (V·Σx).
 * Range [0, (V−1)/V]: 0 when every item is shown equally often, (V−1)/V when one item takes all exposure.
 */
export function giniExposure(top: TopKLists, k = top.width): number {
  const x = exposureCounts(top, k).slice(1).sort(); // (V) ascending
  const total = nonEmptyTotal(x);
  const V = x.length;
  let acc = 0;
  for (let j = 1; j <= V; j++) acc += (2 * j - V - 1) * x[j - 1]!;
  return acc / (V * total);
}

/**
 * Shannon entropy of exposure@k in bits, in [0, log2 V]: H = −Σ p_i log2 p_i with p_i = x_i / Σx
 * (Recommenders' distributional_coverage). Not normalised: divide by log2(V) for [0, 1].
 */
export function exposureEntropy(top: TopKLists, k = top.width): number {
  const x = exposureCounts(top, k);
  const total = nonEmptyTotal(x);
  let h = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > 0) h -= (x[i]! / total) * Math.log2(x[i]! / total);
  return h;
}

/**
 * Novelty@k, in (0, log2(N+V)]: mean self-information −log2 p_i over all recommended (non-empty) slots, with
 * p_i = (c_i + 1) / (N + V) the add-one-smoothed share of train INTERACTIONS (c = trainCounts, N = Σc),
 * so unseen-in-train items stay finite (Zhou et al. 2010, with interactions instead of users so p sums to 1).
 */
export function novelty(top: TopKLists, trainCounts: Int32Array, k = top.width): number {
  const x = exposureCounts(top, k);
  checkCounts(trainCounts, top.numItems);
  const total = nonEmptyTotal(x);
  let N = 0;
  for (let i = 1; i < trainCounts.length; i++) N += trainCounts[i]!;
  let sum = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > 0) sum -= x[i]! * Math.log2((trainCounts[i]! + 1) / (N + top.numItems));
  return sum / total;
}

/**
 * Genre intra-list diversity@k, in [0, 1]: per list, the mean over item pairs of the Jaccard distance
 * 1 − |G_a ∩ G_b| / |G_a ∪ G_b| (two empty genre sets count as identical, distance 0), then the mean
 * over lists with >= 2 items (Ziegler et al. 2005's ILD with a genre distance). `itemGenres` is (V+1), [0] unused.
 */
export function genreDiversity(top: TopKLists, itemGenres: readonly (readonly string[])[], k = top.width): number {
  if (!Array.isArray(itemGenres) || itemGenres.length !== top.numItems + 1) {
    throw new SeqrecError('E_INVALID_DATA', `Expected itemGenres to be an array of numItems+1=${top.numItems + 1} genre lists`, { field: 'itemGenres' });
  }
  const sets = new Map<number, Set<string>>();
  const genres = (i: number) => sets.get(i) ?? sets.set(i, new Set(itemGenres[i] ?? [])).get(i)!;
  return meanPairwise(top, k, (a, b) => {
    const ga = genres(a);
    const gb = genres(b);
    let inter = 0;
    for (const g of ga) if (gb.has(g)) inter++;
    const union = ga.size + gb.size - inter;
    return union === 0 ? 0 : 1 - inter / union;
  });
}

/**
 * Embedding intra-list diversity@k, in [0, 2]: as genreDiversity with the cosine distance 1 − cos(e_a, e_b);
 * a zero vector has cosine 0 with everything (distance 1). `itemEmbeddings` is (V+1, d) row-major, row 0 unused.
 */
export function embeddingDiversity(top: TopKLists, itemEmbeddings: Float32Array, k = top.width): number {
  const rows = top.numItems + 1;
  const d = itemEmbeddings instanceof Float32Array ? itemEmbeddings.length / rows : 0;
  if (!Number.isInteger(d) || d < 1) {
    throw new SeqrecError('E_INVALID_DATA', `Expected itemEmbeddings to be a Float32Array of (numItems+1=${rows}) × d values`, { field: 'itemEmbeddings' });
  }
  const norms = new Float64Array(rows); // (V+1)
  for (let p = 0; p < itemEmbeddings.length; p++) norms[Math.floor(p / d)]! += itemEmbeddings[p]! ** 2;
  return meanPairwise(top, k, (a, b) => {
    let dot = 0;
    for (let j = 0; j < d; j++) dot += itemEmbeddings[a * d + j]! * itemEmbeddings[b * d + j]!;
    const nn = Math.sqrt(norms[a]! * norms[b]!);
    return 1 - (nn === 0 ? 0 : dot / nn);
  });
}

export interface PopularityLift {
  /** GAP of the lists: mean over users of the mean train count of their recommended items. */
  recommended: number;
  /** GAP of the histories: mean over the same users of the mean train count of their history items. */
  history: number;
  /** recommended / history, in [0, ∞): 1 = as popular as what users consumed, > 1 amplifies popularity. */
  lift: number;
}

/**
 * Popularity bias@k as the ratio of group average popularity (Abdollahpouri et al. 2019, GAP; their ΔGAP = lift − 1),
 * popularity = train interaction count. Averages over users with a non-empty list and a non-empty history;
 * history items count with repeats. Row e of the lists must be user e of `evalSet`.
 */
export function popularityLift(top: TopKLists, trainCounts: Int32Array, evalSet: EvalSet, k = top.width): PopularityLift {
  const rows = checkLists(top, k);
  checkCounts(trainCounts, top.numItems);
  const { offsets, items, targets } = checkEvalSet('evalSet', evalSet);
  if (targets.length !== rows || evalSet.numItems !== top.numItems) {
    throw new SeqrecError('E_INVALID_DATA', `Expected an EvalSet of ${rows} users over ${top.numItems} items to match the lists`, { field: 'evalSet' });
  }
  let rec = 0;
  let hist = 0;
  let users = 0;
  forEachRow(top, rows, k, (row, e) => {
    const start = offsets[e]!;
    const end = offsets[e + 1]!;
    if (row.length === 0 || end === start) return;
    let h = 0;
    for (let p = start; p < end; p++) h += trainCounts[items[p]!] ?? 0;
    rec += row.reduce((s, i) => s + trainCounts[i]!, 0) / row.length;
    hist += h / (end - start);
    users++;
  });
  if (users === 0) throw new SeqrecError('E_INVALID_DATA', 'no user has both a non-empty list and a non-empty history', { field: 'lists' });
  if (hist === 0)
    throw new SeqrecError('E_INVALID_DATA', 'history popularity is 0 (no history item occurs in train): lift is undefined', { field: 'trainCounts' });
  return { recommended: rec / users, history: hist / users, lift: rec / hist };
}

/** Mean over lists with >= 2 items of the mean pairwise distance within the list's first k items. */
function meanPairwise(top: TopKLists, k: number, dist: (a: number, b: number) => number): number {
  const rows = checkLists(top, k);
  let sum = 0;
  let lists = 0;
  forEachRow(top, rows, k, (row) => {
    if (row.length < 2) return;
    let s = 0;
    for (let a = 0; a < row.length; a++) for (let b = a + 1; b < row.length; b++) s += dist(row[a]!, row[b]!);
    sum += s / ((row.length * (row.length - 1)) / 2);
    lists++;
  });
  if (lists === 0) throw new SeqrecError('E_INVALID_DATA', 'no list has two or more items: intra-list diversity is undefined', { field: 'lists' });
  return sum / lists;
}

/** Calls fn with the non-empty items of each row's first k columns. */
function forEachRow(top: TopKLists, rows: number, k: number, fn: (row: number[], e: number) => void): void {
  for (let e = 0; e < rows; e++) {
    const row: number[] = [];
    for (let c = 0; c < k; c++) {
      const i = top.lists[e * top.width + c]!;
      if (i !== 0) row.push(i);
    }
    fn(row, e);
  }
}

/** Validates the lists and k (1..width); returns the number of rows. */
function checkLists(top: TopKLists, k: number): number {
  if (top === null || typeof top !== 'object' || !(top.lists instanceof Int32Array)) {
    throw new SeqrecError('E_INVALID_DATA', 'Expected top-K lists as { lists: Int32Array, width, numItems }', { field: 'lists' });
  }
  const width = integer('width', top.width, 1);
  const V = integer('numItems', top.numItems, 1);
  integer('k', k, 1, width);
  if (top.lists.length % width !== 0) {
    throw new SeqrecError('E_INVALID_DATA', `Expected lists.length=${top.lists.length} to be a multiple of width=${width}`, { field: 'lists' });
  }
  for (let p = 0; p < top.lists.length; p++) {
    const i = top.lists[p]!;
    if (i < 0 || i > V) throw new SeqrecError('E_INVALID_DATA', `Expected lists[${p}] in 0..${V} but found ${i}`, { field: 'lists', index: p });
  }
  return top.lists.length / width;
}

function checkCounts(trainCounts: Int32Array, numItems: number): void {
  if (!(trainCounts instanceof Int32Array) || trainCounts.length !== numItems + 1) {
    throw new SeqrecError('E_INVALID_DATA', `Expected trainCounts to be an Int32Array of numItems+1=${numItems + 1} counts`, { field: 'trainCounts' });
  }
}

function nonEmptyTotal(x: Int32Array): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) total += x[i]!;
  if (total === 0) throw new SeqrecError('E_INVALID_DATA', 'no recommended items: every slot of the first k columns is empty', { field: 'lists' });
  return total;
}
