/**
 * model.update(fresh, { replay }): fine-tune on fresh interactions without a full retrain. The run
 * trains on the fresh sequences plus, against forgetting, a seeded sample of past sequences (`replay`,
 * e.g. the data the model was fit on, or a reservoir of it) making up `replayShare` of the sequences
 * trained on (experience replay: Rolnick et al., NeurIPS 2019). Defaults for a fine-tune: one epoch,
 * a lower learning rate (5e-4), no warm-up. The catalogue stays as it is: items beyond the model's
 * V must be added by building a larger model (transfer, lib/coldstart/transfer.ts) first.
 */
import { Dataset } from '../data/dataset.js';
import { seededRandom } from '../data/random.js';
import { integer, invalid, number, optionsObject } from '../validate.js';
import type { FitOptions } from './fit-options.js';

export interface UpdateOptions extends Omit<FitOptions, 'validation' | 'resume'> {
  /** past data to replay against forgetting (same item ids as the model's) */
  replay?: Dataset;
  /** (float in [0, 1)) share of the trained sequences drawn from `replay`. Default 0.5 with replay. */
  replayShare?: number;
  /** (int) seed of the replay sample. Default 0. */
  replaySeed?: number;
}

/** The fit data and options of an update: fresh sequences plus the replayed ones, and fine-tuning defaults. */
export function updateRun(fresh: unknown, options: unknown): { data: Dataset; fit: FitOptions } {
  if (!(fresh instanceof Dataset)) throw invalid('fresh', 'a Dataset of the new interactions', fresh);
  const o = optionsObject('options', options) as UpdateOptions;
  const { replay, replayShare, replaySeed, ...fit } = o;
  for (const key of ['validation', 'resume'])
    if (key in fit) throw invalid(`options.${key}`, 'absent: an update is one short run (fit() validates and resumes)', (fit as Record<string, unknown>)[key]);
  const sequences = Array.from({ length: fresh.numUsers }, (_, u) => fresh.sequence(u));
  if (replay !== undefined) {
    if (!(replay instanceof Dataset)) throw invalid('options.replay', 'a Dataset of past interactions', replay);
    const share = number('options.replayShare', replayShare ?? 0.5, 0, 0.99);
    const want = Math.min(replay.numUsers, Math.round((share / (1 - share)) * fresh.numUsers));
    const random = seededRandom(integer('options.replaySeed', replaySeed ?? 0, 0, 2 ** 32 - 1));
    const users = Array.from({ length: replay.numUsers }, (_, u) => u);
    for (let j = 0; j < want; j++) {
      const r = j + Math.floor(random() * (users.length - j)); // partial Fisher–Yates: `want` distinct users
      [users[j], users[r]] = [users[r]!, users[j]!];
      sequences.push(replay.sequence(users[j]!));
    }
  } else if (replayShare !== undefined) throw invalid('options.replayShare', 'given only with options.replay', replayShare);
  const numItems = Math.max(fresh.numItems, replay?.numItems ?? 0);
  return { data: Dataset.fromSequences(sequences, numItems), fit: { epochs: 1, lr: 5e-4, warmupSteps: 0, ...fit } };
}
