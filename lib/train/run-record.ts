/**
 * The record of a training run that makes `fit({ resume: true })` exact: every resolved option that
 * changes the numbers (the schedule, the optimizer, the batches, what trains, the validation
 * protocol), fingerprints of the training and validation data, the validations done so far, and
 * whether the run completed. fit() starts one per run and keeps it up to date; checkpoints carry it
 * (metadata "run"), so a run interrupted in one process resumes exactly in another.
 *
 * The rule for resuming: only `progressEvery`, `onProgress` and `signal` may differ from the run
 * being resumed. Any other difference is E_INVALID_OPTION naming the option and both values.
 */
import { createHash } from 'node:crypto';
import type { EvalSet } from '../data/dataset.js';
import { SeqrecError } from '../errors.js';
import type { AddonFitRequest, AddonModelState } from '../native/raw.js';
import type { ResolvedValidation, ValidationRecord } from './validation.js';

/** Option name (as the user writes it in fit's options) → its resolved value. */
type Locked = Record<string, string | number | boolean | null>;

export interface RunRecord {
  options: Locked;
  /** validations so far, oldest first (empty without validation) */
  history: ValidationRecord[];
  /** losses of the steps since the last validation, so a resumed run reports the same mean train loss */
  sinceValidation: number[];
  /** the run ended (all steps, or stopped early); a complete run cannot be resumed */
  complete: boolean;
}

/** The best validated weights of a run in progress, and how to put them back. */
export interface BestWeights {
  /** the whole model state (base runs), which checkpoints of the unfinished run carry; adapters are saved apart */
  state?: AddonModelState;
  restore: () => Promise<void>;
}

/** The options and data of a fit, in the form a RunRecord keeps and compares. */
export function lockedOptions(request: AddonFitRequest, validation: ResolvedValidation | undefined): Locked {
  const r = request;
  return {
    data: fingerprint([r.offsets, r.items]),
    steps: r.maxSteps > 0 ? r.maxSteps : null,
    epochs: r.maxSteps > 0 ? null : r.epochs,
    batchSize: r.batchSize * r.worldSize, // the whole batch: a run resumes exactly on any number of ranks that divides it
    accumulate: r.accumSteps,
    lr: r.lr,
    warmupSteps: r.warmupSteps,
    schedule: r.decay,
    minLrRatio: r.minLrRatio,
    weightDecay: r.weightDecay,
    'betas[0]': r.beta1,
    'betas[1]': r.beta2,
    eps: r.eps,
    optimizerImpl: r.foreachAdamW ? 'foreach' : 'auto',
    clipNorm: r.clipNorm,
    lossChunkBytes: r.lossChunkBytes,
    maskProb: r.maskProb,
    idDropout: r.idDropout,
    adapter: r.adapter,
    'freeze.embeddings': r.freezeEmbeddings,
    'freeze.blocks': r.freezeBlocks,
    'freeze.biasAndNormOnly': r.biasAndNormOnly,
    loss: r.loss,
    negatives: r.loss === 'ce' ? null : r.negatives,
    gbceT: r.loss === 'gbce' ? r.gbceT : null,
    'fairness.groups': r.groupOfUser.length > 0 ? fingerprint([r.groupOfUser]) : null,
    'fairness.weight': r.groupOfUser.length > 0 ? r.groupGapWeight : null,
    'validation.data': validation ? fingerprint([validation.data.offsets, validation.data.items, validation.data.targets]) : null,
    'validation.every': validation?.every ?? null,
    'validation.metric': validation?.metric ?? null,
    'validation.patience': validation?.patience ?? null,
    'validation.restoreBest': validation?.restoreBest ?? null,
  };
}

/** E_INVALID_OPTION unless `options` (of a fit with resume: true) are those of the run it resumes. */
export function checkResume(run: RunRecord | undefined, options: Locked, step: number): void {
  if (!run) {
    throw new SeqrecError(
      'E_INVALID_OPTION',
      'fit({ resume: true }): the model holds no record of the run to resume (a checkpoint written before seqrec 0.1 run records, or state imported by hand); start a new run',
      { option: 'resume' },
    );
  }
  if (run.complete) {
    throw new SeqrecError('E_INVALID_OPTION', `fit({ resume: true }): the run is complete (step ${step}); start a new one without resume`, {
      option: 'resume',
    });
  }
  for (const [name, was] of Object.entries(run.options)) {
    const now = options[name] ?? null;
    if (now === was) continue;
    const what =
      name === 'data' || name === 'validation.data'
        ? `the ${name === 'data' ? 'training' : 'validation'} data differ from`
        : `options.${name} is ${show(now)}, but`;
    const usedOr = name === 'data' || name === 'validation.data' ? 'those of' : `used ${show(was)} in`;
    throw new SeqrecError(
      'E_INVALID_OPTION',
      `fit({ resume: true }): ${what} ${usedOr} the run being resumed; a resumed run must repeat every option except progressEvery, onProgress and signal`,
      { option: name === 'data' ? 'data' : `options.${name}`, resumed: was, given: now },
    );
  }
}

/** Checkpoint metadata form, and back (E_CHECKPOINT naming the file when it is malformed). */
export function encodeRun(run: RunRecord): string {
  return JSON.stringify(run);
}

export function decodeRun(text: string, file: string): RunRecord {
  const fail = (why: string) => new SeqrecError('E_CHECKPOINT', `${file} is not a seqrec checkpoint: metadata.run ${why}`, { file, field: 'metadata.run' });
  let run: unknown;
  try {
    run = JSON.parse(text);
  } catch {
    throw fail('is not JSON');
  }
  const r = run as Partial<RunRecord>;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.options !== 'object' ||
    r.options === null ||
    !Array.isArray(r.history) ||
    typeof r.complete !== 'boolean'
  ) {
    throw fail('is not a run record ({ options, history, sinceValidation, complete })');
  }
  if (!Array.isArray(r.sinceValidation) || !r.sinceValidation.every(Number.isFinite)) throw fail('has a sinceValidation that is not a list of losses');
  for (const v of Object.values(r.options))
    if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) throw fail('has an option that is not a plain value');
  for (const h of r.history) {
    if (typeof h !== 'object' || h === null || !['epoch', 'step', 'value'].every((k) => Number.isFinite((h as unknown as Record<string, unknown>)[k])))
      throw fail('has a malformed validation record');
  }
  return r as RunRecord;
}

/** sha256 of typed arrays' bytes (a few ms for ML-1M): tells two datasets apart. */
function fingerprint(arrays: Array<Int32Array | Uint8Array | EvalSet['targets']>): string {
  const hash = createHash('sha256');
  for (const a of arrays) {
    hash.update(String(a.length));
    hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return hash.digest('hex').slice(0, 32);
}

function show(v: unknown): string {
  return v === null ? 'unset' : JSON.stringify(v);
}
