/**
 * Exploration: lists that sometimes show what the model would not, each slot logged with its
 * propensity, the probability that this item was placed in this slot given the slots before it
 * (what off-policy estimators need: lib/eval/off-policy.ts). Drawn from the model's top `pool`
 * candidates (every filter applied; default max(50, 5k)), so the propensities are exact for that pool:
 *   epsilon-greedy  each slot: with probability 1 − ε the best remaining candidate, else a uniformly
 *                   random remaining one; propensity (1 − ε)·[best] + ε / remaining.
 *   softmax         each slot drawn from the remaining candidates with probability ∝ exp(score / T)
 *                   (a Plackett–Luce list); propensity exp(s/T) / Σ_remaining exp(s'/T).
 * Seeded (`seed`) for reproducible runs, or drawn from Math.random.
 */
import { seededRandom, softmaxDraw } from '../data/random.js';
import { integer, noUnknownKeys, number, oneOf, optionsObject } from '../validate.js';

export type ExploreOptions =
  { policy: 'epsilon-greedy'; epsilon: number; pool?: number; seed?: number } | { policy: 'softmax'; temperature: number; pool?: number; seed?: number };

export interface Explorer {
  options: ExploreOptions;
  /** candidates to ask the model for, for a list of k */
  pool(k: number, numItems: number): number;
  random: () => number;
}

export function checkExplore(value: unknown): Explorer {
  const o = optionsObject('options.explore', value) as ExploreOptions & Record<string, unknown>;
  const policy = oneOf('options.explore.policy', o.policy, ['epsilon-greedy', 'softmax'] as const);
  noUnknownKeys('options.explore', o, ['policy', policy === 'softmax' ? 'temperature' : 'epsilon', 'pool', 'seed']);
  const pool = o.pool === undefined ? undefined : integer('options.explore.pool', o.pool, 1, 2 ** 31 - 1);
  const random = o.seed === undefined ? Math.random : seededRandom(integer('options.explore.seed', o.seed, 0, 2 ** 32 - 1));
  const options: ExploreOptions =
    policy === 'softmax'
      ? { policy, temperature: number('options.explore.temperature', o.temperature, 0, 1e6, { exclusiveMin: true }) }
      : { policy, epsilon: number('options.explore.epsilon', o.epsilon, 0, 1) };
  return { options, pool: (k, V) => Math.min(V, Math.max(k, pool ?? Math.max(50, 5 * k))), random };
}

/** k of `candidates` (best first by score) as the policy draws them, each with its propensity. */
export function explore<T extends { score: number }>(candidates: readonly T[], k: number, explorer: Explorer): (T & { propensity: number })[] {
  const left = [...candidates];
  const out: (T & { propensity: number })[] = [];
  const o = explorer.options;
  while (out.length < k && left.length > 0) {
    let pick: number;
    let propensity: number;
    if (o.policy === 'epsilon-greedy') {
      pick = explorer.random() < o.epsilon ? Math.floor(explorer.random() * left.length) : 0; // left stays best first
      propensity = (pick === 0 ? 1 - o.epsilon : 0) + o.epsilon / left.length;
    } else {
      ({ index: pick, probability: propensity } = softmaxDraw(
        left.map((c) => c.score),
        o.temperature,
        explorer.random,
      ));
    }
    out.push({ ...left[pick]!, propensity });
    left.splice(pick, 1);
  }
  return out;
}
