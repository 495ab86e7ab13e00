/**
 * The report's plots as vega-lite specs, one function per kind of plot, each returning no chart when its
 * data is absent: learning curves, metric@K, coverage@K, exposure vs popularity and per-group fairness.
 * Specs carry their data inline and fixed sizes, so the same ReportData always gives the same SVG. They use no
 * clipping and no gradients: vega numbers those SVG ids from process-wide counters, which would make ids clash
 * between the SVGs of one page and differ between runs. Rendering the specs to SVG happens in ./render.ts.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { MetricRow, Scorer } from '../eval/report.js';
import { type FairnessEntry, type ItemExposure, type LossPoint, type ReportData, SIMULATION_MEASURES, type SimulationMeasure } from './data.js';

export interface Chart {
  /** (str) id of the chart's figure, unique within one report */
  id: string;
  /** (str) plain-text caption: what is plotted and how to read it */
  caption: string;
  /** (TopLevelSpec) the vega-lite spec, data inline */
  spec: TopLevelSpec;
}

type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

/** Every chart the data supports, in report order. */
export function reportCharts(data: ReportData): Chart[] {
  return [
    ...lossChart(data),
    ...validationChart(data),
    ...metricAtKCharts(data),
    ...coverageChart(data),
    ...exposureChart(data),
    ...fairnessCharts(data),
    ...simulationCharts(data),
  ];
}

const WIDTH = 480;
const HEIGHT = 240;
/** A 480-pixel line shows no more beyond this many points, and each one costs SVG bytes. */
export const MAX_LOSS_POINTS = 500;

// The same name and colour for a scorer in every chart, matching the metric table's columns.
const scorerNames: Record<Scorer, string> = { model: 'model', popularity: 'most popular', random: 'random' };
const scorerOrder: readonly Scorer[] = ['model', 'popularity', 'random'];
const scorerColor = {
  field: 'scorer',
  type: 'nominal',
  title: 'scorer',
  sort: scorerOrder.map((s) => scorerNames[s]),
  scale: { domain: scorerOrder.map((s) => scorerNames[s]), range: ['#1f6fb4', '#e07b16', '#8c8c8c'] },
} as const;

/** Training loss by step, averaged into at most MAX_LOSS_POINTS buckets. */
export function lossChart(data: ReportData): Chart[] {
  if (!data.trainLoss?.length) return [];
  const points = downsample(data.trainLoss, MAX_LOSS_POINTS);
  const averaged = points.length < data.trainLoss.length ? `, averaged over runs of consecutive steps into ${points.length} points` : '';
  return [
    {
      id: 'chart-train-loss',
      caption: `Training loss by optimizer step (${data.trainLoss.length} recorded steps${averaged}).`,
      spec: {
        width: WIDTH,
        height: HEIGHT,
        title: 'Training loss',
        data: { values: points },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'optimizer step' },
          y: { field: 'loss', type: 'quantitative', title: 'training loss', scale: { zero: false } },
        },
      },
    },
  ];
}

/**
 * Mean step and mean loss of consecutive, nearly equal buckets. Averaging, rather than keeping every n-th
 * point, keeps the plotted line from being one random draw of the step-to-step noise.
 */
function downsample(points: readonly LossPoint[], max: number): LossPoint[] {
  const sorted = [...points].sort((a, b) => a.step - b.step);
  if (sorted.length <= max) return sorted;
  return Array.from({ length: max }, (_, b) => {
    const bucket = sorted.slice(Math.floor((b * sorted.length) / max), Math.floor(((b + 1) * sorted.length) / max));
    const mean = (f: (p: LossPoint) => number) => bucket.reduce((s, p) => s + f(p), 0) / bucket.length;
    return { step: mean((p) => p.step), loss: mean((p) => p.loss) };
  });
}

/** The validation metric by epoch, with a dashed rule at the best epoch when known. */
export function validationChart(data: ReportData): Chart[] {
  const v = data.validation;
  if (!v?.history.length) return [];
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { format: 'd', tickMinStep: 1 } } as const;
  const best: Layer[] =
    v.bestEpoch === undefined
      ? []
      : [
          {
            data: { values: [{ epoch: v.bestEpoch }] },
            mark: { type: 'rule', strokeDash: [4, 4], color: '#555' },
            encoding: { x },
          },
        ];
  return [
    {
      id: 'chart-validation',
      caption: `Validation ${v.metric} after each validation${v.bestEpoch === undefined ? '' : `; the dashed line marks the best epoch (${v.bestEpoch})`}.`,
      spec: {
        width: WIDTH,
        height: HEIGHT,
        title: `Validation ${v.metric}`,
        layer: [
          {
            data: { values: v.history.map((r) => ({ epoch: r.epoch, value: r.value })) },
            mark: { type: 'line', point: true },
            encoding: { x, y: { field: 'value', type: 'quantitative', title: v.metric, scale: { zero: false } } },
          },
          ...best,
        ],
      },
    },
  ];
}

/** Table rows named `base@K`, grouped by base name in table order, K ascending. */
function rowsByBase(table: readonly MetricRow[]): Map<string, { k: number; row: MetricRow }[]> {
  const groups = new Map<string, { k: number; row: MetricRow }[]>();
  for (const row of table) {
    const m = /^([A-Za-z]+)@(\d+)$/.exec(row.name);
    if (!m) continue;
    const list = groups.get(m[1]!) ?? groups.set(m[1]!, []).get(m[1]!)!;
    list.push({ k: Number(m[2]), row });
  }
  for (const list of groups.values()) list.sort((a, b) => a.k - b.k);
  return groups;
}

/** One line chart per metric measured at two or more cut-offs; coverage has its own bar chart. */
export function metricAtKCharts(data: ReportData): Chart[] {
  const charts: Chart[] = [];
  for (const [base, rows] of rowsByBase(data.table)) {
    if (base === 'coverage' || rows.length < 2) continue;
    const values = rows.flatMap(({ k, row }) =>
      scorerOrder.map((s) => ({ k, scorer: scorerNames[s], value: row.values[s], lower: row.ci?.[s].lower, upper: row.ci?.[s].upper })),
    );
    const ci = rows.find(({ row }) => row.ci)?.row.ci?.model;
    const x = { field: 'k', type: 'ordinal', title: 'cut-off K', axis: { labelAngle: 0 } } as const;
    // Rows measured without a CI (bootstrap: false) have no interval to draw.
    const bars: Layer[] = !ci
      ? []
      : [
          {
            transform: [{ filter: 'isValid(datum.lower)' }],
            mark: { type: 'rule' },
            encoding: { x, y: { field: 'lower', type: 'quantitative' }, y2: { field: 'upper' }, color: scorerColor },
          },
        ];
    charts.push({
      id: `chart-${base}-at-k`,
      caption: `${base}@K at each cut-off K for the model and both baselines${ci ? `, with ${percent(ci.confidence)} bootstrap intervals` : ''}.`,
      spec: {
        width: WIDTH,
        height: HEIGHT,
        title: `${base}@K`,
        data: { values },
        layer: [
          { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'value', type: 'quantitative', title: base }, color: scorerColor } },
          ...bars,
        ],
      },
    });
  }
  return charts;
}

/** Grouped bars of coverage@K per scorer, from the table rows named coverage@K. */
export function coverageChart(data: ReportData): Chart[] {
  const rows = rowsByBase(data.table).get('coverage');
  if (!rows) return [];
  const values = rows.flatMap(({ k, row }) => scorerOrder.map((s) => ({ k, scorer: scorerNames[s], value: row.values[s] })));
  return [
    {
      id: 'chart-coverage',
      caption: 'Share of the catalogue that appears in at least one top-K list, per scorer and cut-off K.',
      spec: {
        width: WIDTH,
        height: HEIGHT,
        title: 'Catalogue coverage',
        data: { values },
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'k', type: 'ordinal', title: 'cut-off K', axis: { labelAngle: 0 } },
          xOffset: { field: 'scorer', type: 'nominal', sort: scorerColor.sort },
          y: { field: 'value', type: 'quantitative', title: 'coverage', scale: { domain: [0, 1] } },
          color: scorerColor,
        },
      },
    },
  ];
}

/** Scatter of train interactions vs times recommended, both + 1 on log scales so zeros show. */
export function exposureChart(data: ReportData): Chart[] {
  if (!data.exposure?.length) return [];
  const cells = mergeNearby(data.exposure);
  const merged = cells.length < data.exposure.length ? '; items at nearly the same place are drawn as one point sized by their number' : '';
  return [
    {
      id: 'chart-exposure',
      caption: `Each item's train interactions against the times the model recommends it (${data.exposure.length} items, log scales, counts + 1 so zeros show${merged}).`,
      spec: {
        width: WIDTH,
        height: WIDTH,
        title: 'Exposure vs popularity',
        data: { values: cells },
        mark: { type: 'circle', opacity: 0.6, color: scorerColor.scale.range[0] },
        encoding: {
          x: { field: 'train', type: 'quantitative', title: 'train interactions + 1', scale: { type: 'log' } },
          y: { field: 'recommended', type: 'quantitative', title: 'times recommended + 1', scale: { type: 'log' } },
          size: { field: 'items', type: 'quantitative', title: 'items', scale: { type: 'sqrt', range: [12, 300] } },
        },
      },
    },
  ];
}

/** Items merged into one point differ by at most 10^(1/40) ≈ 6 % in count + 1: closer than the eye tells apart at this width. */
const CELLS_PER_DECADE = 40;

/**
 * Items merged per cell of a log grid, each cell drawn at the mean of its items' (count + 1) values: exact
 * for a lone item, and it keeps a catalogue of 100k items from becoming 100k SVG circles.
 */
function mergeNearby(exposure: readonly ItemExposure[]): { train: number; recommended: number; items: number }[] {
  const cell = (n: number) => Math.round(Math.log10(n + 1) * CELLS_PER_DECADE);
  const cells = new Map<string, { cx: number; cy: number; train: number; recommended: number; items: number }>();
  for (const e of exposure) {
    const [cx, cy] = [cell(e.trainCount), cell(e.recommended)];
    const key = `${cx},${cy}`;
    const c = cells.get(key) ?? cells.set(key, { cx, cy, train: 0, recommended: 0, items: 0 }).get(key)!;
    c.train += e.trainCount + 1;
    c.recommended += e.recommended + 1;
    c.items++;
  }
  return [...cells.values()]
    .sort((a, b) => a.cx - b.cx || a.cy - b.cy)
    .map((c) => ({ train: c.train / c.items, recommended: c.recommended / c.items, items: c.items }));
}

/** One horizontal bar chart per fairness entry: the group means, with gap and ratio in the title. */
export function fairnessCharts(data: ReportData): Chart[] {
  return (data.fairness ?? []).map((f, i) => fairnessChart(f, i));
}

function fairnessChart(f: FairnessEntry, index: number): Chart {
  const values = f.report.groups.map((g) => ({ group: `${g.group} (n=${g.count})`, mean: g.mean }));
  return {
    id: `chart-fairness-${index + 1}`,
    caption: `Mean ${f.metric} per ${f.attribute} group (n = users in the group); gap = best − worst group mean, ratio = worst / best.`,
    spec: {
      width: WIDTH,
      height: { step: 22 },
      title: `${f.metric} by ${f.attribute}: gap ${formatNumber(f.report.gap)}, ratio ${formatNumber(f.report.ratio)}`,
      data: { values },
      mark: { type: 'bar', color: scorerColor.scale.range[0] },
      encoding: {
        y: { field: 'group', type: 'nominal', title: f.attribute, sort: null, axis: { labelLimit: 200 } },
        x: { field: 'mean', type: 'quantitative', title: `mean ${f.metric}` },
      },
    },
  };
}

/** Numbers for people: integers grouped, large values to 1 decimal, others to 4, tiny ones to 3 significant digits. */
const measureTitles: Record<SimulationMeasure, string> = {
  utility: 'user utility',
  coverage: 'catalogue coverage',
  gini: 'Gini of exposure',
  novelty: 'novelty (bits)',
  popularityLift: 'popularity lift',
  homogenization: 'homogenisation (mean Jaccard)',
  groupGap: 'utility gap, majority − minority',
};

/** One line chart per simulator measure, round by round, a line per run. */
export function simulationCharts(data: ReportData): Chart[] {
  const runs = data.simulation;
  if (!runs?.length) return [];
  return SIMULATION_MEASURES.map((m) => ({
    id: `chart-simulation-${m}`,
    caption: `Closed-loop simulation: ${measureTitles[m]} after each round, one line per run (${runs.map((r) => r.name).join('; ')}).`,
    spec: {
      width: WIDTH,
      height: HEIGHT,
      title: `Simulation: ${measureTitles[m]}`,
      data: { values: runs.flatMap((r) => r.rounds.map((x) => ({ run: r.name, round: x.round, value: x[m] }))) },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'round', type: 'quantitative', title: 'round', axis: { format: 'd', tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: measureTitles[m], scale: { zero: false } },
        color: { field: 'run', type: 'nominal', title: 'run' },
      },
    },
  }));
}

export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a >= 100) return v.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return a >= 0.001 ? v.toFixed(4) : v.toPrecision(3);
}

/** 0.95 → '95%'. */
export function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(1))}%`;
}
