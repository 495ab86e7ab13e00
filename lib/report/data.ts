/**
 * The evaluation results a report is drawn from: what `seqrec evaluate --json` writes and `seqrec report`
 * reads back. Plain JSON (no typed arrays, no NaN), so the file can be diffed, archived and rendered later by
 * another version. checkReportData validates a parsed file field by field and names the first bad field's
 * path; the rendering itself lives in ./render.ts, the plots in ./charts.ts.
 */
import type { ConfidenceInterval } from '../eval/bootstrap.js';
import type { GroupReport, GroupStat } from '../eval/fairness.js';
import type { MetricRow, Scorer } from '../eval/report.js';
import type { ValidationRecord } from '../train/validation.js';
import { SeqrecError } from '../errors.js';
import { closest } from '../validate.js';

export interface DatasetSummary {
  /** (str) dataset name, e.g. 'ml-1m' */
  name: string;
  /** (int) users after preprocessing */
  users: number;
  /** (int) items after preprocessing */
  items: number;
  /** (int) interactions after preprocessing */
  interactions: number;
}

export interface ModelSummary {
  /** (str) architecture, e.g. 'sasrec' */
  architecture: string;
  /** (object) the resolved model config, as `model.config` returns it */
  config: Record<string, unknown>;
  /** (int) trainable parameters */
  parameters?: number;
  /** (float) wall-clock training time in seconds */
  trainSeconds?: number;
}

export interface LossPoint {
  /** (int) optimizer steps done */
  step: number;
  /** (float) training loss at that step */
  loss: number;
}

export interface ValidationCurve {
  /** (str) the monitored metric, e.g. 'ndcg@10' */
  metric: string;
  /** (ValidationRecord[]) one record per validation, as fit() returns them */
  history: ValidationRecord[];
  /** (int) epoch of the best validation, the weights the model ended with when restored */
  bestEpoch?: number;
}

export interface ItemExposure {
  /** (str) raw item id */
  item: string;
  /** (int) interactions with the item in the training data */
  trainCount: number;
  /** (int) times the item appears in the model's top-K lists of the evaluated users */
  recommended: number;
}

export interface FairnessEntry {
  /** (str) how users were grouped, e.g. 'gender' or 'activity' */
  attribute: string;
  /** (str) the per-user metric averaged per group, e.g. 'ndcg@10' */
  metric: string;
  /** (GroupReport) group means, gap and ratio from groupFairness */
  report: GroupReport;
}

/** The simulator's per-round measures (lib/sim/simulate.ts) the report plots, for one run. */
export const SIMULATION_MEASURES = ['utility', 'coverage', 'gini', 'novelty', 'popularityLift', 'homogenization', 'groupGap'] as const;
export type SimulationMeasure = (typeof SIMULATION_MEASURES)[number];

export interface SimulationRun {
  /** (str) the run's name in the legend, e.g. 'SASRec, ε = 0.1' */
  name: string;
  /** one entry per round: its number and each measure */
  rounds: ({ round: number } & Record<SimulationMeasure, number>)[];
}

export interface ReportData {
  /** (str) report title */
  title: string;
  /** (str) ISO 8601 date and time the evaluation ran */
  generatedAt: string;
  /** (str) evaluation protocol, e.g. 'full ranking over 3416 items, seen items excluded' */
  protocol: string;
  /** (DatasetSummary) the evaluated dataset */
  dataset?: DatasetSummary;
  /** (ModelSummary) the evaluated model */
  model?: ModelSummary;
  /** (MetricRow[]) the model beside the most-popular and random baselines, from compareToBaselines; may be empty with `simulation` */
  table: MetricRow[];
  /** (LossPoint[]) training loss by step */
  trainLoss?: LossPoint[];
  /** (ValidationCurve) the validation metric by epoch */
  validation?: ValidationCurve;
  /** (ItemExposure[]) per item: train interactions vs times recommended */
  exposure?: ItemExposure[];
  /** (FairnessEntry[]) one group report per user attribute and metric */
  fairness?: FairnessEntry[];
  /** (SimulationRun[]) closed-loop simulations to plot round by round, side by side */
  simulation?: SimulationRun[];
}

/**
 * `value` as ReportData, or E_INVALID_DATA naming `source` (the file) and the path of the first bad field,
 * e.g. `table[2].values.model`. Unknown keys are errors too (with "did you mean"), so a misspelt field
 * is not silently left out of the report; `model.config` is free-form.
 */
export function checkReportData(value: unknown, source: string): ReportData {
  const c = new FieldChecker(source);
  const o = c.object(value, 'report', [
    'title',
    'generatedAt',
    'protocol',
    'dataset',
    'model',
    'table',
    'trainLoss',
    'validation',
    'exposure',
    'fairness',
    'simulation',
  ]);
  return {
    title: c.string(o.title, 'title'),
    generatedAt: c.isoDate(o.generatedAt, 'generatedAt'),
    protocol: c.string(o.protocol, 'protocol'),
    ...c.optional(o, 'dataset', (v, p) => checkDataset(c, v, p)),
    ...c.optional(o, 'model', (v, p) => checkModel(c, v, p)),
    table: checkTable(c, o.table, o.simulation !== undefined),
    ...c.optional(o, 'trainLoss', (v, p) => c.array(v, p, (x, q) => checkLossPoint(c, x, q))),
    ...c.optional(o, 'validation', (v, p) => checkValidation(c, v, p)),
    ...c.optional(o, 'exposure', (v, p) => c.array(v, p, (x, q) => checkExposure(c, x, q))),
    ...c.optional(o, 'fairness', (v, p) => c.array(v, p, (x, q) => checkFairness(c, x, q))),
    ...c.optional(o, 'simulation', (v, p) => c.array(v, p, (x, q) => checkSimulationRun(c, x, q))),
  };
}

function checkSimulationRun(c: FieldChecker, value: unknown, path: string): SimulationRun {
  const o = c.object(value, path, ['name', 'rounds']);
  return {
    name: c.string(o.name, `${path}.name`),
    rounds: c.array(o.rounds, `${path}.rounds`, (r, q) => {
      const row = c.object(r, q); // RoundStats may carry more fields (groupPopularityLift): only these are plotted
      const out = { round: c.count(row.round, `${q}.round`) } as { round: number } & Record<SimulationMeasure, number>;
      for (const m of SIMULATION_MEASURES) out[m] = c.number(row[m], `${q}.${m}`);
      return out;
    }),
  };
}

const scorers: readonly Scorer[] = ['model', 'popularity', 'random'];

function checkDataset(c: FieldChecker, value: unknown, path: string): DatasetSummary {
  const o = c.object(value, path, ['name', 'users', 'items', 'interactions']);
  return {
    name: c.string(o.name, `${path}.name`),
    users: c.count(o.users, `${path}.users`),
    items: c.count(o.items, `${path}.items`),
    interactions: c.count(o.interactions, `${path}.interactions`),
  };
}

function checkModel(c: FieldChecker, value: unknown, path: string): ModelSummary {
  const o = c.object(value, path, ['architecture', 'config', 'parameters', 'trainSeconds']);
  return {
    architecture: c.string(o.architecture, `${path}.architecture`),
    config: c.object(o.config, `${path}.config`),
    ...c.optional(o, 'parameters', (v, p) => c.count(v, `${path}.${p}`)),
    ...c.optional(o, 'trainSeconds', (v, p) => c.number(v, `${path}.${p}`, 0)),
  };
}

/** Non-empty, because a report always has the baseline comparison; names unique, because they key the charts. */
/** The metric rows; empty only in a report of simulations, which plots no metric table. */
function checkTable(c: FieldChecker, value: unknown, mayBeEmpty: boolean): MetricRow[] {
  const rows = c.array(value, 'table', (x, p) => checkRow(c, x, p));
  if (rows.length === 0 && !mayBeEmpty) throw c.fail('table', 'a non-empty array of metric rows', value);
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    if (seen.has(row.name)) throw c.fail(`table[${i}].name`, `a metric name not used by an earlier row`, row.name);
    seen.add(row.name);
  });
  return rows;
}

function checkRow(c: FieldChecker, value: unknown, path: string): MetricRow {
  const o = c.object(value, path, ['name', 'higherIsBetter', 'values', 'ci']);
  const name = c.string(o.name, `${path}.name`);
  const higherIsBetter = c.boolean(o.higherIsBetter, `${path}.higherIsBetter`);
  const values = c.object(o.values, `${path}.values`, scorers);
  const row: MetricRow = { name, higherIsBetter, values: perScorer((s) => c.number(values[s], `${path}.values.${s}`)) };
  if (o.ci !== undefined) {
    const ci = c.object(o.ci, `${path}.ci`, scorers);
    row.ci = perScorer((s) => checkInterval(c, ci[s], `${path}.ci.${s}`));
  }
  return row;
}

function perScorer<T>(f: (s: Scorer) => T): Record<Scorer, T> {
  return { model: f('model'), popularity: f('popularity'), random: f('random') };
}

function checkInterval(c: FieldChecker, value: unknown, path: string): ConfidenceInterval {
  const o = c.object(value, path, ['mean', 'lower', 'upper', 'confidence', 'resamples']);
  const ci = {
    mean: c.number(o.mean, `${path}.mean`),
    lower: c.number(o.lower, `${path}.lower`),
    upper: c.number(o.upper, `${path}.upper`),
    confidence: c.number(o.confidence, `${path}.confidence`, 0, 1),
    resamples: c.count(o.resamples, `${path}.resamples`),
  };
  if (ci.lower > ci.upper) throw c.fail(`${path}.upper`, `a number >= lower (${ci.lower})`, ci.upper);
  return ci;
}

function checkLossPoint(c: FieldChecker, value: unknown, path: string): LossPoint {
  const o = c.object(value, path, ['step', 'loss']);
  return { step: c.count(o.step, `${path}.step`), loss: c.number(o.loss, `${path}.loss`) };
}

function checkValidation(c: FieldChecker, value: unknown, path: string): ValidationCurve {
  const o = c.object(value, path, ['metric', 'history', 'bestEpoch']);
  return {
    metric: c.string(o.metric, `${path}.metric`),
    history: c.array(o.history, `${path}.history`, (x, q) => checkRecord(c, x, q)),
    ...c.optional(o, 'bestEpoch', (v, p) => c.count(v, `${path}.${p}`)),
  };
}

function checkRecord(c: FieldChecker, value: unknown, path: string): ValidationRecord {
  const o = c.object(value, path, ['epoch', 'step', 'value', 'trainLoss']);
  return {
    epoch: c.count(o.epoch, `${path}.epoch`),
    step: c.count(o.step, `${path}.step`),
    value: c.number(o.value, `${path}.value`),
    trainLoss: c.number(o.trainLoss, `${path}.trainLoss`),
  };
}

function checkExposure(c: FieldChecker, value: unknown, path: string): ItemExposure {
  const o = c.object(value, path, ['item', 'trainCount', 'recommended']);
  return {
    item: c.string(o.item, `${path}.item`),
    trainCount: c.count(o.trainCount, `${path}.trainCount`),
    recommended: c.count(o.recommended, `${path}.recommended`),
  };
}

function checkFairness(c: FieldChecker, value: unknown, path: string): FairnessEntry {
  const o = c.object(value, path, ['attribute', 'metric', 'report']);
  const attribute = c.string(o.attribute, `${path}.attribute`);
  const metric = c.string(o.metric, `${path}.metric`);
  const r = c.object(o.report, `${path}.report`, ['groups', 'gap', 'ratio']);
  const groups = c.array(r.groups, `${path}.report.groups`, (x, q) => checkGroup(c, x, q));
  if (groups.length === 0) throw c.fail(`${path}.report.groups`, 'a non-empty array of groups', r.groups);
  const report = { groups, gap: c.number(r.gap, `${path}.report.gap`, 0), ratio: c.number(r.ratio, `${path}.report.ratio`) };
  return { attribute, metric, report };
}

function checkGroup(c: FieldChecker, value: unknown, path: string): GroupStat {
  const o = c.object(value, path, ['group', 'count', 'mean']);
  return { group: c.string(o.group, `${path}.group`), count: c.count(o.count, `${path}.count`), mean: c.number(o.mean, `${path}.mean`) };
}

/** One message format for every field: "Expected <path> in <source> to be <what> but found <value>". */
class FieldChecker {
  constructor(private readonly source: string) {}

  fail(path: string, expected: string, value: unknown): SeqrecError {
    return new SeqrecError('E_INVALID_DATA', `Expected ${path} in ${this.source} to be ${expected} but found ${shown(value)}`, {
      source: this.source,
      field: path,
    });
  }

  /** A plain object; with `known`, any other key throws, suggesting the closest known one. */
  object(value: unknown, path: string, known?: readonly string[]): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw this.fail(path, 'an object', value);
    const o = value as Record<string, unknown>;
    const extra = known && Object.keys(o).find((k) => !known.includes(k));
    if (extra !== undefined) throw this.unknownField(path === 'report' ? extra : `${path}.${extra}`, closest(extra, known!), known!);
    return o;
  }

  private unknownField(path: string, guess: string | undefined, known: readonly string[]): SeqrecError {
    const hint = guess ? ` (did you mean ${guess}?)` : '';
    return new SeqrecError('E_INVALID_DATA', `Unknown field ${path} in ${this.source}${hint}; known fields there: ${known.join(', ')}`, {
      source: this.source,
      field: path,
      suggestion: guess,
    });
  }

  array<T>(value: unknown, path: string, each: (item: unknown, path: string) => T): T[] {
    if (!Array.isArray(value)) throw this.fail(path, 'an array', value);
    return value.map((item, i) => each(item, `${path}[${i}]`));
  }

  /** `{ [key]: check(o[key]) }` when the key is present, `{}` when absent, for spreading into the result. */
  optional<K extends string, T>(o: Record<string, unknown>, key: K, check: (value: unknown, key: K) => T): { [P in K]?: T } {
    return o[key] === undefined ? {} : ({ [key]: check(o[key], key) } as { [P in K]?: T });
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') throw this.fail(path, 'a string', value);
    return value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') throw this.fail(path, 'a boolean', value);
    return value;
  }

  number(value: unknown, path: string, min = -Infinity, max = Infinity): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      const bounds = [Number.isFinite(min) ? ` >= ${min}` : '', Number.isFinite(max) ? ` <= ${max}` : ''].filter(Boolean).join(' and');
      throw this.fail(path, `a finite number${bounds}`, value);
    }
    return value;
  }

  /** A nonnegative integer: counts, steps, epochs. */
  count(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw this.fail(path, 'an integer >= 0', value);
    return value;
  }

  /** An ISO 8601 date, or date and time with a zone: without one, the shown UTC time would depend on the reader's zone. */
  isoDate(value: unknown, path: string): string {
    const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
    if (typeof value !== 'string' || !iso.test(value) || Number.isNaN(Date.parse(value))) {
      throw this.fail(path, 'an ISO 8601 date, or date and time with a zone, such as "2024-05-01T12:00:00Z"', value);
    }
    return value;
  }
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  // JSON would show NaN and Infinity as null, hiding what went wrong.
  const text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  return `${text.length > 60 ? `${text.slice(0, 57)}...` : text} of type ${type}`;
}
