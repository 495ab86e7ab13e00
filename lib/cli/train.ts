/**
 * `seqrec train`: read interactions, hold out validation and test targets (leave-one-out or temporal),
 * fit with early stopping on the validation metric, and save the model (with the data's item ids) plus a
 * `.train.json` beside it holding the learning curves that `seqrec evaluate` puts into the report.
 * Settings the command line leaves out come from the data (lib/train/auto-settings.ts).
 * The checkpoint also carries the command's configuration, so an interrupted run (Ctrl-C) is saved as
 * it stood (last completed step, best validated weights) and `seqrec train --resume <file>` continues
 * it exactly, with nothing else on the command line.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { checkWritable, writeFileAtomic } from '../io/atomic.js';
import type { Dataset, EvalSet } from '../data/dataset.js';
import { SeqrecError, isSeqrecError } from '../errors.js';
import { BERT4Rec, SASRec, loadModel } from '../models/sasrec.js';
import { suggestSettings } from '../train/auto-settings.js';
import type { FitSummary } from '../train/fit-run.js';
import type { ValidationSummary } from '../train/validation.js';
import { loadConfig, type Config } from './config.js';
import { encodeItemText, type ItemTextSummary } from './item-text.js';
import { loadData } from './load-data.js';
import type { Progress } from './progress.js';

export interface TrainHistory {
  /** loss of every optimizer step */
  losses: number[];
  validation?: ValidationSummary;
  steps: number;
  trainSeconds: number;
  /** the run was interrupted at `steps` and saved to be resumed */
  interrupted?: boolean;
}

/** Checkpoint metadata key of the command's configuration (what `--resume` runs again). */
const CLI_CONFIG = 'seqrec.cli.config';

export interface TrainResult {
  model: string;
  /** the run was interrupted (Ctrl-C) after `steps` and saved for `seqrec train --resume` */
  interrupted?: { steps: number; totalSteps: number };
  dataset: { name: string; users: number; items: number; interactions: number; dropped: Record<string, number> };
  steps: number;
  trainSeconds: number;
  validation?: { metric: string; best: number; bestEpoch: number; stoppedEarly: boolean };
  /** the item text the model reads, when data.items was given */
  text?: ItemTextSummary;
  /** settings the data chose (lib/train/auto-settings.ts), each with the rule's reading: those not given */
  fromData: Record<string, string>;
}

/** The sidecar file of a model's learning curves: `m.safetensors` → `m.train.json`. */
export function historyPath(modelPath: string): string {
  return `${modelPath.replace(/\.safetensors$/, '')}.train.json`;
}

/** Train/valid/test by the configured protocol; leave-one-out by default. */
export function splitData(dataset: Dataset, split: NonNullable<Config['data']>['split']): { train: Dataset; valid: EvalSet; test: EvalSet } {
  return split === 'temporal' ? dataset.split('temporal', {}) : dataset.split('leave-one-out');
}

/**
 * Train as `config` says and save to `out`; or, with `resume`, continue the run saved in that checkpoint
 * with the configuration it carries. When `signal` aborts (Ctrl-C) the run is saved as it stood and the
 * result says `interrupted`. `distributed`: this process is one rank of a distributed fit (the
 * environment says which); every rank trains the same model, rank 0 alone saves it.
 */
export async function runTrain(
  config: Config,
  out: string,
  progress: Progress,
  signal: AbortSignal,
  resume?: string,
  distributed = false,
): Promise<TrainResult> {
  const saves = !distributed || process.env.RANK === '0';
  await checkWritable(out, resume ? '--out (default: the resumed checkpoint)' : '--out');
  await using resumed = resume === undefined ? undefined : await loadModel(resume);
  if (resumed) config = await resumedConfig(resumed.checkpointMetadata, resume!);
  progress.start('reading');
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
  const t = config.train ?? {};
  const auto = suggestSettings(train);
  const fromData: Record<string, string> = {};
  /** The given value, else the data's (its reason recorded). */
  const chosen = <T>(given: T | undefined, name: string, value: T): T => {
    if (given !== undefined) return given;
    if (auto.reasons[name]) fromData[name] = auto.reasons[name]!;
    return value;
  };
  const sizes = {
    maxLen: chosen(modelOptions.maxLen, 'maxLen', auto.model.maxLen),
    dim: chosen(modelOptions.dim, 'dim', auto.model.dim),
    dropout: chosen(modelOptions.dropout, 'dropout', auto.model.dropout),
  };
  const Model = arch === 'bert4rec' ? BERT4Rec : SASRec;
  await using created = resumed
    ? undefined
    : await Model.create({ items: dataset.numItems, ...modelOptions, ...sizes, ...(text && { textDim: text.vectors.dim }) });
  const model = resumed ?? created!;
  if (text && !resumed) await model.setItemText(text.vectors); // a checkpoint holds its text
  const stepsBefore = model.info().trainStep;
  const run = model.fit(train, {
    epochs: chosen(t.epochs, 'epochs', auto.fit.epochs),
    batchSize: t.batchSize ?? auto.fit.batchSize,
    lr: t.lr ?? auto.fit.lr,
    weightDecay: t.weightDecay ?? auto.fit.weightDecay,
    warmupSteps: t.warmupSteps ?? auto.fit.warmupSteps,
    schedule: t.schedule ?? auto.fit.schedule,
    ...(t.schedule === undefined && { minLrRatio: auto.fit.minLrRatio }),
    ...(t.loss !== undefined && { loss: t.loss }),
    ...(t.negatives !== undefined && { negatives: t.negatives }),
    ...(t.gbceT !== undefined && { gbceT: t.gbceT }),
    ...(t.contrastive !== undefined && { contrastive: { weight: t.contrastive } }),
    ...(t.idDropout !== undefined && { idDropout: t.idDropout }),
    validation: {
      data: valid,
      every: t.validateEvery ?? auto.fit.validateEvery,
      patience: t.patience ?? auto.fit.patience,
      ...(t.metric !== undefined && { metric: t.metric }),
    },
    resume: resumed !== undefined,
    signal,
    ...(distributed && { distributed: true }),
  });
  let totalSteps = 0;
  let summary: FitSummary | undefined;
  let interrupted: TrainResult['interrupted'];
  try {
    for await (const p of run) {
      if (totalSteps === 0) progress.start('training', p.totalSteps);
      totalSteps = p.totalSteps;
      progress.update(p.step, `epoch ${p.epoch} loss ${p.loss.toFixed(4)}`);
    }
    summary = await run;
  } catch (e) {
    // Ctrl-C: keep the run as it stood (the model holds its last completed step) instead of throwing it away
    if (!isSeqrecError(e, 'E_ABORTED') || !signal.aborted) throw e;
    summary = e.details.summary as FitSummary | undefined; // none when stopped between validation and the next epoch
    interrupted = { steps: model.info().trainStep, totalSteps: summary?.totalSteps || totalSteps };
  } finally {
    progress.stop();
  }
  const earlier = resume === undefined ? [] : await earlierLosses(resume, stepsBefore);
  if (saves) await model.save(out, { metadata: { [CLI_CONFIG]: JSON.stringify(absolutePaths(config)) } });
  const history: TrainHistory = {
    losses: [...earlier, ...Array.from(summary?.losses ?? [])],
    steps: model.info().trainStep,
    trainSeconds: summary?.elapsedSec ?? 0,
    ...(summary?.validation && { validation: summary.validation }),
    ...(interrupted && { interrupted: true }),
  };
  if (saves) await writeFileAtomic(historyPath(out), `${JSON.stringify(history)}\n`);
  const v = summary?.validation;
  return {
    model: out,
    ...(interrupted && { interrupted }),
    dataset: { name: data.name, users: dataset.numUsers, items: dataset.numItems, interactions: dataset.numInteractions, dropped: data.dropped },
    steps: history.steps,
    trainSeconds: history.trainSeconds,
    ...(v && { validation: { metric: v.metric, best: v.best.value, bestEpoch: v.best.epoch, stoppedEarly: v.stoppedEarly } }),
    ...(text && { text: text.summary }),
    fromData: resumed ? {} : fromData,
  };
}

/** The configuration a checkpoint written by `seqrec train` carries, validated as a config file would be. */
async function resumedConfig(metadata: Readonly<Record<string, string>>, path: string): Promise<Config> {
  const stored = metadata[CLI_CONFIG];
  if (stored === undefined) {
    throw new SeqrecError(
      'E_INVALID_OPTION',
      `--resume: ${path} was not written by \`seqrec train\`, so it holds no command to continue; resume it from the library with fit(…, { resume: true })`,
      { option: 'resume', file: path },
    );
  }
  return loadConfig(undefined, JSON.parse(stored) as Config);
}

/**
 * The losses of the run's first `steps` steps, from the `.train.json` the interrupted run wrote beside its
 * checkpoint; [] when that file is gone or is not the record of those steps (the curve then starts later).
 */
async function earlierLosses(checkpoint: string, steps: number): Promise<number[]> {
  const text = await readFile(historyPath(checkpoint), 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  const history = JSON.parse(text) as Partial<TrainHistory>;
  return history.interrupted === true && Array.isArray(history.losses) && history.losses.length === steps ? history.losses : [];
}

/** Paths made absolute, so `--resume` works from any directory. */
function absolutePaths(config: Config): Config {
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(p));
  const { data, model } = config;
  return {
    ...config,
    ...(data && { data: { ...data, path: abs(data.path), items: abs(data.items), itemIdMap: abs(data.itemIdMap), userIdMap: abs(data.userIdMap) } }),
    ...(model && { model: { ...model, textCache: abs(model.textCache), textEncoder: model.textEncoder === 'hashing' ? 'hashing' : abs(model.textEncoder) } }),
  };
}
