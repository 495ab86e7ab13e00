/**
 * ReportData from what a run produced: the model's evaluation (table, top-K lists, fairness), the training
 * data's item counts (exposure vs popularity) and, when available, the training losses and validation curve.
 * The CLI's `evaluate` and the benchmark scripts both build their reports here.
 */
import type { Dataset } from '../data/dataset.js';
import { exposureCounts } from '../eval/beyond-accuracy.js';
import type { Evaluation } from '../eval/evaluate.js';
import type { ValidationSummary } from '../train/validation.js';
import type { LossPoint, ReportData } from './data.js';

/** plotted points of the training-loss curve */
const LOSS_POINTS = 500;

export interface ReportSource {
  title: string;
  /** e.g. 'leave-one-out, full ranking over 3416 items, seen items excluded' */
  protocol: string;
  datasetName: string;
  /** the whole dataset (its sizes are reported) */
  dataset: Dataset;
  /** the training split: item popularity for the exposure plot */
  train: Dataset;
  evaluation: Evaluation;
  model: { architecture: string; config: Record<string, unknown>; parameters?: number; itemIds?: readonly string[] };
  /** per-step training losses and the validation summary, from fit() */
  training?: { losses: ArrayLike<number>; trainSeconds: number; validation?: ValidationSummary };
}

export function reportData(s: ReportSource): ReportData {
  const { evaluation, training } = s;
  const counts = s.train.itemCounts();
  const shown = evaluation.top ? exposureCounts(evaluation.top) : undefined;
  const ids = s.model.itemIds;
  return {
    title: s.title,
    generatedAt: new Date().toISOString(),
    protocol: s.protocol,
    dataset: { name: s.datasetName, users: s.dataset.numUsers, items: s.dataset.numItems, interactions: s.dataset.numInteractions },
    model: {
      architecture: s.model.architecture,
      config: s.model.config,
      ...(s.model.parameters !== undefined && { parameters: s.model.parameters }),
      ...(training && { trainSeconds: training.trainSeconds }),
    },
    table: evaluation.table ?? [],
    ...(training && training.losses.length > 0 && { trainLoss: downsample(training.losses) }),
    ...(training?.validation && {
      validation: { metric: training.validation.metric, history: training.validation.history, bestEpoch: training.validation.best.epoch },
    }),
    ...(shown && {
      exposure: Array.from({ length: s.dataset.numItems }, (_, i) => ({
        item: ids?.[i + 1] ?? String(i + 1),
        trainCount: counts[i + 1]!,
        recommended: shown[i + 1]!,
      })),
    }),
    ...(evaluation.fairness && { fairness: evaluation.fairness }),
  };
}

/** At most LOSS_POINTS points: the mean loss of equal runs of steps, at the run's last step. */
function downsample(losses: ArrayLike<number>): LossPoint[] {
  const every = Math.max(1, Math.ceil(losses.length / LOSS_POINTS));
  const out: LossPoint[] = [];
  for (let at = 0; at < losses.length; at += every) {
    const end = Math.min(losses.length, at + every);
    let sum = 0;
    for (let i = at; i < end; i++) sum += losses[i]!;
    out.push({ step: end, loss: sum / (end - at) });
  }
  return out;
}
