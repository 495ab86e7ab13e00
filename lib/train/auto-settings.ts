/**
 * Settings read off the training data, for `seqrec train` when the command line leaves them out (and for
 * library users: suggestSettings(train)). Each rule reads one statistic of the data; the anchors are the
 * published SASRec settings (ML-1M: L 200, dropout 0.2; the sparse Amazon and Steam sets: dropout 0.5,
 * 200 epochs) and seqrec's ML-1M quality recipe (lr 2e-3, 200 warm-up steps, cosine, 50 epochs).
 *   maxLen         the 90th percentile of the users' sequence lengths, rounded up to a multiple of 8, in
 *                  [8, 200]: a longer window is padding for nearly everyone
 *   dropout        0.2 when items average at least 30 training events (dense, like ML-1M), else 0.5
 *   dim            64; 32 below 20,000 training events (too little data for the wider table)
 *   epochs         about 40 million target visits (ML-1M at 41 epochs, a 150k-event set at 200), in [20, 200];
 *                  early stopping usually ends the run sooner
 *   validateEvery  about 12 validations in a full run; patience 3 validations
 *   warmupSteps    200, or a tenth of the run when that is shorter; lr 2e-3, cosine to 5%, weight decay 0.05
 */
import type { Dataset } from '../data/dataset.js';
import { invalid } from '../validate.js';

export interface SuggestedSettings {
  model: { maxLen: number; dim: number; dropout: number };
  fit: {
    epochs: number;
    batchSize: number;
    lr: number;
    warmupSteps: number;
    schedule: 'cosine';
    minLrRatio: number;
    weightDecay: number;
    validateEvery: number;
    patience: number;
  };
  /** what each rule read, e.g. { maxLen: '90th percentile of 6040 sequence lengths = 478 → 200' } */
  reasons: Record<string, string>;
}

const BATCH = 128;
const TARGET_VISITS = 4e7;

export function suggestSettings(train: Dataset): SuggestedSettings {
  if (!train || !(train.offsets instanceof Int32Array)) throw invalid('train', 'a Dataset', train);
  const U = train.numUsers;
  const lengths = Int32Array.from({ length: U }, (_, u) => train.offsets[u + 1]! - train.offsets[u]!).sort();
  const p90 = lengths.length ? lengths[Math.min(U - 1, Math.floor(0.9 * U))]! : 0;
  const maxLen = Math.min(200, Math.max(8, Math.ceil(p90 / 8) * 8));
  const events = train.numInteractions;
  const itemsSeen = new Set(train.items).size || 1;
  const perItem = events / itemsSeen;
  const dropout = perItem >= 30 ? 0.2 : 0.5;
  const dim = events >= 20_000 ? 64 : 32;
  let targets = 0; // next-item targets per pass: each user's min(n − 1, L) positions
  for (const n of lengths) targets += Math.max(0, Math.min(n - 1, maxLen));
  const epochs = Math.min(200, Math.max(20, Math.round(TARGET_VISITS / Math.max(1, targets))));
  const trainable = lengths.filter((n) => n >= 2).length;
  const steps = epochs * Math.ceil(trainable / BATCH);
  return {
    model: { maxLen, dim, dropout },
    fit: {
      epochs,
      batchSize: BATCH,
      lr: 2e-3,
      warmupSteps: Math.min(200, Math.round(steps / 10)),
      schedule: 'cosine',
      minLrRatio: 0.05,
      weightDecay: 0.05,
      validateEvery: Math.max(1, Math.round(epochs / 12)),
      patience: 3,
    },
    reasons: {
      maxLen: `90th percentile of ${U} sequence lengths = ${p90} → ${maxLen}`,
      dropout: `${perItem.toFixed(1)} training events per item ${perItem >= 30 ? '>= 30 (dense)' : '< 30 (sparse)'} → ${dropout}`,
      dim: `${events} training events ${events >= 20_000 ? '>= 20000' : '< 20000'} → ${dim}`,
      epochs: `${targets} next-item targets per epoch → ${epochs} epochs for ~4e7 target visits (in [20, 200])`,
    },
  };
}
