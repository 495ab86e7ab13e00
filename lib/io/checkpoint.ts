/**
 * Checkpoints: one safetensors file holding the parameters ("model.*"), the AdamW moments
 * ("optim.*") and, in its metadata, the resolved config and the run's step counter. Batches and
 * dropout are pure functions of (seed, step), so (config.seed, trainStep) is the whole RNG state.
 * Written atomically (temporary file, fsync, rename); read back with every field checked.
 */
import { SeqrecError } from '../errors.js';
import { type ModelConfig, checkStoredConfig } from '../models/config.js';
import type { AddonModelState } from '../native/raw.js';
import { readSafetensors, writeSafetensors, type SafetensorsDtype } from './safetensors.js';

const FORMAT = 'seqrec-checkpoint';
const FORMAT_VERSION = '1';

export interface Checkpoint {
  config: ModelConfig;
  state: AddonModelState;
  /** (V+1) the user's id of each dense item, [0] unused, so recommendations come back in their vocabulary */
  itemIds?: readonly string[];
}

export async function writeCheckpoint(path: string, checkpoint: Checkpoint, options: { signal?: AbortSignal } = {}): Promise<void> {
  const { config, state, itemIds } = checkpoint;
  await writeSafetensors(
    path,
    {
      tensors: state.tensors.map((t) => ({ name: t.name, dtype: t.dtype as SafetensorsDtype, shape: t.shape, data: t.data })),
      metadata: {
        format: FORMAT,
        formatVersion: FORMAT_VERSION,
        config: JSON.stringify(config),
        trainStep: String(state.trainStep),
        hasOptimizer: String(state.hasOptimizer),
        rng: JSON.stringify({ kind: 'counter', seed: config.seed, step: state.trainStep }),
        ...(itemIds && { itemIds: JSON.stringify(itemIds) }),
      },
    },
    options,
  );
}

export async function readCheckpoint(path: string): Promise<Checkpoint> {
  const file = await readSafetensors(path);
  const meta = file.metadata;
  const fail = (field: string, why: string) =>
    new SeqrecError('E_CHECKPOINT', `${path} is not a seqrec checkpoint: ${field} ${why}`, { file: path, field });
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
  return {
    config,
    ...(itemIds && { itemIds }),
    state: {
      tensors: file.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: t.data })),
      hasOptimizer: meta.hasOptimizer === 'true',
      trainStep,
    },
  };
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
