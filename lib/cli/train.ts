/**
 * `seqrec train`: read interactions, hold out validation and test targets (leave-one-out or temporal),
 * fit with early stopping on the validation metric, and save the model (with the data's item ids) plus a
 * `.train.json` beside it holding the learning curves that `seqrec evaluate` puts into the report.
 */
import { writeFileAtomic } from '../io/atomic.js';
import type { Dataset, EvalSet } from '../data/dataset.js';
import { SeqrecError } from '../errors.js';
import { BERT4Rec, SASRec } from '../models/sasrec.js';
import type { ValidationSummary } from '../train/validation.js';
import type { Config } from './config.js';
import { encodeItemText, type ItemTextSummary } from './item-text.js';
import { loadData } from './load-data.js';
import type { Progress } from './progress.js';

export interface TrainHistory {
  /** loss of every optimizer step */
  losses: number[];
  validation?: ValidationSummary;
  steps: number;
  trainSeconds: number;
}

export interface TrainResult {
  model: string;
  dataset: { name: string; users: number; items: number; interactions: number; dropped: Record<string, number> };
  steps: number;
  trainSeconds: number;
  validation?: { metric: string; best: number; bestEpoch: number; stoppedEarly: boolean };
  /** the item text the model reads, when data.items was given */
  text?: ItemTextSummary;
}

/** The sidecar file of a model's learning curves: `m.safetensors` → `m.train.json`. */
export function historyPath(modelPath: string): string {
  return `${modelPath.replace(/\.safetensors$/, '')}.train.json`;
}

/** Train/valid/test by the configured protocol; leave-one-out by default. */
export function splitData(dataset: Dataset, split: NonNullable<Config['data']>['split']): { train: Dataset; valid: EvalSet; test: EvalSet } {
  return split === 'temporal' ? dataset.split('temporal', {}) : dataset.split('leave-one-out');
}

export async function runTrain(config: Config, out: string, progress: Progress, signal: AbortSignal): Promise<TrainResult> {
  progress.start('reading', 0);
  const data = await loadData(config.data, (lines) => progress.update(lines, 'lines'));
  progress.stop();
  const text = await encodeItemText(data.dataset, config, progress, signal);
  const dataset = text?.dataset ?? data.dataset;
  const { train, valid } = splitData(dataset, config.data?.split);
  if (valid.targets.length === 0) {
    const why = config.data?.split === 'temporal' ? 'no user has events on both sides of the validation cut' : 'no user has the 3 events leave-one-out needs';
    throw new SeqrecError('E_INVALID_DATA', `${data.name}: nothing to validate on: ${why}`, { file: config.data?.path });
  }
  const { arch = 'sasrec', textEncoder: _encoder, textCache: _cache, ...modelOptions } = config.model ?? {};
  const Model = arch === 'bert4rec' ? BERT4Rec : SASRec;
  await using model = await Model.create({ items: dataset.numItems, ...modelOptions, ...(text && { textDim: text.vectors.dim }) });
  if (text) await model.setItemText(text.vectors);
  const t = config.train ?? {};
  const run = model.fit(train, {
    ...(t.epochs !== undefined && { epochs: t.epochs }),
    ...(t.batchSize !== undefined && { batchSize: t.batchSize }),
    ...(t.lr !== undefined && { lr: t.lr }),
    ...(t.weightDecay !== undefined && { weightDecay: t.weightDecay }),
    ...(t.warmupSteps !== undefined && { warmupSteps: t.warmupSteps }),
    ...(t.schedule !== undefined && { schedule: t.schedule }),
    ...(t.idDropout !== undefined && { idDropout: t.idDropout }),
    validation: { data: valid, every: t.validateEvery ?? 1, patience: t.patience ?? 5, ...(t.metric !== undefined && { metric: t.metric }) },
    signal,
  });
  let started = false;
  for await (const p of run) {
    if (!started) progress.start('training', p.totalSteps);
    started = true;
    progress.update(p.step, `epoch ${p.epoch} loss ${p.loss.toFixed(4)}`);
  }
  const summary = await run;
  progress.stop();
  await model.save(out, { signal });
  const history: TrainHistory = { losses: Array.from(summary.losses), steps: summary.steps, trainSeconds: summary.elapsedSec, ...(summary.validation && { validation: summary.validation }) };
  await writeFileAtomic(historyPath(out), `${JSON.stringify(history)}\n`, { signal });
  const v = summary.validation;
  return {
    model: out,
    dataset: { name: data.name, users: dataset.numUsers, items: dataset.numItems, interactions: dataset.numInteractions, dropped: data.dropped },
    steps: summary.steps,
    trainSeconds: summary.elapsedSec,
    ...(v && { validation: { metric: v.metric, best: v.best.value, bestEpoch: v.best.epoch, stoppedEarly: v.stoppedEarly } }),
    ...(text && { text: text.summary }),
  };
}
