/**
 * One table with the model beside the most-popular and random baselines, computed under the same protocol
 * (issue 4: baselines are always reported), plus a percentile bootstrap CI for every rank metric (list metrics
 * are aggregates over all lists and get none). Composition only: metrics, baselines and CIs live in their own files.
 */
import type { EvalSet } from '../data/dataset.js';
import { invalid, noUnknownKeys, optionsObject } from '../validate.js';
import type { TopKLists } from './beyond-accuracy.js';
import { bootstrapCI, type BootstrapOptions, type ConfidenceInterval } from './bootstrap.js';
import { popularityLists, popularityRanks } from './popularity.js';
import { randomLists, randomRanks } from './random-baseline.js';
import { computeMetrics, metricPerUser, resolveMetric, type MetricInputs } from './registry.js';

export interface BaselineReportOptions {
  /** (string[]) metric names, e.g. ['hr@10', 'ndcg@10', 'coverage@10']. */
  metrics: readonly string[];
  /** the evaluated users, the same ones the model's ranks and lists belong to */
  evalSet: EvalSet;
  /** (V+1) train interaction count per item, e.g. `train.itemCounts()` */
  trainCounts: Int32Array;
  /** the model's ranks (rank metrics) and top-K lists (list metrics) */
  model: { ranks?: Int32Array; top?: TopKLists };
  /** (V+1) genres per item, for ild */
  itemGenres?: readonly (readonly string[])[];
  /** (V+1, d) item embeddings, for ild without genres */
  itemEmbeddings?: Float32Array;
  /** (int) seed of the random baseline. Default 0. */
  seed?: number;
  /** bootstrap settings for the CIs of rank metrics, or false for none. Default {} (1000 resamples, 95%). */
  bootstrap?: BootstrapOptions | false;
}

export type Scorer = 'model' | 'popularity' | 'random';

export interface MetricRow {
  name: string;
  higherIsBetter: boolean;
  values: Record<Scorer, number>;
  /** rank metrics only, when bootstrap is not false */
  ci?: Record<Scorer, ConfidenceInterval>;
}

/** Rows in the order of `metrics`; the baselines' lists have the model's width (or the largest list K asked for). */
export function compareToBaselines(options: BaselineReportOptions): MetricRow[] {
  const o = optionsObject('options', options) as unknown as BaselineReportOptions;
  noUnknownKeys('options', o, ['metrics', 'evalSet', 'trainCounts', 'model', 'itemGenres', 'itemEmbeddings', 'seed', 'bootstrap']);
  if (!Array.isArray(o.metrics) || o.metrics.length === 0) throw invalid('options.metrics', 'a non-empty array of metric names', o.metrics);
  const resolved = o.metrics.map((n, i) => resolveMetric(n, `options.metrics[${i}]`));
  const { evalSet, trainCounts } = o;
  const needsRanks = resolved.some((r) => r.kind === 'rank');
  const listKs = resolved.filter((r) => r.kind === 'list').map((r) => r.k!);
  const width = o.model?.top?.width ?? Math.max(0, ...listKs);
  const shared: MetricInputs = { trainCounts, evalSet, itemGenres: o.itemGenres, itemEmbeddings: o.itemEmbeddings };
  const seed = { seed: o.seed ?? 0 };
  const inputs: Record<Scorer, MetricInputs> = {
    model: { ...shared, ranks: o.model?.ranks, top: o.model?.top },
    popularity: {
      ...shared,
      ranks: needsRanks ? popularityRanks(trainCounts, evalSet) : undefined,
      top: width > 0 ? popularityLists(trainCounts, evalSet, width) : undefined,
    },
    random: {
      ...shared,
      ranks: needsRanks ? randomRanks(evalSet, seed) : undefined,
      top: width > 0 ? randomLists(evalSet, width, seed) : undefined,
    },
  };
  const scorers = ['model', 'popularity', 'random'] as const;
  const tables = scorers.map((s) => computeMetrics(o.metrics, inputs[s]));
  return resolved.map((r) => {
    const row: MetricRow = {
      name: r.name,
      higherIsBetter: r.higherIsBetter,
      values: { model: tables[0]![r.name]!, popularity: tables[1]![r.name]!, random: tables[2]![r.name]! },
    };
    if (r.kind === 'rank' && o.bootstrap !== false) {
      const ci = (s: Scorer) => bootstrapCI(metricPerUser(r.name, inputs[s].ranks!), o.bootstrap || {});
      row.ci = { model: ci('model'), popularity: ci('popularity'), random: ci('random') };
    }
    return row;
  });
}
