/**
 * evaluate(): one pass that turns a model's native ranks and top-K lists into everything issue 4 asks a
 * report to show: registry metrics, the most-popular and random baselines under the same protocol, bootstrap
 * CIs, fairness across user groups, and per-user values for export. The model is only asked for ranks (full
 * or among sampled candidates) and top-K lists; all arithmetic is the pure functions of lib/eval.
 */
import type { Dataset, EvalSet } from '../data/dataset.js';
import { SeqrecError } from '../errors.js';
import { boolean, integer, invalid, noUnknownKeys, number, oneOf, optionsObject } from '../validate.js';
import type { TopKLists } from './beyond-accuracy.js';
import { bootstrapCI, type BootstrapOptions } from './bootstrap.js';
import { checkEvalSet } from './eval-set.js';
import { activityTertiles, groupFairness, historyLengths, type GroupReport } from './fairness.js';
import { computeMetrics, metricPerUser, resolveMetric, type ResolvedMetric } from './registry.js';
import { compareToBaselines, type MetricRow } from './report.js';
import { SAMPLED_SUFFIX, sampleNegatives, sampledPopularityRanks, sampledRandomRanks } from './sampled.js';

export type Protocol = 'full' | 'sampled-100';

export interface EvaluateOptions {
  /** (string[]) registry metric names, e.g. ['hr@10', 'ndcg@10', 'coverage@10']. Default ['hr@10', 'ndcg@10', 'mrr']. */
  metrics?: readonly string[];
  /** (int[]) shorthand: adds hr@K and ndcg@K for each K (then mrr) when `metrics` is not given. */
  ks?: readonly number[];
  /**
   * (str) 'full': rank the target among all items, seen items excluded (default). 'sampled-100': the legacy protocol
   * of old papers (target among 100 sampled unseen items); metric keys then end in '/100neg'. Rank metrics only.
   */
  protocol?: Protocol;
  /** (str) sampled-100 negatives: 'uniform' (SASRec) or 'popularity' (BERT4Rec). Default 'uniform'. */
  negatives?: 'uniform' | 'popularity';
  /** the training Dataset: item counts for novelty/popularity metrics and the most-popular baseline. */
  train?: Dataset;
  /** (bool) report most-popular and random beside the model (needs `train`). Default: true when `train` is given. */
  baselines?: boolean;
  /** bootstrap CIs of rank metrics in the baseline table, or false. Default {} (1000 resamples, 95%) with baselines. */
  bootstrap?: BootstrapOptions | false;
  /** fairness: attribute name → one label per evaluated user (test.users order), or 'activity' for history-length tertiles. */
  groups?: Readonly<Record<string, readonly string[] | 'activity'>>;
  /** (str) rank metric compared across groups. Default: the first rank metric. */
  fairnessMetric?: string;
  /** (V+1) genres per item, for ild@K. */
  itemGenres?: readonly (readonly string[])[];
  /** (int) users scored per native batch. Default 256. */
  batchSize?: number;
  /** (int) seed of sampled negatives and of the random baseline. Default 0. */
  seed?: number;
  /** (float) auc, logloss: a held-out event is liked when its rating is >= this. Default 4. */
  likeThreshold?: number;
}

export interface FairnessResult {
  attribute: string;
  metric: string;
  report: GroupReport;
}

export interface Evaluation {
  protocol: Protocol;
  /** evaluated users */
  users: number;
  /** the model's value of each metric, keyed by name ('ndcg@10', or 'ndcg@10/100neg' under sampled-100) */
  metrics: Record<string, number>;
  /** (users) rank of each target: over all items (full) or among itself and 100 negatives (sampled-100) */
  ranks: Int32Array;
  /** the model's top-K lists when a list metric was asked for */
  top?: TopKLists;
  /** model beside most-popular and random, with CIs, when baselines are on */
  table?: MetricRow[];
  fairness?: FairnessResult[];
}

/** What evaluate needs from a model: ranks (optionally among candidates) and top-K lists. */
export interface RankingModel {
  rank(evalSet: EvalSet, candidates: { items: Int32Array; count: number } | undefined, batchSize: number): Promise<Int32Array>;
  topK(evalSet: EvalSet, k: number, batchSize: number): Promise<TopKLists>;
  /** (E) the pointwise head's prediction of each held-out event; undefined for a model without one. */
  pointwise?: (evalSet: EvalSet, batchSize: number) => Promise<Float32Array>;
}

const KEYS = [
  'metrics',
  'ks',
  'protocol',
  'negatives',
  'train',
  'baselines',
  'bootstrap',
  'groups',
  'fairnessMetric',
  'itemGenres',
  'batchSize',
  'seed',
  'likeThreshold',
];

export async function evaluateModel(model: RankingModel, evalSet: EvalSet, options: EvaluateOptions = {}): Promise<Evaluation> {
  const o = optionsObject('options', options) as EvaluateOptions;
  noUnknownKeys('options', o, KEYS);
  const protocol = oneOf('options.protocol', o.protocol ?? 'full', ['full', 'sampled-100'] as const);
  const asked = metricNames(o);
  const all = asked.map((n, i) => resolveMetric(n, `options.metrics[${i}]`));
  const pointwiseNames = asked.filter((_, i) => all[i]!.kind === 'pointwise');
  const names = asked.filter((_, i) => all[i]!.kind !== 'pointwise');
  const resolved = all.filter((r) => r.kind !== 'pointwise');
  const batchSize = integer('options.batchSize', o.batchSize ?? 256, 1, 1 << 20);
  const seed = integer('options.seed', o.seed ?? 0, 0, 0xffffffff);
  if (checkEvalSet('evalSet', evalSet).targets.length === 0) {
    throw new SeqrecError(
      'E_INVALID_DATA',
      'evalSet holds no held-out targets, so there is no user to evaluate (leave-one-out needs users with 3 or more events)',
      { field: 'evalSet.targets' },
    );
  }
  const trainCounts = o.train?.itemCounts();
  const baselines = names.length > 0 && boolean('options.baselines', o.baselines ?? trainCounts !== undefined);
  if (baselines && !trainCounts) throw invalid('options.train', 'the training Dataset when baselines are on', o.train);
  const listKs = resolved.filter((r) => r.kind === 'list').map((r) => r.k!);
  if (protocol === 'sampled-100' && listKs.length > 0) {
    throw invalid('options.metrics', 'rank metrics only under the sampled-100 protocol (lists are always full-catalogue)', names);
  }

  let ranks: Int32Array;
  let table: MetricRow[] | undefined;
  let top: TopKLists | undefined;
  let metrics: Record<string, number>;
  if (protocol === 'full') {
    ranks = await model.rank(evalSet, undefined, batchSize);
    if (listKs.length > 0) top = await model.topK(evalSet, Math.max(...listKs), batchSize);
    const inputs = { ranks, top, trainCounts, evalSet, itemGenres: o.itemGenres };
    metrics = names.length > 0 ? computeMetrics(names, inputs) : {};
    if (baselines) {
      const bootstrap = o.bootstrap ?? {};
      table = compareToBaselines({
        metrics: names,
        evalSet,
        trainCounts: trainCounts!,
        model: { ranks, top },
        seed,
        bootstrap,
        ...(o.itemGenres && { itemGenres: o.itemGenres }),
      });
    }
  } else {
    if (pointwiseNames.length > 0) throw invalid('options.metrics', 'rank metrics only under the sampled-100 protocol', asked);
    const negatives = oneOf('options.negatives', o.negatives ?? 'uniform', ['uniform', 'popularity'] as const);
    if (negatives === 'popularity' && !trainCounts) throw invalid('options.train', 'the training Dataset for popularity-sampled negatives', o.train);
    const candidates = sampleNegatives(evalSet, { negatives, trainCounts, seed });
    ranks = await model.rank(evalSet, { items: candidates, count: 100 }, batchSize);
    metrics = suffixed(computeMetrics(names, { ranks }));
    if (baselines) {
      const scorers = { model: ranks, popularity: sampledPopularityRanks(trainCounts!, evalSet, candidates), random: sampledRandomRanks(ranks.length, seed) };
      table = sampledTable(resolved, scorers, o.bootstrap ?? {});
    }
  }
  if (pointwiseNames.length > 0) Object.assign(metrics, await pointwiseMetrics(model, evalSet, pointwiseNames, batchSize, o.likeThreshold));
  const fairness = o.groups === undefined ? undefined : fairnessByGroup(o.groups, o.fairnessMetric, resolved, ranks, evalSet, protocol);
  return { protocol, users: ranks.length, metrics, ranks, ...(top && { top }), ...(table && { table }), ...(fairness && { fairness }) };
}

/** rmse, mae, auc, logloss of the model's pointwise predictions of the held-out events against their ratings. */
async function pointwiseMetrics(
  model: RankingModel,
  evalSet: EvalSet,
  names: string[],
  batchSize: number,
  likeThreshold: unknown,
): Promise<Record<string, number>> {
  if (!model.pointwise) throw invalid('options.metrics', 'no pointwise metric for a model without a pointwise head (ModelOptions.pointwise)', names);
  if (evalSet.targetRatings === undefined) {
    throw invalid('options.metrics', 'no pointwise metric for an evalSet without targetRatings (split a Dataset with ratings)', names);
  }
  const threshold = number('options.likeThreshold', likeThreshold ?? 4, -1e9, 1e9);
  const predictions = await model.pointwise(evalSet, batchSize);
  return computeMetrics(names, { predictions, ratings: evalSet.targetRatings, likeThreshold: threshold });
}

/** `metrics`, else hr@K and ndcg@K per K of `ks` and mrr, else the default trio. */
function metricNames(o: EvaluateOptions): string[] {
  if (o.metrics !== undefined) {
    if (!Array.isArray(o.metrics) || o.metrics.length === 0) throw invalid('options.metrics', 'a non-empty array of metric names', o.metrics);
    return [...o.metrics];
  }
  const ks = o.ks ?? [10];
  if (!Array.isArray(ks) || ks.length === 0) throw invalid('options.ks', 'a non-empty array of integers', ks);
  ks.forEach((k, i) => integer(`options.ks[${i}]`, k, 1, 1 << 30));
  return [...ks.flatMap((k) => [`hr@${k}`, `ndcg@${k}`]), 'mrr'];
}

function suffixed(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`${k}${SAMPLED_SUFFIX}`, v]));
}

function sampledTable(
  resolved: ResolvedMetric[],
  ranks: Record<'model' | 'popularity' | 'random', Int32Array>,
  bootstrap: BootstrapOptions | false,
): MetricRow[] {
  const names = resolved.map((r) => r.name);
  const values = {
    model: computeMetrics(names, { ranks: ranks.model }),
    popularity: computeMetrics(names, { ranks: ranks.popularity }),
    random: computeMetrics(names, { ranks: ranks.random }),
  };
  return resolved.map(({ name, higherIsBetter }) => {
    const row: MetricRow = {
      name: `${name}${SAMPLED_SUFFIX}`,
      higherIsBetter,
      values: { model: values.model[name]!, popularity: values.popularity[name]!, random: values.random[name]! },
    };
    if (bootstrap !== false) {
      const ci = (r: Int32Array) => bootstrapCI(metricPerUser(name, r), bootstrap);
      row.ci = { model: ci(ranks.model), popularity: ci(ranks.popularity), random: ci(ranks.random) };
    }
    return row;
  });
}

function fairnessByGroup(
  groups: Readonly<Record<string, readonly string[] | 'activity'>>,
  metricOption: string | undefined,
  resolved: ResolvedMetric[],
  ranks: Int32Array,
  evalSet: EvalSet,
  protocol: Protocol,
): FairnessResult[] {
  if (groups === null || typeof groups !== 'object') throw invalid('options.groups', 'an object of attribute → labels', groups);
  const metric = metricOption ?? resolved.find((r) => r.kind === 'rank')?.name;
  if (metric === undefined) throw invalid('options.fairnessMetric', 'a rank metric to compare across groups', metricOption);
  const values = metricPerUser(metric, ranks);
  const name = protocol === 'full' ? metric : `${metric}${SAMPLED_SUFFIX}`;
  return Object.entries(groups).map(([attribute, labels]) => {
    if (labels === 'activity') return { attribute, metric: name, report: groupFairness(values, activityTertiles(historyLengths(evalSet))) };
    if (!Array.isArray(labels) || labels.length !== ranks.length) {
      throw new SeqrecError('E_INVALID_OPTION', `options.groups.${attribute} must hold one label per evaluated user (${ranks.length})`, {
        option: `groups.${attribute}`,
      });
    }
    return { attribute, metric: name, report: groupFairness(values, labels as string[]) };
  });
}
