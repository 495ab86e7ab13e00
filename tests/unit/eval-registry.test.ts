/**
 * The metric registry: name parsing, unknown names with "did you mean", higherIsBetter, missing inputs,
 * per-user values, and the model-beside-baselines report built on it.
 */
import { describe, it, expect } from 'vitest';
import { computeMetrics, metricPerUser, metricRegistry, resolveMetric, type MetricInputs } from '../../lib/eval/registry.js';
import { compareToBaselines } from '../../lib/eval/report.js';
import * as m from '../../lib/eval/metrics.js';
import * as ba from '../../lib/eval/beyond-accuracy.js';
import { popularityLists, popularityRanks } from '../../lib/eval/popularity.js';
import { Dataset, type EvalSet } from '../../lib/data/dataset.js';
import { i32 } from '../helpers/arrays.js';

const evalSet: EvalSet = { users: i32([0, 1, 2]), offsets: i32([0, 2, 3, 5]), items: i32([4, 5, 3, 2, 3]), targets: i32([5, 5, 5]), numItems: 5 };
const inputs: MetricInputs = {
  ranks: i32([1, 3, 12]),
  top: { lists: i32([1, 2, 3, 1, 2, 0, 1, 4, 0]), width: 3, numItems: 5 },
  trainCounts: i32([0, 5, 3, 1, 0, 1]),
  evalSet,
  itemGenres: [[], ['A', 'B'], ['B'], ['C'], [], ['A']],
};

describe('resolveMetric', () => {
  it('parses the cut-off and exposes kind and direction', () => {
    expect(resolveMetric('ndcg@10')).toMatchObject({ name: 'ndcg@10', pattern: 'ndcg@K', k: 10, kind: 'rank', higherIsBetter: true, range: '[0, 1]' });
    expect(resolveMetric('mrr')).toMatchObject({ pattern: 'mrr', k: undefined, kind: 'rank' });
    expect(resolveMetric('gini@20')).toMatchObject({ kind: 'list', higherIsBetter: false });
    expect(resolveMetric('popularityLift@10').higherIsBetter).toBe(false);
    expect(resolveMetric('coverage@10').higherIsBetter).toBe(true);
  });

  it('documents every entry', () => {
    for (const [pattern, spec] of Object.entries(metricRegistry)) {
      expect(pattern).toMatch(/^[A-Za-z]+(@K)?$/);
      expect(spec.doc.length).toBeGreaterThan(10);
      expect(spec.range).toMatch(/^[[(]/);
      expect(spec.needs[0]).toBe({ rank: 'ranks', list: 'top', pointwise: 'predictions' }[spec.kind]);
    }
  });

  it('throws E_INVALID_OPTION with a suggestion for unknown names and a bad cut-off', () => {
    const opt = (re: RegExp) => expect.objectContaining({ code: 'E_INVALID_OPTION', message: expect.stringMatching(re) });
    expect(() => resolveMetric('ndgc@10')).toThrowError(opt(/Unknown metric "ndgc@10" \(did you mean ndcg@10\?\)/));
    expect(() => resolveMetric('NDCG@5')).toThrowError(opt(/did you mean ndcg@5/));
    expect(() => resolveMetric('converage@10')).toThrowError(opt(/did you mean coverage@10/));
    expect(() => resolveMetric('gauc')).toThrowError(opt(/Unknown metric "gauc" \(did you mean auc\?\); known metrics: hr@K/));
    expect(() => resolveMetric('ndcg')).toThrowError(opt(/"ndcg@K" with an integer K >= 1/));
    expect(() => resolveMetric('hr@0')).toThrowError(opt(/integer K >= 1/));
    expect(() => resolveMetric('ndcg@1.5')).toThrowError(opt(/ndcg/));
    expect(() => resolveMetric('constructor')).toThrowError(opt(/Unknown metric "constructor"/));
    expect(() => resolveMetric('ndgc@10', 'options.validation.metric')).toThrowError(
      expect.objectContaining({
        details: expect.objectContaining({ option: 'options.validation.metric', suggestion: 'ndcg@10' }),
        message: expect.stringMatching(/^options\.validation\.metric: Unknown metric "ndgc@10" \(did you mean ndcg@10\?\)/),
      }),
    );
    expect(() => resolveMetric('hr@0', 'options.metrics[1]')).toThrowError(opt(/options\.metrics\[1\]/));
  });
});

describe('computeMetrics', () => {
  it('turns the issue-4 names into the same numbers as the functions', () => {
    const names = ['hr@10', 'ndcg@10', 'mrr', 'precision@5', 'map@10', 'coverage@3', 'gini@3', 'entropy@3', 'novelty@3', 'ild@3', 'popularityLift@3'];
    const { ranks, top, trainCounts } = inputs as Required<MetricInputs>;
    const got = computeMetrics(names, inputs);
    expect(Object.keys(got)).toEqual(names);
    expect(got).toEqual({
      'hr@10': 2 / 3, // ranks 1, 3 hit; 12 misses
      'ndcg@10': (1 + 0.5 + 0) / 3,
      mrr: (1 + 1 / 3 + 1 / 12) / 3,
      'precision@5': (0.2 + 0.2) / 3,
      'map@10': (1 + 1 / 3) / 3,
      'coverage@3': 0.8,
      'gini@3': ba.giniExposure(top, 3),
      'entropy@3': ba.exposureEntropy(top, 3),
      'novelty@3': ba.novelty(top, trainCounts, 3),
      'ild@3': ba.genreDiversity(top, inputs.itemGenres!, 3),
      'popularityLift@3': ba.popularityLift(top, trainCounts, evalSet, 3).lift,
    });
    expect(got['hr@10']).toBe(m.hitRate(ranks, 10));
    expect(computeMetrics(['gini@1', 'avgPopularity@3'], inputs)).toEqual({ 'gini@1': 0.8, 'avgPopularity@3': 9.5 / 3 });
  });

  it('names the missing input and checks every name before computing', () => {
    expect(() => computeMetrics(['novelty@3'], { top: inputs.top })).toThrowError(/Metric novelty@3 needs inputs.trainCounts/);
    expect(() => computeMetrics(['ild@3'], { top: inputs.top })).toThrowError(/needs inputs.itemGenres \(or inputs.itemEmbeddings\)/);
    expect(() => computeMetrics(['hr@10'], {})).toThrowError(
      expect.objectContaining({ code: 'E_INVALID_OPTION', details: { option: 'inputs.ranks', metric: 'hr@10' } }),
    );
    expect(() => computeMetrics(['coverage@4'], inputs)).toThrowError(expect.objectContaining({ code: 'E_INVALID_OPTION' })); // k > width
    expect(() => computeMetrics(['hr@10', 'bogus'], {})).toThrowError(/Unknown metric "bogus"/);
    expect(() => computeMetrics([], inputs)).toThrowError(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
  });
});

describe('metricPerUser', () => {
  it('gives per-user values of rank metrics only', () => {
    expect([...metricPerUser('ndcg@10', inputs.ranks!)]).toEqual([1, 0.5, 0]);
    expect(metricPerUser('recall@2', inputs.ranks!)).toEqual(m.perUser(inputs.ranks!, 'hr', 2));
    expect(() => metricPerUser('coverage@3', inputs.ranks!)).toThrowError(/a rank metric/);
  });
});

describe('compareToBaselines', () => {
  const seqs = Array.from({ length: 60 }, (_, u) => Array.from({ length: 6 + (u % 5) }, (_, j) => 1 + ((u * 7 + j * j * 3) % 25)));
  const { train, test } = Dataset.fromSequences(seqs, 25).split('leave-one-out');
  const counts = train.itemCounts();

  it('reports the model beside most-popular and random, with CIs for rank metrics', () => {
    // a "model" that is the popularity baseline must tie it exactly
    const model = { ranks: popularityRanks(counts, test), top: popularityLists(counts, test, 10) };
    const rows = compareToBaselines({ metrics: ['hr@10', 'coverage@10'], evalSet: test, trainCounts: counts, model, bootstrap: { resamples: 200 } });
    expect(rows.map((r) => r.name)).toEqual(['hr@10', 'coverage@10']);
    for (const r of rows) expect(r.values.model).toBe(r.values.popularity);
    expect(rows[0]!.ci!.random.mean).toBe(rows[0]!.values.random);
    expect(rows[0]!.ci!.model.lower).toBeLessThanOrEqual(rows[0]!.values.model);
    expect(rows[1]!.ci).toBeUndefined();
    expect(rows[1]!.values.random).toBeGreaterThan(rows[1]!.values.popularity); // random lists cover more of the catalogue
  });

  it('rejects unknown options', () => {
    expect(() => compareToBaselines({ metrics: ['hr@10'], evalSet: test, trainCounts: counts, model: {}, seeed: 1 } as never)).toThrowError(
      /did you mean options.seed/,
    );
  });
});
