/**
 * A simulated population with latent tastes, after Chaney, Stewart & Engelhardt (RecSys 2018): K
 * topics; each item an attribute mix β_i ~ Dirichlet(0.1), each user a taste mix θ_u ~ Dirichlet(α·μ)
 * around a population-wide topic popularity μ ~ Dirichlet(1) (α = 10: users share the popular topics,
 * each with their own slant). The true utility of item i to user u is θ_u · β_i, scaled so the best
 * item of an average user is near 1. A minority group (share `minority`) draws its tastes around a
 * different μ, so a policy that serves the majority's tastes serves it worse (Mansoury et al. 2020).
 */
import { normalDraw, seededRandom } from '../data/random.js';

export interface PopulationOptions {
  /** (int) users. Default 200. */
  users?: number;
  /** (int) items. Default 300. */
  items?: number;
  /** (int) latent topics K. Default 10. */
  topics?: number;
  /** (float in [0, 1)) share of users in the minority group. Default 0.2. */
  minority?: number;
  /** (int) seed. Default 0. */
  seed?: number;
}

export interface Population {
  users: number;
  items: number;
  /** (users·items) true utility, row-major: utility[u·items + (i − 1)] for item i in 1..items */
  utility: Float64Array;
  /** (users) 1 for minority users, else 0 */
  group: Uint8Array;
  /** (items + 1) each item's dominant topic, [0] unused: a category, as genres are for films (synthetic populations only) */
  itemTopic?: Int32Array;
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000), boosted for shape < 1. */
function gamma(shape: number, random: () => number): number {
  if (shape < 1) return gamma(shape + 1, random) * random() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normalDraw(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v ** 3;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function dirichlet(alpha: readonly number[], random: () => number): number[] {
  const g = alpha.map((a) => gamma(a, random));
  const total = g.reduce((s, x) => s + x, 0);
  return g.map((x) => x / total);
}

export function syntheticPopulation(options: PopulationOptions = {}): Population {
  const users = options.users ?? 200;
  const items = options.items ?? 300;
  const K = options.topics ?? 10;
  const random = seededRandom(options.seed ?? 0);
  const majority = dirichlet(Array<number>(K).fill(1), random);
  const minority = dirichlet(Array<number>(K).fill(1), random);
  const beta = Array.from({ length: items }, () => dirichlet(Array<number>(K).fill(0.1), random));
  const group = new Uint8Array(users);
  const theta = Array.from({ length: users }, (_, u) => {
    group[u] = random() < (options.minority ?? 0.2) ? 1 : 0;
    return dirichlet(
      (group[u] ? minority : majority).map((m) => 10 * m),
      random,
    );
  });
  const utility = new Float64Array(users * items);
  for (let u = 0; u < users; u++) for (let i = 0; i < items; i++) utility[u * items + i] = theta[u]!.reduce((s, t, k) => s + t * beta[i]![k]!, 0);
  let best = 0;
  for (let u = 0; u < users; u++) best += Math.max(...utility.subarray(u * items, (u + 1) * items)) / users;
  for (let j = 0; j < utility.length; j++) utility[j] = utility[j]! / best;
  const itemTopic = new Int32Array(items + 1);
  beta.forEach((b, i) => (itemTopic[i + 1] = b.indexOf(Math.max(...b))));
  return { users, items, utility, group, itemTopic };
}
