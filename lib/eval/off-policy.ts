/**
 * Off-policy evaluation: the value a new (target) policy would have had, estimated from events logged
 * under another (logging) policy, without showing it to anyone. Per logged event i, with reward r_i,
 * the logging policy's probability p_i of the action it took, the target policy's probability π_i of
 * that same action, and importance weight w_i = π_i / p_i:
 *   IPS    V = (1/n) Σ w_i r_i                                    (Horvitz & Thompson 1952)
 *   SNIPS  V = Σ w_i r_i / Σ w_i                                  (Swaminathan & Joachims 2015)
 *   DR     V = (1/n) Σ [ q̂_i(π) + w_i (r_i − q̂_i(a_i)) ]          (Dudík, Langford & Li 2011)
 *          with a reward model's prediction q̂_i(a_i) for the logged action and q̂_i(π) = Σ_a π(a|x_i) q̂(x_i, a)
 *          for the target policy; unbiased when either the propensities or the reward model are right.
 *   replay V = mean reward over the events whose logged action is the one the (deterministic) target
 *          policy picks (Li, Chu, Langford & Wang, WSDM 2011); unbiased under uniformly random logging.
 * Each comes with a normal-approximation confidence interval (the delta method for SNIPS) and the
 * number of events it used. Tested on synthetic bandit logs whose true value is known.
 */
import { SeqrecError } from '../errors.js';
import { invalid, noUnknownKeys, number, optionsObject } from '../validate.js';

export interface LoggedFeedback {
  /** (n) reward of each logged event (a click, a rating, a watch time) */
  rewards: ArrayLike<number>;
  /** (n) probability with which the logging policy took the logged action, in (0, 1] (what every served list logs) */
  propensities: ArrayLike<number>;
  /** (n) probability with which the target policy would take the logged action, in [0, 1] */
  targetProbabilities: ArrayLike<number>;
  /** (n) DR only: the reward model's prediction for the logged action */
  predicted?: ArrayLike<number>;
  /** (n) DR only: the reward model's expected reward under the target policy, Σ_a π(a|x) q̂(x, a) */
  predictedTarget?: ArrayLike<number>;
}

export interface PolicyValue {
  /** the estimated value (mean reward per event) of the target policy */
  value: number;
  /** confidence interval at `confidence` (normal approximation) */
  lower: number;
  upper: number;
  confidence: number;
  /** events the estimate used (all for IPS, SNIPS, DR; the matched ones for replay) */
  events: number;
}

export type OffPolicyEstimator = 'ips' | 'snips' | 'dr';

/** z such that a standard normal is within ±z with probability `confidence` (Acklam's rational approximation of Φ⁻¹). */
function zScore(confidence: number): number {
  const p = 1 - (1 - confidence) / 2;
  const a = [-39.6968302866538, 220.946098424521, -275.928510446969, 138.357751867269, -30.6647980661472, 2.50662827745924];
  const b = [-54.4760987982241, 161.585836858041, -155.698979859887, 66.8013118877197, -13.2806815528857];
  const c = [-0.00778489400243029, -0.322396458041136, -2.40075827716184, -2.54973253934373, 4.37466414146497, 2.93816398269878];
  const d = [0.00778469570904146, 0.32246712907004, 2.445134137143, 3.75440866190742];
  if (p > 0.97575) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Mean and the interval mean ± z·sd/√n of per-event terms. */
function meanInterval(terms: Float64Array, confidence: number): PolicyValue {
  const n = terms.length;
  let mean = 0;
  for (const t of terms) mean += t / n;
  let variance = 0;
  for (const t of terms) variance += (t - mean) ** 2 / Math.max(1, n - 1);
  const half = zScore(confidence) * Math.sqrt(variance / n);
  return { value: mean, lower: mean - half, upper: mean + half, confidence, events: n };
}

function column(name: string, values: ArrayLike<number> | undefined, n: number, min: number, max: number, exclusiveMin = false): Float64Array {
  if (values === undefined || typeof values !== 'object' || values.length !== n) throw invalid(name, `${n} numbers (one per logged event)`, values);
  const out = Float64Array.from(values);
  out.forEach((x, i) => {
    if (!Number.isFinite(x) || x < min || x > max || (exclusiveMin && x === min))
      throw new SeqrecError('E_INVALID_DATA', `${name}[${i}] = ${x} is outside ${exclusiveMin ? '(' : '['}${min}, ${max}]`, {
        field: `${name}[${i}]`,
        index: i,
      });
  });
  return out;
}

/** The target policy's value from `logs` by IPS, SNIPS or DR, with its confidence interval (default 0.95). */
export function offPolicyValue(logs: LoggedFeedback, estimator: OffPolicyEstimator, options: { confidence?: number } = {}): PolicyValue {
  const o = optionsObject('options', options) as { confidence?: number };
  noUnknownKeys('options', o, ['confidence']);
  const confidence = number('options.confidence', o.confidence ?? 0.95, 0, 1, { exclusiveMin: true });
  const l = optionsObject('logs', logs) as unknown as LoggedFeedback;
  const n = l.rewards?.length ?? 0;
  if (n === 0) throw invalid('logs.rewards', 'a non-empty array of rewards', l.rewards);
  const r = column('logs.rewards', l.rewards, n, -Infinity, Infinity);
  const p = column('logs.propensities', l.propensities, n, 0, 1, true);
  const pi = column('logs.targetProbabilities', l.targetProbabilities, n, 0, 1);
  const w = pi.map((x, i) => x / p[i]!);
  if (estimator === 'ips')
    return meanInterval(
      w.map((wi, i) => wi * r[i]!),
      confidence,
    );
  if (estimator === 'dr') {
    const q = column('logs.predicted', l.predicted, n, -Infinity, Infinity);
    const qPi = column('logs.predictedTarget', l.predictedTarget, n, -Infinity, Infinity);
    return meanInterval(
      w.map((wi, i) => qPi[i]! + wi * (r[i]! - q[i]!)),
      confidence,
    );
  }
  if (estimator !== 'snips') throw invalid('estimator', "'ips', 'snips' or 'dr'", estimator);
  // SNIPS = Σwr / Σw; delta method: Var ≈ Σ w_i² (r_i − V)² / (Σw)².
  let sw = 0;
  let swr = 0;
  w.forEach((wi, i) => ((sw += wi), (swr += wi * r[i]!)));
  if (sw === 0) throw new SeqrecError('E_INVALID_DATA', 'the target policy gives probability 0 to every logged action: SNIPS is undefined');
  const value = swr / sw;
  let s = 0;
  w.forEach((wi, i) => (s += wi * wi * (r[i]! - value) ** 2));
  const half = zScore(confidence) * (Math.sqrt(s) / sw);
  return { value, lower: value - half, upper: value + half, confidence, events: n };
}

/**
 * The replay estimate (Li et al. 2011) of a deterministic target policy: the mean reward of the events whose
 * logged action equals the one the target policy picks (`targetActions`), with its interval and the matched count.
 * Unbiased when the logging policy chose uniformly at random.
 */
export function replayValue(
  logs: { actions: ArrayLike<number>; rewards: ArrayLike<number> },
  targetActions: ArrayLike<number>,
  options: { confidence?: number } = {},
): PolicyValue {
  const o = optionsObject('options', options) as { confidence?: number };
  noUnknownKeys('options', o, ['confidence']);
  const confidence = number('options.confidence', o.confidence ?? 0.95, 0, 1, { exclusiveMin: true });
  const n = logs?.actions?.length ?? 0;
  const r = column('logs.rewards', logs?.rewards, n, -Infinity, Infinity);
  if (targetActions?.length !== n) throw invalid('targetActions', `${n} actions (one per logged event)`, targetActions);
  const matched: number[] = [];
  for (let i = 0; i < n; i++) if (logs.actions[i] === targetActions[i]) matched.push(r[i]!);
  if (matched.length === 0) throw new SeqrecError('E_INVALID_DATA', 'no logged action matches the target policy: replay has no events to use');
  return meanInterval(Float64Array.from(matched), confidence);
}
