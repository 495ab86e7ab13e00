/**
 * The closed loop: each round every simulated user gets a top-k list from the policy, takes one item
 * from it by a choice model (the list's best by the user's true utility, as in Chaney et al. 2018, or
 * a softmax over it; or by rank, alone as in Mansoury et al. 2020 or weighed by appeal as in the
 * position-based click model), and the taken item joins their history, which is what the policy
 * learns from next (a seqrec model is fit again every `retrainEvery` rounds). Per round it records what the loop
 * does to people and catalogue: the utility users got, catalogue coverage and Gini of exposure of the
 * lists, novelty and mean popularity of recommended items, homogenisation (mean Jaccard overlap of
 * what pairs of users have consumed), and the utility gap between the majority and minority groups.
 * Policies: 'ideal' (true utility), 'random', 'popularity' (most consumed so far), or a model (its top k, or
 * a bandit's lists over its candidates).
 */
import { Dataset } from '../data/dataset.js';
import { seededRandom, softmaxDraw } from '../data/random.js';
import { SeqrecError } from '../errors.js';
import { coverage, giniExposure, novelty, type TopKLists } from '../eval/beyond-accuracy.js';
import type { BanditEvent, BanditOptions, LinearBandit } from '../models/bandit.js';
import type { RecommendOptions } from '../models/inference.js';
import type { SequentialRecommender } from '../models/recommender.js';
import type { FitOptions } from '../train/fit-options.js';
import { integer, invalid, noUnknownKeys, number, optionsObject } from '../validate.js';
import { type Population, type PopulationOptions, syntheticPopulation } from './population.js';

export type SimulationPolicy =
  | 'ideal'
  | 'random'
  | 'popularity'
  | {
      /** a SASRec or BERT4Rec over the population's items (items: population.items) */
      model: SequentialRecommender;
      /** fit options for each retraining. Default { epochs: 3 } */
      fit?: FitOptions;
      /** list options (rerank, explore, …) besides k */
      recommend?: Omit<RecommendOptions, 'k'>;
      /** (int) fit again every this many rounds. Default 1 */
      retrainEvery?: number;
      /**
       * lists from a contextual bandit over the model's candidates (LinUCB or Thompson sampling, ../models/bandit.ts)
       * instead of its top k: it observes reward 1 for the item taken and 0 for the others shown. Its statistics
       * outlive retraining (each fit continues from the current weights, so the features drift slowly rather than
       * change meaning). Its seed defaults to the simulation's.
       */
      bandit?: BanditOptions;
    };

export interface SimulationOptions {
  population?: Population | PopulationOptions;
  policy: SimulationPolicy;
  /** (int) rounds. Default 10. */
  rounds?: number;
  /** (int) list length. Default 10. */
  k?: number;
  /** (int) events per user before the first round, drawn from their own tastes. Default 5. */
  startEvents?: number;
  /** each user's history before the first round (item ids 1..items), e.g. their real one; replaces startEvents */
  start?: readonly (readonly number[])[];
  /**
   * How a user picks from their list. 'utility': by true utility (see temperature), as in Chaney et al. 2018.
   * 'position': by rank, rank r (1-based) with probability ∝ r^−positionBias — a user who trusts the list,
   * Mansoury et al. 2020's rank-based acceptance, where what the recommender ranks first is what it learns from
   * next; with a temperature, ∝ r^−positionBias · exp(utility / temperature), the position-based click model (a
   * user looks at rank r as often as r^−positionBias and takes what they look at by its appeal). Default 'utility'.
   */
  choice?: 'utility' | 'position';
  /**
   * (float >= 0) choice 'utility': 0 takes the list's item of highest true utility; > 0 draws by softmax over
   * utility / temperature. Choice 'position': 0 ignores utility; > 0 weighs each rank by exp(utility / temperature)
   * too. Default 0.
   */
  temperature?: number;
  /** (float > 0) choice 'position': the exponent of the rank's weight r^−positionBias. Default 1. */
  positionBias?: number;
  /** (int) seed of the start events, random lists and choices. Default 0. */
  seed?: number;
  /** called after each round */
  onRound?: (stats: RoundStats) => void;
}

export interface RoundStats {
  round: number;
  /** mean true utility of the items users took this round */
  utility: number;
  /** share of the catalogue in at least one list this round */
  coverage: number;
  /** Gini of exposure over the catalogue this round */
  gini: number;
  /** mean self-information of recommended items under the consumption so far (bits) */
  novelty: number;
  /** mean consumption count of recommended items over the mean count of all items (1 = no popularity tilt) */
  popularityLift: number;
  /** popularityLift of the lists of the majority and of the minority group */
  groupPopularityLift: [number, number];
  /**
   * the same for what each group has consumed before this round: per user the mean count of the items in their
   * history, averaged over the group, over the mean count of all items. groupPopularityLift / this − 1 is
   * Abdollahpouri et al.'s popularity lift of a group (what its lists add to the popularity of its profiles).
   */
  groupProfilePopularity: [number, number];
  /** mean Jaccard overlap of the consumed sets of every pair of users */
  homogenization: number;
  /** mean utility this round, majority minus minority */
  groupGap: number;
}

export interface SimulationResult {
  rounds: RoundStats[];
  /** each user's history at the end (start events first) */
  histories: number[][];
}

const KEYS = ['population', 'policy', 'rounds', 'k', 'startEvents', 'start', 'choice', 'temperature', 'positionBias', 'seed', 'onRound'] as const;

/** Mean Jaccard overlap over every pair of sets, or over 20,000 pairs drawn with a fixed seed (the same for every policy) when there are more. */
function meanJaccard(sets: Set<number>[]): number {
  const n = sets.length;
  const jaccard = (a: number, b: number) => {
    let both = 0;
    for (const i of sets[a]!) if (sets[b]!.has(i)) both++;
    return both / (sets[a]!.size + sets[b]!.size - both);
  };
  let total = 0;
  let pairs = 0;
  if ((n * (n - 1)) / 2 <= 20_000) {
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) [total, pairs] = [total + jaccard(a, b), pairs + 1];
  } else {
    const pick = seededRandom(1);
    while (pairs < 20_000) {
      const a = Math.floor(pick() * n);
      const b = Math.floor(pick() * n);
      if (a !== b) [total, pairs] = [total + jaccard(a, b), pairs + 1];
    }
  }
  return pairs > 0 ? total / pairs : 0;
}

export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const o = optionsObject('options', options) as unknown as SimulationOptions;
  noUnknownKeys('options', o, KEYS);
  const pop = o.population && 'utility' in o.population ? o.population : syntheticPopulation(o.population as PopulationOptions | undefined);
  const { users, items, utility, group } = pop;
  const rounds = integer('options.rounds', o.rounds ?? 10, 1, 1e6);
  const k = integer('options.k', o.k ?? 10, 1, items);
  const startEvents = integer('options.startEvents', o.startEvents ?? 5, 1, items - 1);
  if (o.start !== undefined && (!Array.isArray(o.start) || o.start.length !== users))
    throw invalid('options.start', `${users} histories (one per user of the population)`, o.start);
  const longest = o.start ? Math.max(...o.start.map((h) => h.length)) : startEvents;
  if (longest + rounds > items) throw invalid('options.rounds', `at most ${items - longest} (each round a user takes an item not taken before)`, rounds);
  const choice = o.choice ?? 'utility';
  if (choice !== 'utility' && choice !== 'position') throw invalid('options.choice', "'utility' or 'position'", choice);
  if (choice === 'utility' && o.positionBias !== undefined)
    throw invalid('options.positionBias', "absent: it applies to choice 'position' only", o.positionBias);
  const temperature = number('options.temperature', o.temperature ?? 0, 0, 1e6);
  const positionBias = number('options.positionBias', o.positionBias ?? 1, 0, 1e6, { exclusiveMin: true });
  // log r^−positionBias: a softmax at temperature 1 over these draws rank r with probability ∝ r^−positionBias
  const rankWeights = Array.from({ length: k }, (_, j) => -positionBias * Math.log(j + 1));
  const seed = integer('options.seed', o.seed ?? 0, 0, 2 ** 32 - 1);
  const random = seededRandom(seed);
  const policy = o.policy;
  if (typeof policy !== 'string' && (policy === null || typeof policy !== 'object' || !('model' in policy)))
    throw invalid('options.policy', "'ideal', 'random', 'popularity' or { model, fit?, recommend?, retrainEvery? }", policy);
  if (typeof policy === 'string' && !['ideal', 'random', 'popularity'].includes(policy))
    throw invalid('options.policy', "'ideal', 'random', 'popularity' or { model, fit?, recommend?, retrainEvery? }", policy);
  if (typeof policy === 'object' && policy.model.config.items !== items)
    throw new SeqrecError('E_INVALID_OPTION', `options.policy.model has ${policy.model.config.items} items; the population has ${items}`, {
      option: 'options.policy.model',
    });
  const u8 = (u: number, i: number) => utility[u * items + i - 1]!;

  // Start: each user takes startEvents items drawn from their own tastes (softmax, temperature 0.1).
  const histories: number[][] = [];
  const taken: Set<number>[] = [];
  const counts = new Int32Array(items + 1);
  for (let u = 0; u < users; u++) {
    const left = Array.from({ length: items }, (_, i) => i + 1);
    const h: number[] = [];
    if (o.start) {
      const kept = new Set<number>();
      o.start[u]!.forEach((i: number, e: number) => {
        if (!Number.isInteger(i) || i < 1 || i > items) throw invalid(`options.start[${u}][${e}]`, `an item id in 1..${items}`, i);
        if (!kept.has(i)) h.push(i); // a repeat adds nothing to what the user has consumed
        kept.add(i);
      });
    }
    for (let e = 0; !o.start && e < startEvents; e++) {
      const at = softmaxDraw(
        left.map((i) => u8(u, i)),
        0.1,
        random,
      ).index;
      h.push(left[at]!);
      left.splice(at, 1);
    }
    h.forEach((i) => counts[i]!++);
    histories.push(h);
    taken.push(new Set(h));
  }

  const unseen = (u: number) => Array.from({ length: items }, (_, i) => i + 1).filter((i) => !taken[u]!.has(i));
  const out: RoundStats[] = [];
  let bandit: LinearBandit | undefined;
  for (let round = 1; round <= rounds; round++) {
    let lists: number[][];
    if (policy === 'ideal')
      lists = histories.map((_, u) =>
        unseen(u)
          .sort((a, b) => u8(u, b) - u8(u, a))
          .slice(0, k),
      );
    else if (policy === 'popularity')
      lists = histories.map((_, u) =>
        unseen(u)
          .sort((a, b) => counts[b]! - counts[a]! || a - b)
          .slice(0, k),
      );
    else if (policy === 'random')
      lists = histories.map((_, u) => {
        const left = unseen(u);
        for (let j = 0; j < k; j++) {
          const r = j + Math.floor(random() * (left.length - j));
          [left[j], left[r]] = [left[r]!, left[j]!];
        }
        return left.slice(0, k);
      });
    else {
      if ((round - 1) % (policy.retrainEvery ?? 1) === 0) {
        await policy.model.fit(Dataset.fromSequences(histories, items), { epochs: 3, ...policy.fit });
        if (policy.bandit) bandit ??= policy.model.bandit({ seed, ...policy.bandit });
      }
      const listOptions = { ...policy.recommend, k, excludeSeen: true };
      if (bandit) {
        lists = [];
        for (const h of histories) lists.push((await bandit.recommend(h, listOptions)).map((r) => r.item)); // in turn: the draws stay seeded
      } else lists = (await policy.model.recommend(histories, listOptions)).map((l) => l.map((r) => r.item));
    }
    const feedback: BanditEvent[] = [];
    const before = Int32Array.from(counts);
    const profiles = histories.map((h) => h.reduce((sum, i) => sum + before[i]!, 0) / h.length); // each user's mean count, before the round
    const gained = [0, 0];
    const members = [0, 0];
    for (let u = 0; u < users; u++) {
      const list = lists[u]!;
      if (list.length === 0) continue;
      const at =
        choice === 'position'
          ? softmaxDraw(
              list.map((i, j) => rankWeights[j]! + (temperature > 0 ? u8(u, i) / temperature : 0)),
              1,
              random,
            ).index
          : temperature === 0
            ? list.reduce((best, i, j) => (u8(u, i) > u8(u, list[best]!) ? j : best), 0)
            : softmaxDraw(
                list.map((i) => u8(u, i)),
                temperature,
                random,
              ).index;
      const item = list[at]!;
      if (bandit) feedback.push(...list.map((shown) => ({ history: [...histories[u]!], item: shown, reward: shown === item ? 1 : 0 })));
      histories[u]!.push(item);
      taken[u]!.add(item);
      counts[item]!++;
      gained[group[u]!]! += u8(u, item);
      members[group[u]!]!++;
    }
    await bandit?.observe(feedback);
    const top: TopKLists = { lists: Int32Array.from(lists.flatMap((l) => [...l, ...Array<number>(k - l.length).fill(0)])), width: k, numItems: items };
    const meanCount = before.reduce((s, c) => s + c, 0) / items;
    const lift = (inGroup: (u: number) => boolean) => {
      let count = 0;
      let slots = 0;
      lists.forEach((l, u) => inGroup(u) && l.forEach((i) => ((count += before[i]!), slots++)));
      return slots > 0 && meanCount > 0 ? count / slots / meanCount : 0;
    };
    const profileLift = (g: number) => {
      let total = 0;
      let n = 0;
      profiles.forEach((p, u) => group[u] === g && ((total += p), n++));
      return n > 0 && meanCount > 0 ? total / n / meanCount : 0;
    };
    const stats: RoundStats = {
      round,
      utility: (gained[0]! + gained[1]!) / Math.max(1, members[0]! + members[1]!),
      coverage: coverage(top),
      gini: giniExposure(top),
      novelty: novelty(top, before),
      popularityLift: lift(() => true),
      groupPopularityLift: [lift((u) => group[u] === 0), lift((u) => group[u] === 1)],
      groupProfilePopularity: [profileLift(0), profileLift(1)],
      homogenization: meanJaccard(taken),
      groupGap: (members[0] ? gained[0]! / members[0] : 0) - (members[1] ? gained[1]! / members[1] : 0),
    };
    out.push(stats);
    o.onRound?.(stats);
  }
  return { rounds: out, histories };
}
