/**
 * Declarative metric registry: a name such as 'ndcg@10' resolves to { kind, higherIsBetter, range, doc, compute }.
 * Rank metrics read `inputs.ranks` (full-catalogue ranking, seen items excluded, ties pessimistic); list metrics
 * read `inputs.top` plus item statistics; pointwise metrics (explicit feedback) read the model's `predictions` of
 * the held-out events against their `ratings`. The functions live in ./metrics.ts, ./beyond-accuracy.ts, ./pointwise.ts.
 * No sampled-negative metric is registered; one added later must say so in its name (e.g. 'hr@10/100neg').
 */
import type { EvalSet } from '../data/dataset.js';
import { SeqrecError } from '../errors.js';
import { closest, invalid } from '../validate.js';
import * as acc from './metrics.js';
import * as ba from './beyond-accuracy.js';
import * as pw from './pointwise.js';

export interface MetricInputs {
  /** (E) 1-based full-ranking ranks of each user's target: rank metrics. */
  ranks?: Int32Array;
  /** top-K lists of the same E users: list metrics. */
  top?: ba.TopKLists;
  /** (V+1) train interaction count per item: novelty, avgPopularity, popularityLift. */
  trainCounts?: Int32Array;
  /** the evaluated users whose histories the lists follow: popularityLift. */
  evalSet?: EvalSet;
  /** (V+1) genres per item, [0] unused: ild, ildGenre. */
  itemGenres?: readonly (readonly string[])[];
  /** (V+1, d) item embeddings, row 0 unused: ild (without genres), ildEmbedding. */
  itemEmbeddings?: Float32Array;
  /** (E) the model's pointwise prediction of each held-out event: a rating, or a like probability. */
  predictions?: Float32Array;
  /** (E) the held-out events' ratings (NaN: unrated, left out): pointwise metrics. */
  ratings?: Float32Array;
  /** auc, logloss: an event is liked (label 1) when its rating is >= this. Default 4. */
  likeThreshold?: number;
}

export interface MetricSpec {
  kind: 'rank' | 'list' | 'pointwise';
  higherIsBetter: boolean;
  /** value range, e.g. '[0, 1]' */
  range: string;
  doc: string;
  /** inputs that must be present (ild also needs itemGenres or itemEmbeddings) */
  needs: readonly (keyof MetricInputs)[];
  /** k is the number after '@' (undefined for a pattern without '@K'). */
  compute(inputs: MetricInputs, k: number | undefined): number;
}

type ListFn = (x: MetricInputs, top: ba.TopKLists, k: number) => number;
const rank = (higherIsBetter: boolean, range: string, doc: string, f: (r: Int32Array, k: number | undefined) => number): MetricSpec => ({
  kind: 'rank',
  higherIsBetter,
  range,
  doc,
  needs: ['ranks'],
  compute: (x, k) => f(need(x, 'ranks'), k),
});
const list = (higherIsBetter: boolean, range: string, doc: string, needs: (keyof MetricInputs)[], f: ListFn): MetricSpec => ({
  kind: 'list',
  higherIsBetter,
  range,
  doc,
  needs: ['top', ...needs],
  compute: (x, k) => f(x, need(x, 'top'), k!),
});

/** Labels 1 / 0 / NaN of the ratings at the like threshold. */
const liked = (x: MetricInputs): Float32Array => need(x, 'ratings').map((r) => (Number.isNaN(r) ? Number.NaN : r >= (x.likeThreshold ?? 4) ? 1 : 0));
const pointwise = (higherIsBetter: boolean, range: string, doc: string, f: (x: MetricInputs) => number): MetricSpec => ({
  kind: 'pointwise',
  higherIsBetter,
  range,
  doc,
  needs: ['predictions', 'ratings'],
  compute: (x) => f(x),
});

/** Patterns: 'name@K' takes any integer K >= 1, 'name' takes none. */
export const metricRegistry: Readonly<Record<string, MetricSpec>> = Object.freeze({
  'hr@K': rank(true, '[0, 1]', 'hit rate: share of users whose target ranks <= K', (r, k) => acc.hitRate(r, k!)),
  'recall@K': rank(true, '[0, 1]', 'recall with one relevant item per user; equals hr@K', (r, k) => acc.recall(r, k!)),
  'ndcg@K': rank(true, '[0, 1]', 'NDCG with one relevant item: 1/log2(rank+1) if rank <= K', (r, k) => acc.ndcg(r, k!)),
  mrr: rank(true, '(0, 1]', 'mean reciprocal rank over the full ranking', (r) => acc.mrr(r)),
  'mrr@K': rank(true, '[0, 1]', 'MRR counting 1/rank only when rank <= K', (r, k) => acc.mrr(r, k!)),
  'precision@K': rank(true, '[0, 1/K]', 'hits in the top K divided by K', (r, k) => acc.precision(r, k!)),
  'map@K': rank(true, '[0, 1]', 'mean average precision; 1/rank if rank <= K with one target', (r, k) => acc.meanAveragePrecision(r, k!)),
  'coverage@K': list(true, '[0, 1]', 'share of catalogue items in at least one list', [], (_, t, k) => ba.coverage(t, k)),
  'gini@K': list(false, '[0, (V-1)/V]', 'Gini of exposure over all V items; 0 = equal', [], (_, t, k) => ba.giniExposure(t, k)),
  'entropy@K': list(true, '[0, log2 V]', 'Shannon entropy (bits) of exposure', [], (_, t, k) => ba.exposureEntropy(t, k)),
  'novelty@K': list(true, '(0, log2(N+V)]', 'mean −log2 of add-one-smoothed train interaction share', ['trainCounts'], (x, t, k) =>
    ba.novelty(t, need(x, 'trainCounts'), k),
  ),
  'ild@K': list(true, '[0, 1] genres, [0, 2] embeddings', 'intra-list diversity: genres if given, else embeddings', [], (x, t, k) =>
    x.itemGenres !== undefined ? ba.genreDiversity(t, x.itemGenres, k) : ba.embeddingDiversity(t, need(x, 'itemEmbeddings'), k),
  ),
  'ildGenre@K': list(true, '[0, 1]', 'mean pairwise Jaccard distance of genre sets', ['itemGenres'], (x, t, k) =>
    ba.genreDiversity(t, need(x, 'itemGenres'), k),
  ),
  'ildEmbedding@K': list(true, '[0, 2]', 'mean pairwise cosine distance of embeddings', ['itemEmbeddings'], (x, t, k) =>
    ba.embeddingDiversity(t, need(x, 'itemEmbeddings'), k),
  ),
  'avgPopularity@K': list(
    false,
    '[0, ∞)',
    'mean over users of the mean train count of recommended items',
    ['trainCounts', 'evalSet'],
    (x, t, k) => ba.popularityLift(t, need(x, 'trainCounts'), need(x, 'evalSet'), k).recommended,
  ),
  'popularityLift@K': list(
    false,
    '[0, ∞)',
    'avgPopularity of lists / of histories; 1 = no amplification',
    ['trainCounts', 'evalSet'],
    (x, t, k) => ba.popularityLift(t, need(x, 'trainCounts'), need(x, 'evalSet'), k).lift,
  ),
  rmse: pointwise(false, '[0, ∞)', 'root mean squared error of predicted ratings', (x) => pw.rmse(need(x, 'predictions'), need(x, 'ratings'))),
  mae: pointwise(false, '[0, ∞)', 'mean absolute error of predicted ratings', (x) => pw.mae(need(x, 'predictions'), need(x, 'ratings'))),
  auc: pointwise(true, '[0, 1]', 'P(a liked event scores above a disliked one); liked = rating >= likeThreshold', (x) =>
    pw.auc(need(x, 'predictions'), liked(x)),
  ),
  logloss: pointwise(false, '[0, ∞)', 'binary cross-entropy of like probabilities; liked = rating >= likeThreshold', (x) =>
    pw.logLoss(need(x, 'predictions'), liked(x)),
  ),
});

export interface ResolvedMetric extends MetricSpec {
  name: string;
  pattern: string;
  k: number | undefined;
}

/**
 * Parse 'ndcg@10' into its registry entry and K; unknown names throw E_INVALID_OPTION with "did you mean".
 * `option` names where the name came from (e.g. 'options.validation.metric') in the error and its details.
 */
export function resolveMetric(name: string, option = 'metric'): ResolvedMetric {
  if (typeof name !== 'string') throw invalid(option, 'a metric name such as "ndcg@10"', name);
  const m = /^([A-Za-z]+)(?:@(\d+))?$/.exec(name);
  const k = m?.[2] === undefined ? undefined : Number(m[2]);
  const pattern = m ? `${m[1]}${k === undefined ? '' : '@K'}` : name;
  const spec = lookup(pattern);
  if (spec !== undefined && (k === undefined || (Number.isSafeInteger(k) && k >= 1))) return { ...spec, name, pattern, k };
  const base = m?.[1];
  if (base !== undefined && (lookup(`${base}@K`) !== undefined || lookup(base) !== undefined)) {
    throw invalid(option, lookup(`${base}@K`) ? `"${base}@K" with an integer K >= 1` : `"${base}" without a cut-off`, name);
  }
  const examples = Object.keys(metricRegistry).map((p) => p.replace('@K', `@${k ?? 10}`));
  const suggestion = closest(name, examples);
  throw new SeqrecError(
    'E_INVALID_OPTION',
    `${option === 'metric' ? '' : `${option}: `}Unknown metric ${JSON.stringify(name)}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; known metrics: ${Object.keys(metricRegistry).join(', ')}`,
    { option, received: name, suggestion },
  );
}

/** Compute each named metric from the inputs, in order: `{ 'hr@10': 0.41, … }`. */
export function computeMetrics(names: readonly string[], inputs: MetricInputs): Record<string, number> {
  if (!Array.isArray(names) || names.length === 0) throw invalid('names', 'a non-empty array of metric names', names);
  const resolved = names.map((n) => resolveMetric(n)); // all names checked before any work
  const out: Record<string, number> = {};
  for (const r of resolved) {
    const missing = r.needs.filter((key) => inputs?.[key] === undefined);
    if (r.pattern === 'ild@K' && inputs?.itemGenres === undefined && inputs?.itemEmbeddings === undefined) missing.push('itemGenres');
    if (missing.length > 0) {
      const msg = `Metric ${r.name} needs inputs.${missing.join(', inputs.')}${r.pattern === 'ild@K' ? ' (or inputs.itemEmbeddings)' : ''}`;
      throw new SeqrecError('E_INVALID_OPTION', msg, { option: `inputs.${missing[0]}`, metric: r.name });
    }
    out[r.name] = r.compute(inputs, r.k);
  }
  return out;
}

/** (E) per-user values of a rank metric, for export, bootstrapCI and groupFairness; list metrics have none. */
export function metricPerUser(name: string, ranks: Int32Array): Float64Array {
  const r = resolveMetric(name);
  if (r.kind !== 'rank') throw invalid('metric', 'a rank metric (list metrics are not per user)', name);
  const base = r.pattern.replace('@K', '') as acc.RankMetricName;
  return acc.perUser(ranks, base, r.k);
}

/** Own entries only, so 'constructor' or 'toString' are unknown names, not prototype members. */
function lookup(pattern: string): MetricSpec | undefined {
  return Object.hasOwn(metricRegistry, pattern) ? metricRegistry[pattern] : undefined;
}

function need<K extends keyof MetricInputs>(inputs: MetricInputs, key: K): NonNullable<MetricInputs[K]> {
  const v = inputs?.[key];
  if (v === undefined || v === null)
    throw new SeqrecError('E_INVALID_OPTION', `Expected inputs.${key} for this metric but it is missing`, { option: `inputs.${key}` });
  return v as NonNullable<MetricInputs[K]>;
}
