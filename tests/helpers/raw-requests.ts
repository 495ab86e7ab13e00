/** Test helper: a complete raw FitRequest for the addon (what lib/train/fit-options.ts would resolve), with overrides. */
import type { AddonFitRequest } from '../../lib/native/raw.js';

export function rawFitRequest(offsets: Int32Array, items: Int32Array, overrides: Partial<AddonFitRequest> = {}): AddonFitRequest {
  return {
    offsets,
    items,
    epochs: 1,
    maxSteps: 1,
    batchSize: 2,
    accumSteps: 1,
    lr: 1e-3,
    warmupSteps: 0,
    decay: 'constant',
    minLrRatio: 0,
    weightDecay: 0.1,
    beta1: 0.9,
    beta2: 0.98,
    eps: 1e-8,
    foreachAdamW: false,
    clipNorm: 1,
    lossChunkBytes: 1 << 20,
    maskProb: 0.2,
    progressEvery: 1,
    resume: false,
    untilEpoch: 0,
    adapter: '',
    freezeEmbeddings: false,
    freezeBlocks: 0,
    biasAndNormOnly: false,
    idDropout: 0,
    profile: false,
    groupOfUser: new Uint8Array(0),
    groupGapWeight: 0,
    ...overrides,
  };
}
