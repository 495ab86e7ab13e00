/**
 * generate(): continue a history as a sequence (a playlist, a watch-next run) with the causal model.
 * Each step scores every item for every live candidate sequence in one native top-K call; the next
 * item's probability is the softmax of its score over the items it may be (noRepeat leaves out
 * everything already in the sequence). Beam search keeps the `beams` most probable sequences by total
 * log-probability (beams = 1 is greedy); with `temperature`, items are drawn from softmax(score / T)
 * with a seeded generator, so a seed repeats its sequence.
 */
import { seededRandom } from '../data/random.js';
import { SeqrecError } from '../errors.js';
import { boolean, integer, noUnknownKeys, number, optionsObject } from '../validate.js';
import type { ModelCore } from './core.js';
import { plainList, csr } from './inference.js';

export interface GenerateOptions {
  /** (int) items to add. Default 10. */
  length?: number;
  /** (int) beam width: the most probable sequences kept at each step. Default 1 (greedy). Not with temperature. */
  beams?: number;
  /** (float > 0) sample each item from softmax(score / temperature) instead of searching. */
  temperature?: number;
  /** (int) seed of the sampling. Default 0. */
  seed?: number;
  /** (bool) never add an item already in the sequence (history included). Default true. */
  noRepeat?: boolean;
  /** (str | null) LoRA adapter to score with. Default: the applied one. */
  adapter?: string | null;
}

export interface Generated {
  /** the added items (dense ids), in order */
  items: number[];
  /** their ids in the training data's vocabulary, when known */
  ids?: string[];
  /** log-probability of the added items, step by step, under the distribution they were chosen from (softmax(score / T) when sampling) */
  logProb: number;
}

interface Beam {
  items: number[];
  logProb: number;
}

/** Continue `history` (checked dense ids) as GenerateOptions say. */
export async function generateSequence(core: ModelCore, history: Int32Array, options: unknown): Promise<Generated> {
  const o = optionsObject('options', options) as GenerateOptions;
  noUnknownKeys('options', o, ['length', 'beams', 'temperature', 'seed', 'noRepeat', 'adapter']);
  if (core.config.architecture !== 'sasrec')
    throw new SeqrecError('E_INVALID_OPTION', 'generate continues sequences with the causal model (SASRec)', { option: 'architecture' });
  const V = core.config.items;
  const noRepeat = boolean('options.noRepeat', o.noRepeat ?? true);
  const length = integer('options.length', o.length ?? 10, 1, noRepeat ? V - new Set(history).size : 1e6);
  if (o.beams !== undefined && o.temperature !== undefined)
    throw new SeqrecError('E_INVALID_OPTION', 'options.beams and options.temperature exclude each other', { option: 'options.beams' });
  const beams = integer('options.beams', o.beams ?? 1, 1, V);
  const temperature = o.temperature === undefined ? undefined : number('options.temperature', o.temperature, 0, 1e6, { exclusiveMin: true });
  const random = seededRandom(integer('options.seed', o.seed ?? 0, 0, 2 ** 31 - 1));
  const adapter = core.adapters.resolve('options.adapter', o.adapter);

  let live: Beam[] = [{ items: [], logProb: 0 }];
  for (let step = 0; step < length; step++) {
    // every item's score for every live sequence, best first (k = V)
    const result = await core.topK({ ...csr(live.map((b) => [...history, ...b.items])), batchSize: 64, list: plainList(V, noRepeat, adapter) });
    const next: Beam[] = [];
    live.forEach((beam, u) => {
      const items = result.items.subarray(u * V, (u + 1) * V);
      const scores = result.scores.subarray(u * V, (u + 1) * V);
      const n = items.findIndex((item) => item === 0); // the excluded items come last (score −∞)
      const count = n < 0 ? V : n;
      const scale = temperature ?? 1;
      const max = scores[0]! / scale;
      let sum = 0;
      for (let j = 0; j < count; j++) sum += Math.exp(scores[j]! / scale - max);
      const logZ = max + Math.log(sum); // log Σ exp(score / T) over the allowed items
      if (temperature !== undefined) {
        let r = random() * sum;
        let j = 0;
        while (j < count - 1 && (r -= Math.exp(scores[j]! / scale - max)) > 0) j++;
        next.push({ items: [...beam.items, items[j]!], logProb: beam.logProb + scores[j]! / scale - logZ });
        return;
      }
      for (let j = 0; j < Math.min(beams, count); j++) next.push({ items: [...beam.items, items[j]!], logProb: beam.logProb + scores[j]! - logZ });
    });
    live = next.sort((a, b) => b.logProb - a.logProb).slice(0, beams);
  }
  const best = live[0]!;
  const ids = core.itemIds;
  return { items: best.items, ...(ids && { ids: best.items.map((i) => ids[i]!) }), logProb: best.logProb };
}
