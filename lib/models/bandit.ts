/**
 * Contextual bandits over the model's last layer ("neural-linear": Riquelme, Tucker & Snoek, ICLR 2018).
 * The model scores item i for user u as 1ᵀφ with φ = h_u ⊙ e_i (user state times item row, d values:
 * userStates / itemStates); the bandit learns how observed rewards depend on those d features by
 * Bayesian linear regression, shared by all users and items:
 *   r ≈ wᵀφ,  prior w ~ N(w₀, v²λ⁻¹I) with w₀ = prior·1  (prior 0: rewards unknown; c: start at c × the model's score)
 *   A = λI + Σ φφᵀ   (d, d)        b = λw₀ + Σ r·φ   (d)        posterior w ~ N(ŵ = A⁻¹b, v²A⁻¹)
 * Lists come from the model's top `pool` candidates (every list option applied), filled slot by slot:
 *   linucb    argmax ŵᵀφ + α·‖L⁻¹φ‖ (= α·sqrt(φᵀA⁻¹φ), A = LLᵀ) over the remaining candidates (Li et al.,
 *             WWW 2010). Deterministic given the statistics, so each slot's propensity is 1.
 *   thompson  a fresh posterior draw w = ŵ + v·L⁻ᵀz (z ~ N(0, I)) per slot, argmax wᵀφ over the remaining
 *             (Agrawal & Goyal, ICML 2013). The slot's propensity, P(this item is that argmax | the slots
 *             before), is estimated from `draws` more posterior draws as (count + 1) / (draws + 1): never 0,
 *             within about 1/√draws of the truth.
 * observe() adds rewards with φ from the model as it is then. Once the model itself changes (fit, update,
 * another adapter) φ means something else: reset() starts over. `state` / options.state carry the
 * statistics across processes.
 */
import { backSubstitute, choleskyFactor, forwardSubstitute } from '../coldstart/cholesky.js';
import { normalDraw, seededRandom } from '../data/random.js';
import { SeqrecError } from '../errors.js';
import { integer, invalid, noUnknownKeys, number, oneOf, optionsObject } from '../validate.js';
import type { RecommendOptions, Recommendation } from './inference.js';

export interface BanditOptions {
  /** ('linucb' | 'thompson') the policy. Required. */
  policy: 'linucb' | 'thompson';
  /** (float ≥ 0) LinUCB's width multiplier α. Default 1. */
  alpha?: number;
  /** (float > 0) Thompson sampling's noise scale v (the posterior's standard deviation per unit of A⁻¹). Default 1. */
  noise?: number;
  /** (float > 0) the prior's precision λ (ridge). Default 1. */
  lambda?: number;
  /** (float) prior mean of every weight: 0 = rewards unknown at first, c = start at c × the model's score. Default 0. */
  prior?: number;
  /** (int) the model's candidates a list is drawn from. Default max(50, 5k). */
  pool?: number;
  /** (int) Thompson sampling: posterior draws behind each propensity. Default 256. */
  draws?: number;
  /** (int) seed of the draws; default Math.random */
  seed?: number;
  /** statistics to continue from (a bandit's `state`), for a model of the same width */
  state?: BanditState;
}

/** The regression's sufficient statistics: A and b above, and how many rewards they hold. */
export interface BanditState {
  /** (d·d, row-major) A = λI + Σ φφᵀ */
  precision: Float64Array;
  /** (d) b = λw₀ + Σ r·φ */
  rewardSum: Float64Array;
  observations: number;
}

export interface BanditRecommendation extends Recommendation {
  /** the value the policy ranked by: the upper confidence bound (linucb) or the sampled reward (thompson) */
  value: number;
  /** the probability the policy placed this item in this slot, given the slots before */
  propensity: number;
}

export interface BanditEvent {
  /** the history the list was served for */
  history: ArrayLike<number>;
  /** the item shown (dense id) */
  item: number;
  /** (finite float) its reward, e.g. 1 clicked, 0 not */
  reward: number;
}

/** What the bandit needs of a model: its vectors and its candidate lists (a SequentialRecommender). */
export interface BanditModel {
  readonly config: { dim: number; items: number };
  recommend(history: ArrayLike<number>, options: RecommendOptions): Promise<Recommendation[]>;
  userStates(histories: ArrayLike<number>[], options?: { adapter?: string | null }): Promise<Float32Array>;
  itemStates(items?: ArrayLike<number>): Promise<Float32Array>;
}

export class LinearBandit {
  readonly options: Readonly<Required<Omit<BanditOptions, 'seed' | 'state'>>>;
  readonly #model: BanditModel;
  readonly #d: number;
  readonly #random: () => number;
  #state: BanditState;
  #factor: Float64Array | undefined; // L with A = LLᵀ, until the next observe
  #mean: Float64Array | undefined; // ŵ = A⁻¹b

  constructor(model: BanditModel, options: BanditOptions) {
    const o = optionsObject('options', options) as BanditOptions & Record<string, unknown>;
    const policy = oneOf('options.policy', o.policy, ['linucb', 'thompson'] as const);
    noUnknownKeys('options', o, ['policy', policy === 'linucb' ? 'alpha' : 'noise', 'lambda', 'prior', 'pool', 'draws', 'seed', 'state']);
    if (policy === 'linucb' && o.draws !== undefined) throw invalid('options.draws', "absent: LinUCB is deterministic (policy 'thompson' draws)", o.draws);
    this.#model = model;
    this.#d = model.config.dim;
    this.options = {
      policy,
      alpha: number('options.alpha', o.alpha ?? 1, 0, 1e6),
      noise: number('options.noise', o.noise ?? 1, 0, 1e6, { exclusiveMin: true }),
      lambda: number('options.lambda', o.lambda ?? 1, 0, 1e12, { exclusiveMin: true }),
      prior: number('options.prior', o.prior ?? 0, -1e6, 1e6),
      pool: integer('options.pool', o.pool ?? 0, 0, 2 ** 31 - 1),
      draws: integer('options.draws', o.draws ?? 256, 1, 1e6),
    };
    this.#random = o.seed === undefined ? Math.random : seededRandom(integer('options.seed', o.seed, 0, 2 ** 32 - 1));
    this.#state = o.state === undefined ? this.#prior() : checkState(o.state, this.#d);
  }

  /** A copy of the statistics (for options.state of a later bandit). */
  get state(): BanditState {
    const s = this.#state;
    return { precision: Float64Array.from(s.precision), rewardSum: Float64Array.from(s.rewardSum), observations: s.observations };
  }

  /** The posterior mean ŵ (d): each feature's estimated reward per unit. */
  get mean(): Float64Array {
    return Float64Array.from(this.#posterior().mean);
  }

  /** Forget every observed reward (back to the prior). */
  reset(): void {
    this.#state = this.#prior();
    this.#factor = this.#mean = undefined;
  }

  /**
   * A list of `k` from the model's top `pool` candidates for `history` (the model's list options apply: exclude,
   * allow, deny, filter, adapter, signal), each with its policy value and propensity.
   */
  async recommend(history: ArrayLike<number>, options: RecommendOptions = {}): Promise<BanditRecommendation[]> {
    const o = optionsObject('options', options) as RecommendOptions;
    for (const key of ['explore', 'rerank', 'explain', 'query'] as const)
      if (o[key] !== undefined) throw invalid(`options.${key}`, 'absent: a bandit draws its own lists from the model’s scores', o[key]);
    const k = integer('options.k', o.k ?? 10, 1, this.#model.config.items);
    const pool = Math.min(this.#model.config.items, Math.max(k, this.options.pool || Math.max(50, 5 * k)));
    const candidates = await this.#model.recommend(history, { ...o, k: pool });
    const features = await this.#features(
      [history],
      candidates.map((c) => c.item),
      o.adapter,
    );
    const { mean, factor } = this.#posterior();
    const d = this.#d;
    const n = candidates.length;
    const out: BanditRecommendation[] = [];
    const left = candidates.map((_, i) => i);
    if (this.options.policy === 'linucb') {
      const ucb = candidates.map((_, i) => {
        const phi = features.subarray(i * d, (i + 1) * d);
        return dot(mean, phi) + this.options.alpha * Math.hypot(...forwardSubstitute(factor, d, phi));
      });
      left.sort((a, b) => ucb[b]! - ucb[a]!);
      return left.slice(0, k).map((i) => ({ ...candidates[i]!, value: ucb[i]!, propensity: 1 }));
    }
    // Thompson sampling: one draw per slot, and `draws` more per list for the propensities
    const draws = this.options.draws;
    const sampled = new Float64Array(draws * n); // (draws, n) wᵀφ per posterior draw
    for (let s = 0; s < draws; s++) {
      const w = this.#draw(mean, factor);
      for (let i = 0; i < n; i++) sampled[s * n + i] = dot(w, features.subarray(i * d, (i + 1) * d));
    }
    while (out.length < k && left.length > 0) {
      const w = this.#draw(mean, factor);
      const values = left.map((i) => dot(w, features.subarray(i * d, (i + 1) * d)));
      const at = values.indexOf(Math.max(...values));
      const chosen = left[at]!;
      let count = 0;
      for (let s = 0; s < draws; s++) {
        let best = left[0]!;
        for (const i of left) if (sampled[s * n + i]! > sampled[s * n + best]!) best = i;
        if (best === chosen) count++;
      }
      out.push({ ...candidates[chosen]!, value: values[at]!, propensity: (count + 1) / (draws + 1) });
      left.splice(at, 1);
    }
    return out;
  }

  /** Add observed rewards: A += φφᵀ and b += r·φ for each event, φ from the model now. */
  async observe(events: BanditEvent | readonly BanditEvent[], options: { adapter?: string | null } = {}): Promise<void> {
    const list = Array.isArray(events) ? (events as readonly BanditEvent[]) : [events as BanditEvent];
    const items = list.map((e, i) => {
      optionsObject(`events[${i}]`, e);
      number(`events[${i}].reward`, e.reward, -1e12, 1e12);
      return integer(`events[${i}].item`, e.item, 1, this.#model.config.items);
    });
    if (list.length === 0) return;
    const features = await this.#features(
      list.map((e) => e.history),
      items,
      options.adapter,
      true,
    );
    const d = this.#d;
    const { precision, rewardSum } = this.#state;
    list.forEach((e, j) => {
      const phi = features.subarray(j * d, (j + 1) * d);
      for (let a = 0; a < d; a++) {
        rewardSum[a]! += e.reward * phi[a]!;
        for (let c = 0; c < d; c++) precision[a * d + c]! += phi[a]! * phi[c]!;
      }
    });
    this.#state.observations += list.length;
    this.#factor = this.#mean = undefined;
  }

  /** (n, d) φ = h ⊙ e for item j with history j (paired), or every item with the one history. */
  async #features(histories: ArrayLike<number>[], items: number[], adapter: string | null | undefined, paired = false): Promise<Float64Array> {
    const d = this.#d;
    const h = await this.#model.userStates(histories, adapter === undefined ? {} : { adapter });
    const e = await this.#model.itemStates(items);
    const phi = new Float64Array(items.length * d);
    for (let j = 0; j < items.length; j++) {
      const u = paired ? j : 0;
      for (let a = 0; a < d; a++) phi[j * d + a] = h[u * d + a]! * e[j * d + a]!;
    }
    return phi;
  }

  #posterior(): { mean: Float64Array; factor: Float64Array } {
    const d = this.#d;
    if (!this.#factor || !this.#mean) {
      this.#factor = choleskyFactor(this.#state.precision, d);
      this.#mean = backSubstitute(this.#factor, d, forwardSubstitute(this.#factor, d, this.#state.rewardSum));
    }
    return { mean: this.#mean, factor: this.#factor };
  }

  /** w ~ N(ŵ, v²A⁻¹): ŵ + v·L⁻ᵀz. */
  #draw(mean: Float64Array, factor: Float64Array): Float64Array {
    const d = this.#d;
    const z = Array.from({ length: d }, () => normalDraw(this.#random));
    const x = backSubstitute(factor, d, z);
    for (let a = 0; a < d; a++) x[a] = mean[a]! + this.options.noise * x[a]!;
    return x;
  }

  #prior(): BanditState {
    const d = this.#d;
    const { lambda, prior } = this.options;
    const precision = new Float64Array(d * d);
    for (let a = 0; a < d; a++) precision[a * d + a] = lambda;
    return { precision, rewardSum: new Float64Array(d).fill(lambda * prior), observations: 0 };
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function checkState(value: unknown, d: number): BanditState {
  const s = optionsObject('options.state', value) as Partial<BanditState>;
  if (!(s.precision instanceof Float64Array) || s.precision.length !== d * d)
    throw invalid('options.state.precision', `a Float64Array of d·d = ${d * d} values (the model's width is ${d})`, s.precision);
  if (!(s.rewardSum instanceof Float64Array) || s.rewardSum.length !== d)
    throw invalid('options.state.rewardSum', `a Float64Array of d = ${d} values`, s.rewardSum);
  const observations = integer('options.state.observations', s.observations, 0, Number.MAX_SAFE_INTEGER);
  if (![...s.precision, ...s.rewardSum].every(Number.isFinite))
    throw new SeqrecError('E_INVALID_OPTION', 'options.state holds NaN or Infinity', { option: 'options.state' });
  return { precision: Float64Array.from(s.precision), rewardSum: Float64Array.from(s.rewardSum), observations };
}
