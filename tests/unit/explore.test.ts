/**
 * Exploration policies: the propensity each slot logs is the probability the policy gives it, checked
 * by drawing many seeded lists and counting; and logged that way, IPS recovers the value of the greedy
 * policy from ε-greedy logs (lib/eval/off-policy.ts).
 */
import { describe, expect, it } from 'vitest';
import { checkExplore, explore } from '../../lib/models/explore.js';
import { offPolicyValue, seededRandom } from '../../lib/index.js';
import { thrown } from '../helpers/errors.js';

const candidates = [3, 2, 1, 0.5, 0].map((score, i) => ({ item: i + 1, score }));

/** Share of `draws` lists whose first slot is each item, and the propensity logged with it. */
function firstSlot(options: object, draws = 20_000) {
  const explorer = checkExplore({ ...options, seed: 7 });
  const count = new Map<number, number>();
  const logged = new Map<number, number>();
  for (let i = 0; i < draws; i++) {
    const [first] = explore(candidates, 2, explorer);
    count.set(first!.item, (count.get(first!.item) ?? 0) + 1 / draws);
    logged.set(first!.item, first!.propensity);
  }
  return { count, logged };
}

describe('explore', () => {
  it('epsilon-greedy logs (1 − ε)·[best] + ε / remaining, which is how often each item leads', () => {
    const { count, logged } = firstSlot({ policy: 'epsilon-greedy', epsilon: 0.3 });
    expect(logged.get(1)).toBeCloseTo(0.7 + 0.3 / 5, 12);
    for (const item of [2, 3, 4, 5]) expect(logged.get(item)).toBeCloseTo(0.3 / 5, 12);
    for (const [item, share] of count) expect(Math.abs(share - logged.get(item)!)).toBeLessThan(0.01);
  });

  it('softmax logs exp(s/T) / Σ exp(s/T), which is how often each item leads', () => {
    const { count, logged } = firstSlot({ policy: 'softmax', temperature: 1 });
    const z = candidates.reduce((s, c) => s + Math.exp(c.score), 0);
    for (const c of candidates) {
      expect(logged.get(c.item)).toBeCloseTo(Math.exp(c.score) / z, 12);
      expect(Math.abs(count.get(c.item)! - logged.get(c.item)!)).toBeLessThan(0.01);
    }
  });

  it('ε = 0 is the model order with propensity 1, and a list never repeats an item', () => {
    expect(explore(candidates, 3, checkExplore({ policy: 'epsilon-greedy', epsilon: 0 }))).toEqual(
      candidates.slice(0, 3).map((c) => ({ ...c, propensity: 1 })),
    );
    const list = explore(candidates, 5, checkExplore({ policy: 'epsilon-greedy', epsilon: 1, seed: 3 }));
    expect(new Set(list.map((c) => c.item)).size).toBe(5);
  });

  it('IPS over its logs recovers the greedy policy’s click rate within 5%', () => {
    const click = [0.3, 0.2, 0.1, 0.05, 0.02]; // by item 1..5; the greedy policy always leads with item 1
    const explorer = checkExplore({ policy: 'epsilon-greedy', epsilon: 0.5, seed: 11 });
    const random = seededRandom(12);
    const n = 100_000;
    const rewards = new Float64Array(n);
    const propensities = new Float64Array(n);
    const targetProbabilities = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const [shown] = explore(candidates, 1, explorer);
      rewards[i] = random() < click[shown!.item - 1]! ? 1 : 0;
      propensities[i] = shown!.propensity;
      targetProbabilities[i] = shown!.item === 1 ? 1 : 0;
    }
    const v = offPolicyValue({ rewards, propensities, targetProbabilities }, 'ips');
    expect(Math.abs(v.value - 0.3) / 0.3).toBeLessThan(0.05);
  });

  it('names a bad option', () => {
    expect(thrown(() => checkExplore({ policy: 'ucb' })).message).toMatch(/options\.explore\.policy/);
    expect(thrown(() => checkExplore({ policy: 'softmax', temperature: 0 })).message).toMatch(/options\.explore\.temperature/);
    expect(thrown(() => checkExplore({ policy: 'epsilon-greedy', epsilon: 0.1, temperature: 1 })).message).toMatch(/temperature/);
  });
});
