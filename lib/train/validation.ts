/**
 * Validation during fit(): which metric on which held-out set, how often, when to stop early and
 * whether to end with the best weights. The loop itself lives in ./fit.ts: it trains epoch
 * segments of one resumable run (native untilEpoch) and evaluates between them.
 */
import type { EvalSet } from '../data/dataset.js';
import { checkEvalSet } from '../eval/eval-set.js';
import { resolveMetric } from '../eval/registry.js';
import { boolean, integer, invalid, noUnknownKeys, optionsObject } from '../validate.js';

export interface ValidationOptions {
  /** (EvalSet) held-out targets, e.g. split('leave-one-out').valid. Required. */
  data: EvalSet;
  /** (int) validate every this many epochs. Default 1. */
  every?: number;
  /** (str) rank metric to maximise, e.g. 'ndcg@10', 'hr@20', 'mrr', 'map@10'. Default 'ndcg@10'. */
  metric?: string;
  /** (int) stop after this many validations without improvement; 0 never stops early. Default 5. */
  patience?: number;
  /** (bool) end with the weights (and optimizer state) of the best validation. Default true. */
  restoreBest?: boolean;
}

export interface ResolvedValidation {
  data: EvalSet;
  every: number;
  metric: string;
  patience: number;
  restoreBest: boolean;
}

export interface ValidationRecord {
  /** epochs trained when validated */
  epoch: number;
  /** optimizer steps done when validated */
  step: number;
  /** the monitored metric */
  value: number;
  /** mean training loss of the steps since the previous validation */
  trainLoss: number;
}

export interface ValidationSummary {
  metric: string;
  /** one record per validation: the learning curve */
  history: ValidationRecord[];
  best: ValidationRecord;
  stoppedEarly: boolean;
  /** the model ended with the best validated weights */
  restored: boolean;
}

export const VALIDATION_DEFAULTS = { every: 1, metric: 'ndcg@10', patience: 5, restoreBest: true } as const;

/** `raw` checked, for a model of `numItems` items, with every default filled in; undefined without validation. */
export function resolveValidation(raw: unknown, numItems: number): ResolvedValidation | undefined {
  if (raw === undefined) return undefined;
  const o = optionsObject('options.validation', raw) as unknown as ValidationOptions;
  noUnknownKeys('options.validation', o, ['data', 'every', 'metric', 'patience', 'restoreBest']);
  const data = checkEvalSet('options.validation.data', o.data, numItems);
  const metric = o.metric ?? VALIDATION_DEFAULTS.metric;
  const expected = 'a rank metric to maximise, e.g. "ndcg@10"';
  const spec = resolveMetric(metric, 'options.validation.metric');
  if (spec.kind !== 'rank' || !spec.higherIsBetter) throw invalid('options.validation.metric', expected, metric);
  return {
    data,
    every: integer('options.validation.every', o.every ?? VALIDATION_DEFAULTS.every, 1, 1e9),
    metric,
    patience: integer('options.validation.patience', o.patience ?? VALIDATION_DEFAULTS.patience, 0, 1e9),
    restoreBest: boolean('options.validation.restoreBest', o.restoreBest ?? VALIDATION_DEFAULTS.restoreBest),
  };
}
