/**
 * A seeded synthetic catalogue with planted sequential structure: the embedded default data set.
 * Items fall into taste clusters with Zipf popularity; each item has a few fixed successors, so the
 * previous item predicts the next one far better than popularity does (a sequential model must win here).
 * Fully deterministic for a seed (own PRNG, never Math.random); O(total interactions). Real data: lib/data readers.
 */
import { Dataset } from './dataset.js';
import { seededRandom } from './random.js';
import { SeqrecError } from '../errors.js';
import { integer, noUnknownKeys, number, optionsObject } from '../validate.js';

export interface SyntheticOptions {
  /** (int) number of users; default 2000. */
  users?: number;
  /** (int) number of items (dense ids 1..items); default 1000. */
  items?: number;
  /** (int) PRNG seed, 0..2^32-1; default 42. */
  seed?: number;
  /** (int) shortest user sequence; default 20. */
  minLength?: number;
  /** (int) longest user sequence; default 80. */
  maxLength?: number;
  /** (int) number of latent taste clusters, 1..items; default min(16, items). */
  tastes?: number;
  /** (float) Zipf exponent of item popularity, 0 = uniform; default 1.0. */
  popularityExponent?: number;
  /** (float) probability that the next item is a successor of the previous one; default 0.5. */
  markov?: number;
}

const KNOWN = ['users', 'items', 'seed', 'minLength', 'maxLength', 'tastes', 'popularityExponent', 'markov'] as const;
const SUCCESSORS = 3;
/** Cumulative choice weights of an item's successors (0.5, 0.3, 0.2): a skewed, learnable transition. */
const SUCCESSOR_CUM = [0.5, 0.8, 1] as const;
/** Share of successors drawn from the item's own cluster; the rest cross clusters. */
const IN_CLUSTER = 0.8;

/** Generate users × [minLength, maxLength] interactions; see the file header for the story. */
export function syntheticDataset(options?: SyntheticOptions): Dataset {
  const o = resolve(options);
  const rand = seededRandom(o.seed);
  const I = o.items;
  const below = (n: number): number => Math.floor(rand() * n); // uniform integer in [0, n)

  // Items → clusters (round-robin over a shuffle, so every cluster is non-empty), grouped as CSR.
  const byCluster = shuffled(I, rand); // item ids grouped by cluster: cluster c = positions j with j % T == c
  const clusterStart = new Int32Array(o.tastes + 1);
  const clusterItems = new Int32Array(I);
  const clusterOf = new Int32Array(I + 1);
  for (let c = 0, p = 0; c < o.tastes; c++) {
    clusterStart[c] = p;
    for (let j = c; j < I; j += o.tastes) {
      clusterItems[p++] = byCluster[j]!;
      clusterOf[byCluster[j]!] = c;
    }
  }
  clusterStart[o.tastes] = I;

  // Popularity: a random Zipf rank per item; cumulative weights within each cluster for O(log) draws.
  const popRank = shuffled(I, rand); // popRank[r] = item with popularity rank r
  const weight = new Float64Array(I + 1);
  for (let r = 0; r < I; r++) weight[popRank[r]!] = (r + 1) ** -o.popularityExponent;
  const clusterCum = new Float64Array(I);
  for (let c = 0; c < o.tastes; c++) {
    let acc = 0;
    for (let p = clusterStart[c]!; p < clusterStart[c + 1]!; p++) clusterCum[p] = acc += weight[clusterItems[p]!]!;
  }

  // Successors: mostly uniform within the item's cluster (not popularity-weighted, so the signal is distinct).
  const successors = new Int32Array((I + 1) * SUCCESSORS);
  for (let i = 1; i <= I; i++) {
    const c = clusterOf[i]!;
    const size = clusterStart[c + 1]! - clusterStart[c]!;
    for (let s = 0; s < SUCCESSORS; s++) {
      let next = 0;
      for (let attempt = 0; attempt < 16 && next === 0; attempt++) {
        const cand = size > 1 && rand() < IN_CLUSTER ? clusterItems[clusterStart[c]! + below(size)]! : 1 + below(I);
        if (cand !== i && !successors.subarray(i * SUCCESSORS, i * SUCCESSORS + s).includes(cand)) next = cand;
      }
      successors[i * SUCCESSORS + s] = next !== 0 ? next : (i % I) + 1; // tiny catalogues: accept a duplicate
    }
  }

  const offsets = new Int32Array(o.users + 1);
  for (let u = 0; u < o.users; u++) offsets[u + 1] = offsets[u]! + o.minLength + below(o.maxLength - o.minLength + 1);
  const items = new Int32Array(offsets[o.users]!);
  const userTastes = new Int32Array(3);
  const userMix = new Float64Array(3);

  for (let u = 0; u < o.users; u++) {
    // 1–3 distinct tastes with random mixing weights (cumulative).
    const k = Math.min(1 + below(3), o.tastes);
    for (let t = 0; t < k; t++) {
      let c: number;
      do c = below(o.tastes);
      while (userTastes.subarray(0, t).includes(c));
      userTastes[t] = c;
      userMix[t] = (t > 0 ? userMix[t - 1]! : 0) + 0.2 + rand();
    }
    const fromTastes = (): number => {
      const x = rand() * userMix[k - 1]!;
      let t = 0;
      while (t < k - 1 && userMix[t]! <= x) t++;
      const c = userTastes[t]!;
      const lo = clusterStart[c]!;
      const hi = clusterStart[c + 1]!;
      return clusterItems[searchCum(clusterCum, lo, hi, rand() * clusterCum[hi - 1]!)]!;
    };
    let prev = 0;
    for (let p = offsets[u]!; p < offsets[u + 1]!; p++) {
      let next: number;
      if (prev !== 0 && rand() < o.markov) {
        const x = rand();
        const s = x < SUCCESSOR_CUM[0] ? 0 : x < SUCCESSOR_CUM[1] ? 1 : 2;
        next = successors[prev * SUCCESSORS + s]!;
      } else {
        next = fromTastes();
        for (let attempt = 0; attempt < 8 && next === prev; attempt++) next = fromTastes();
        if (next === prev) next = (prev % I) + 1; // a single-item taste cannot avoid the repeat otherwise
      }
      items[p] = prev = next;
    }
  }

  const itemIds = Array.from({ length: I + 1 }, (_, i) => (i === 0 ? '' : `item-${i}`));
  const userIds = Array.from({ length: o.users }, (_, u) => `user-${u}`);
  return Dataset.fromCSR({ offsets, items, numItems: I, itemIds, userIds });
}

function resolve(options: unknown): Required<SyntheticOptions> {
  const raw = optionsObject('options', options);
  noUnknownKeys('options', raw, KNOWN);
  const items = integer('options.items', raw.items ?? 1000, 2, 1 << 30);
  const o: Required<SyntheticOptions> = {
    users: integer('options.users', raw.users ?? 2000, 1, 1 << 30),
    items,
    seed: integer('options.seed', raw.seed ?? 42, 0, 0xffffffff),
    minLength: integer('options.minLength', raw.minLength ?? 20, 1, 1 << 30),
    maxLength: integer('options.maxLength', raw.maxLength ?? 80, 1, 1 << 30),
    tastes: integer('options.tastes', raw.tastes ?? Math.min(16, items), 1, items),
    popularityExponent: number('options.popularityExponent', raw.popularityExponent ?? 1.0, 0, 16),
    markov: number('options.markov', raw.markov ?? 0.5, 0, 1),
  };
  if (o.minLength > o.maxLength) {
    const msg = `Expected options.minLength <= options.maxLength but received ${o.minLength} > ${o.maxLength}`;
    throw new SeqrecError('E_INVALID_OPTION', msg, { option: 'options.minLength' });
  }
  if (o.users * o.maxLength > 0x7fffffff) {
    const msg = `Expected options.users * options.maxLength <= 2^31-1 (Int32 offsets) but received ${o.users * o.maxLength}`;
    throw new SeqrecError('E_INVALID_OPTION', msg, { option: 'options.users' });
  }
  return o;
}

/** Items 1..n in random order (Fisher–Yates). */
function shuffled(n: number, rand: () => number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i + 1;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** First index p in [lo, hi) with cum[p] > x (hi-1 if rounding leaves none). */
function searchCum(cum: Float64Array, lo: number, hi: number, x: number): number {
  let a = lo;
  let b = hi - 1;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (cum[m]! > x) b = m;
    else a = m + 1;
  }
  return a;
}
