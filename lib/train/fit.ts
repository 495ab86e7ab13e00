/**
 * fit()'s orchestration, on a model's core (lib/models/core.ts): the options checked, the run record
 * started or resumed (./run-record.ts), training on the native thread in one segment, or in epoch
 * segments with validation between them (./validation.ts), early stopping and the best weights kept
 * and restored at the end; for an end-to-end text fit, the BERT encoder attached for the run and
 * detached after it, its adapter returned in the summary. SequentialRecommender.fit delegates here.
 */
import type { Dataset } from '../data/dataset.js';
import { SeqrecError, callNative, withCallerStack } from '../errors.js';
import type { ModelCore } from '../models/core.js';
import type { SequentialRecommender } from '../models/recommender.js';
import type { AddonAdapterState, AddonFitRequest, AddonFitResult } from '../native/raw.js';
import { fromNativeAdapter } from '../text/bert-lora.js';
import { textTuneRequest } from '../text/bert-encoder.js';
import { resolveTextTuning, type ResolvedTextTuning } from '../text/text-tuning.js';
import { resolveFit, type FitProgress } from './fit-options.js';
import type { FitSummary, StepProfile } from './fit-run.js';
import { checkResume, lockedOptions, type BestWeights, type RunRecord } from './run-record.js';
import type { ResolvedValidation, ValidationRecord } from './validation.js';

/** Train until `untilEpoch` (0: the end of the run), continuing the run when `resume`. */
type Segment = (untilEpoch: number, resume: boolean) => Promise<AddonFitResult>;
type Aborted = (steps: number, totalSteps: number, summary?: FitSummary) => SeqrecError;

/**
 * Train `model` (whose core is `core`) on `data` with `options`; `push` gets every progress report,
 * errors carry `callerStack`. Validates with model.evaluate.
 */
export async function trainModel(
  core: ModelCore,
  model: SequentialRecommender,
  data: Dataset,
  options: unknown,
  push: (p: FitProgress) => void,
  callerStack: Error,
): Promise<FitSummary> {
  const native = core.native();
  const { config } = core;
  const { request, validation, signal, onProgress, textEncoder } = resolveFit(data, options, config);
  const tuning = textEncoder === undefined ? undefined : resolveTextTuning(textEncoder, config, request.resume);
  if (config.textDim > 0 && !core.hasItemText && !tuning) {
    throw new SeqrecError('E_INVALID_OPTION', `fit: the model has textDim ${config.textDim} but no item text yet; call setItemText(vectors) first`, {
      option: 'textDim',
    });
  }
  core.adapters.beginTraining(request.adapter);
  core.adoptItemIds(data);
  const aborted: Aborted = (steps, totalSteps, summary) =>
    withCallerStack(new SeqrecError('E_ABORTED', `fit() was aborted after step ${steps} of ${totalSteps}`, { summary }), callerStack);
  if (signal?.aborted) throw new SeqrecError('E_ABORTED', 'fit() was called with an already aborted signal');
  const locked = lockedOptions(request, validation);
  if (request.resume) checkResume(core.run, locked, native.info().trainStep);
  else {
    core.run = { options: locked, history: [], sinceValidation: [], complete: false };
    core.best = undefined;
  }
  const run = core.run!;
  let callbackError: unknown;
  const segment: Segment = async (untilEpoch, resume) => {
    const result = await core.track(
      callNative(() =>
        native.fit({ ...request, untilEpoch, resume }, (p) => {
          push(p);
          try {
            onProgress?.(p);
          } catch (e) {
            callbackError ??= e;
            native.abortFit();
          }
        }),
      ),
    );
    if (callbackError !== undefined) throw callbackError;
    return result;
  };
  const train = async (onBest: () => Promise<void>): Promise<FitSummary> => {
    let summary: FitSummary;
    if (!validation) {
      const result = await segment(0, request.resume);
      summary = summarize([result], request.profile);
      if (result.aborted) throw aborted(result.steps, result.totalSteps, summary);
    } else {
      const isAborted = () => signal?.aborted === true;
      summary = await trainValidated({ core, model, segment, request, validation, run, isAborted, aborted, onBest });
    }
    run.complete = true;
    core.best = undefined;
    return summary;
  };
  const onAbort = () => native.abortFit();
  signal?.addEventListener('abort', onAbort);
  try {
    return tuning ? await trainWithText(core, tuning, train) : await train(async () => undefined);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * An end-to-end text fit: the encoder is attached for the run (its vectors become the item text) and
 * detached after it, also when it fails; the summary's textAdapter is the adapter as trained, or the one
 * of the best validation when the best weights were restored.
 */
async function trainWithText(core: ModelCore, tuning: ResolvedTextTuning, train: (onBest: () => Promise<void>) => Promise<FitSummary>): Promise<FitSummary> {
  const native = core.native();
  const { encoder, request } = textTuneRequest(tuning.encoder, tuning.texts, tuning.lora, tuning.modules, tuning.itemsPerStep);
  await core.track(callNative(() => native.attachTextEncoder(encoder, request)));
  core.hasItemText = true; // attach wrote the encoder's vectors
  let bestText: AddonAdapterState | undefined; // the tuned encoder adapter of the best validation
  let summary: FitSummary | undefined;
  try {
    summary = await train(async () => {
      bestText = await core.track(callNative(() => native.textEncoderAdapter()));
    });
  } finally {
    const last = await core.track(callNative(() => native.detachTextEncoder()));
    if (summary) {
      const state = summary.validation?.restored && bestText ? bestText : last;
      summary.textAdapter = fromNativeAdapter(state, tuning.lora.targetModules, tuning.encoder.baseFingerprint);
    }
  }
  return summary;
}

interface ValidatedRun {
  core: ModelCore;
  model: SequentialRecommender;
  segment: Segment;
  request: AddonFitRequest;
  validation: ResolvedValidation;
  run: RunRecord;
  isAborted: () => boolean;
  aborted: Aborted;
  /** called after the best weights were kept, to keep what else belongs to them */
  onBest: () => Promise<void>;
}

/** Epoch segments of one resumable run, validated in between; early stopping and best-weight restore. */
async function trainValidated({ core, model, segment, request, validation: v, run, isAborted, aborted, onBest }: ValidatedRun): Promise<FitSummary> {
  const { adapter } = request;
  // A resumed run continues its validations: the same history, best and patience count.
  const history = run.history;
  let best: ValidationRecord | undefined = history.reduce<ValidationRecord | undefined>((b, r) => (!b || r.value > b.value ? r : b), undefined);
  let restoreBest = core.best?.restore;
  let sinceBest = best ? history.length - 1 - history.indexOf(best) : 0;
  let stoppedEarly = false;
  const segments: AddonFitResult[] = [];
  let last: AddonFitResult | undefined;
  const first = (history.at(-1)?.epoch ?? 0) + v.every;
  for (let epoch = first; ; epoch += v.every) {
    // aborted between segments (during a validation): the summary holds the steps done so far
    if (isAborted()) throw aborted(last?.steps ?? history.at(-1)?.step ?? 0, last?.totalSteps ?? 0, last && summarize(segments, request.profile));
    last = await segment(epoch, request.resume || epoch > first);
    segments.push(last);
    run.sinceValidation.push(...last.losses);
    if (last.aborted) throw aborted(last.steps, last.totalSteps, summarize(segments, request.profile));
    const { metrics } = await model.evaluate(v.data, { metrics: [v.metric], adapter: adapter || null });
    const since = run.sinceValidation.splice(0);
    const trainLoss = since.length ? since.reduce((a, b) => a + b, 0) / since.length : NaN;
    const record: ValidationRecord = { epoch, step: last.steps, value: metrics[v.metric]!, trainLoss };
    history.push(record);
    if (!best || record.value > best.value) {
      best = record;
      sinceBest = 0;
      if (v.restoreBest) {
        core.best = await snapshot(core, adapter);
        restoreBest = core.best.restore;
        await onBest();
      }
    } else {
      sinceBest++;
    }
    if (!last.paused) break;
    if (v.patience > 0 && sinceBest >= v.patience) {
      stoppedEarly = true;
      break;
    }
  }
  const end = last!; // the loop runs at least one segment
  const restored = restoreBest !== undefined && best!.step !== end.steps;
  if (restored) await restoreBest!();
  return { ...summarize(segments, request.profile), validation: { metric: v.metric, history, best: best!, stoppedEarly, restored } };
}

/**
 * The weights fit may restore: the adapter's factors when training one (adapters are saved apart, not
 * in checkpoints), else the whole model state, which checkpoints of the unfinished run carry.
 */
async function snapshot(core: ModelCore, adapter: string): Promise<BestWeights> {
  if (adapter) {
    const state = await core.adapters.snapshot(adapter);
    return { restore: () => core.adapters.restore(state) };
  }
  const state = await core.exportState();
  return { state, restore: () => core.importState(state) };
}

/** The summary of a fit call from its native segments (one, or one per validation): losses, time and profile add up. */
function summarize(segments: AddonFitResult[], profile: boolean): FitSummary {
  const result = segments.at(-1)!;
  const all = new Float32Array(segments.reduce((n, s) => n + s.losses.length, 0));
  segments.reduce((at, s) => (all.set(s.losses, at), at + s.losses.length), 0);
  const elapsedSec = segments.reduce((t, s) => t + s.elapsedSec, 0);
  return {
    steps: result.steps,
    totalSteps: result.totalSteps,
    losses: all,
    elapsedSec,
    sequencesPerSec: result.sequencesPerSec,
    parameterGroups: {
      decay: { parameters: result.decayParameters, tensors: result.decayTensors },
      noDecay: { parameters: result.noDecayParameters, tensors: result.noDecayTensors },
    },
    ...(profile && { profile: sumProfiles(segments.map((s) => s.profile)) }),
  };
}

function sumProfiles(profiles: StepProfile[]): StepProfile {
  const sum: StepProfile = { sampleSec: 0, forwardSec: 0, lossSec: 0, backwardSec: 0, optimizerSec: 0 };
  for (const p of profiles) for (const key of Object.keys(sum) as (keyof StepProfile)[]) sum[key] += p[key];
  return sum;
}
