/**
 * Off-policy estimators on synthetic bandit logs whose true target value is computed exactly:
 * 20 context types, 10 actions, Bernoulli rewards with known means μ(x, a), a softmax logging policy
 * with known propensities and a different softmax target policy. At 100k events IPS, SNIPS and DR
 * must be within 5% of the truth (over 5 seeds), their 95% intervals must cover it in most seeds,
 * and replay (uniform logging, deterministic target) likewise, counting its matched events.
 */
import { describe, expect, it } from 'vitest';
import { offPolicyValue, replayValue, seededRandom } from '../../lib/index.js';
import { thrown } from '../helpers/errors.js';

const X = 20;
const A = 10;

function softmax(scores: number[]): number[] {
  const m = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

function draw(probabilities: number[], u: number): number {
  let acc = 0;
  for (let a = 0; a < probabilities.length; a++) if (u < (acc += probabilities[a]!)) return a;
  return probabilities.length - 1;
}

/** A bandit world from `seed`, n events logged under `logging`, and the exact value of `target`. */
function world(seed: number, n: number, logging: 'softmax' | 'uniform') {
  const random = seededRandom(seed);
  const mu = Array.from({ length: X }, () => Array.from({ length: A }, () => 0.05 + 0.5 * random()));
  const log = Array.from({ length: X }, () => (logging === 'uniform' ? Array<number>(A).fill(1 / A) : softmax(Array.from({ length: A }, () => 2 * random()))));
  const target = mu.map((m) => softmax(m.map((v) => 6 * v + 0.5 * random()))); // prefers good actions
  const greedy = mu.map((m) => m.indexOf(Math.max(...m)));
  const trueValue = mu.reduce((s, m, x) => s + m.reduce((t, v, a) => t + target[x]![a]! * v, 0), 0) / X;
  const trueGreedy = mu.reduce((s, m, x) => s + m[greedy[x]!]!, 0) / X;
  const rewards = new Float64Array(n);
  const propensities = new Float64Array(n);
  const targetProbabilities = new Float64Array(n);
  const predicted = new Float64Array(n);
  const predictedTarget = new Float64Array(n);
  const actions = new Int32Array(n);
  const greedyActions = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = Math.floor(random() * X);
    const a = draw(log[x]!, random());
    actions[i] = a;
    greedyActions[i] = greedy[x]!;
    rewards[i] = random() < mu[x]![a]! ? 1 : 0;
    propensities[i] = log[x]![a]!;
    targetProbabilities[i] = target[x]![a]!;
    const model = mu[x]!.map((v, j) => v + 0.1 * Math.sin(7 * x + 3 * j)); // a reward model off by up to ±0.1
    predicted[i] = model[a]!;
    predictedTarget[i] = model.reduce((s, v, j) => s + target[x]![j]! * v, 0);
  }
  return { logs: { rewards, propensities, targetProbabilities, predicted, predictedTarget }, actions, greedyActions, trueValue, trueGreedy };
}

describe('off-policy evaluation', () => {
  it.each(['ips', 'snips', 'dr'] as const)('%s is within 5 percent of the true value at 100k events, and its 95 percent interval covers it', (estimator) => {
    let covered = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const w = world(seed, 100_000, 'softmax');
      const v = offPolicyValue(w.logs, estimator);
      expect(Math.abs(v.value - w.trueValue) / w.trueValue).toBeLessThan(0.05);
      expect(v.events).toBe(100_000);
      if (v.lower <= w.trueValue && w.trueValue <= v.upper) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(4);
  });

  it('DR with a good reward model (off by at most 0.1) has a narrower interval than IPS', () => {
    const w = world(9, 20_000, 'softmax');
    const ips = offPolicyValue(w.logs, 'ips');
    const dr = offPolicyValue(w.logs, 'dr');
    expect(dr.upper - dr.lower).toBeLessThan(ips.upper - ips.lower);
  });

  it('replay estimates a deterministic policy from uniform logs within 5%, on the matched events only', () => {
    for (const seed of [1, 2, 3]) {
      const w = world(seed, 100_000, 'uniform');
      const v = replayValue({ actions: w.actions, rewards: w.logs.rewards }, w.greedyActions);
      expect(Math.abs(v.value - w.trueGreedy) / w.trueGreedy).toBeLessThan(0.05);
      expect(v.events).toBeGreaterThan(9_000); // ≈ n / A
      expect(v.events).toBeLessThan(11_000);
    }
  });

  it('refuses malformed logs, naming the field and the event', () => {
    const w = world(1, 10, 'softmax');
    expect(thrown(() => offPolicyValue({ ...w.logs, propensities: w.logs.propensities.map((p, i) => (i === 3 ? 0 : p)) }, 'ips')).message).toMatch(
      /propensities\[3\] = 0/,
    );
    expect(thrown(() => offPolicyValue({ ...w.logs, propensities: [0.5] }, 'ips')).message).toMatch(/logs\.propensities/);
    expect(thrown(() => offPolicyValue({ ...w.logs, predicted: undefined }, 'dr')).message).toMatch(/logs\.predicted/);
    expect(thrown(() => offPolicyValue(w.logs, 'magic' as never)).message).toMatch(/estimator/);
    expect(thrown(() => replayValue({ actions: [1], rewards: [1] }, [2])).code).toBe('E_INVALID_DATA');
  });
});
