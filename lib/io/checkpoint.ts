/**
 * Checkpoints: one safetensors file holding the parameters ("model.*"), the AdamW moments
 * ("optim.*") and, in its metadata, the resolved config, the run's step counter and its record
 * (lib/train/run-record.ts). Batches and dropout are pure functions of (seed, step), so
 * (config.seed, trainStep) is the whole RNG state. A run saved before it completed also holds its
 * best validated state ("best.model.*", "best.optim.*", metadata bestTrainStep / bestHasOptimizer).
 * The caller's own string metadata travels as JSON under "userMetadata". Written atomically
 * (temporary file, fsync, rename); read back with every field checked. saveModel and restoreModel
 * move a model's core (lib/models/core.ts) to and from one.
 */
import { SeqrecError } from '../errors.js';
import { type ModelConfig, checkStoredConfig } from '../models/config.js';
import type { ModelCore } from '../models/core.js';
import type { AddonModelState } from '../native/raw.js';
import { invalid, noUnknownKeys, optionsObject } from '../validate.js';
import { decodeRun, encodeRun, type RunRecord } from '../train/run-record.js';
import { readSafetensors, writeSafetensors, type SafetensorsDtype } from './safetensors.js';

const FORMAT = 'seqrec-checkpoint';
const FORMAT_VERSION = '1';

export interface Checkpoint {
  config: ModelConfig;
  state: AddonModelState;
  /** (V+1) the user's id of each dense item, [0] unused, so recommendations come back in their vocabulary */
  itemIds?: readonly string[];
  run?: RunRecord;
  /** the best validated state of an unfinished run */
  best?: AddonModelState;
  metadata?: Record<string, string>;
}

const BEST = 'best.';

/** model.save(path, options): the core's state, item ids, run record (with the best weights while it is unfinished) and options.metadata. */
export async function saveModel(core: ModelCore, path: string, options: unknown): Promise<void> {
  const o = optionsObject('options', options) as { signal?: AbortSignal; metadata?: Record<string, string> };
  noUnknownKeys('options', o, ['signal', 'metadata']);
  for (const [key, value] of Object.entries(optionsObject('options.metadata', o.metadata))) {
    if (typeof value !== 'string') throw invalid(`options.metadata.${key}`, 'a string', value);
  }
  const state = await core.exportState();
  const { config, itemIds, run } = core;
  const best = run && !run.complete ? core.best?.state : undefined;
  await writeCheckpoint(
    path,
    { config, state, ...(itemIds && { itemIds }), ...(run && { run }), ...(best && { best }), ...(o.metadata && { metadata: o.metadata }) },
    { ...(o.signal && { signal: o.signal }) },
  );
}

/**
 * Put a checkpoint read by readCheckpoint into the core of a new model of its config. With
 * `inference`, the run is left behind: no optimizer moments, no best-weights copy, no run record.
 */
export async function restoreModel(core: ModelCore, checkpoint: Checkpoint, { inference = false } = {}): Promise<void> {
  const { state, itemIds, run, best, metadata } = checkpoint;
  core.itemIds = itemIds;
  core.metadata = metadata ?? {};
  if (inference) {
    await core.importState({ tensors: state.tensors.filter((t) => !t.name.startsWith('optim.')), hasOptimizer: false, trainStep: 0 });
    core.hasItemText = true;
    return;
  }
  core.run = run;
  if (best) core.best = { state: best, restore: () => core.importState(best) };
  await core.importState(state);
  core.hasItemText = true;
}

export async function writeCheckpoint(path: string, checkpoint: Checkpoint, options: { signal?: AbortSignal } = {}): Promise<void> {
  const { config, state, itemIds, run, best, metadata } = checkpoint;
  const tensors = [...state.tensors, ...(best?.tensors.map((t) => ({ ...t, name: BEST + t.name })) ?? [])];
  await writeSafetensors(
    path,
    {
      tensors: tensors.map((t) => ({ name: t.name, dtype: t.dtype as SafetensorsDtype, shape: t.shape, data: t.data })),
      metadata: {
        format: FORMAT,
        formatVersion: FORMAT_VERSION,
        config: JSON.stringify(config),
        trainStep: String(state.trainStep),
        hasOptimizer: String(state.hasOptimizer),
        rng: JSON.stringify({ kind: 'counter', seed: config.seed, step: state.trainStep }),
        ...(itemIds && { itemIds: JSON.stringify(itemIds) }),
        ...(run && { run: encodeRun(run) }),
        ...(best && { bestTrainStep: String(best.trainStep), bestHasOptimizer: String(best.hasOptimizer) }),
        ...(metadata && { userMetadata: JSON.stringify(metadata) }),
      },
    },
    options,
  );
}

export async function readCheckpoint(path: string): Promise<Checkpoint> {
  const file = await readSafetensors(path);
  const meta = file.metadata;
  const fail = (field: string, why: string) => new SeqrecError('E_CHECKPOINT', `${path} is not a seqrec checkpoint: ${field} ${why}`, { file: path, field });
  if (meta.format !== FORMAT) throw fail('metadata.format', `is ${JSON.stringify(meta.format)}, expected "${FORMAT}"`);
  if (meta.formatVersion !== FORMAT_VERSION) throw fail('metadata.formatVersion', `${JSON.stringify(meta.formatVersion)} is not supported`);
  let config: ModelConfig;
  try {
    config = checkStoredConfig(JSON.parse(meta.config ?? 'null'));
  } catch (e) {
    throw fail('metadata.config', `is invalid (${(e as Error).message})`);
  }
  const trainStep = Number(meta.trainStep);
  if (!Number.isSafeInteger(trainStep) || trainStep < 0) throw fail('metadata.trainStep', `is ${JSON.stringify(meta.trainStep)}`);
  if (meta.hasOptimizer !== 'true' && meta.hasOptimizer !== 'false') throw fail('metadata.hasOptimizer', `is ${JSON.stringify(meta.hasOptimizer)}`);
  const itemIds = meta.itemIds === undefined ? undefined : parseItemIds(meta.itemIds, config.items, fail);
  const run = meta.run === undefined ? undefined : decodeRun(meta.run, path);
  const metadata = meta.userMetadata === undefined ? undefined : parseMetadata(meta.userMetadata, fail);
  const tensors = file.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: t.data }));
  let best: AddonModelState | undefined;
  if (meta.bestTrainStep !== undefined) {
    const bestStep = Number(meta.bestTrainStep);
    if (!Number.isSafeInteger(bestStep) || bestStep < 0) throw fail('metadata.bestTrainStep', `is ${JSON.stringify(meta.bestTrainStep)}`);
    const bestTensors = tensors.filter((t) => t.name.startsWith(BEST)).map((t) => ({ ...t, name: t.name.slice(BEST.length) }));
    best = { tensors: bestTensors, hasOptimizer: meta.bestHasOptimizer === 'true', trainStep: bestStep };
  }
  return {
    config,
    ...(itemIds && { itemIds }),
    ...(run && { run }),
    ...(best && { best }),
    ...(metadata && { metadata }),
    state: { tensors: tensors.filter((t) => !t.name.startsWith(BEST)), hasOptimizer: meta.hasOptimizer === 'true', trainStep },
  };
}

function parseMetadata(text: string, fail: (field: string, why: string) => SeqrecError): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail('metadata.userMetadata', 'is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw fail('metadata.userMetadata', 'is not an object of strings');
  }
  return value as Record<string, string>;
}

function parseItemIds(text: string, items: number, fail: (field: string, why: string) => SeqrecError): string[] {
  let ids: unknown;
  try {
    ids = JSON.parse(text);
  } catch {
    throw fail('metadata.itemIds', 'is not JSON');
  }
  if (!Array.isArray(ids) || ids.length !== items + 1 || !ids.every((id) => typeof id === 'string')) {
    throw fail('metadata.itemIds', `is not an array of ${items + 1} strings (index 0 unused)`);
  }
  return ids as string[];
}
