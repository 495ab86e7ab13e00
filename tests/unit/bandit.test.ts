/**
 * LinearBandit's arithmetic against independent references, on a stand-in model whose features φ = h ⊙ e
 * are chosen by hand (d = 3; float32 like a model's): the posterior mean is the ridge solution of the normal equations (solved
 * here by Cramer's rule), LinUCB ranks by ŵᵀφ + α·sqrt(φᵀA⁻¹φ) (A⁻¹ by the adjugate), and Thompson
 * sampling's reported propensities match how often each item is actually drawn first.
 */
import { describe, expect, it } from 'vitest';
import { LinearBandit, type BanditModel } from '../../lib/models/bandit.js';
import type { Recommendation } from '../../lib/models/inference.js';

const rows: number[][] = [
  [0, 0, 0], // padding
  [1, 0, 0.5],
  [0, 1, 0.2],
  [0.3, 0.3, 1],
  [0.8, -0.2, 0.1],
];
const model: BanditModel = {
  config: { dim: 3, items: 4 },
  async recommend(_history, options) {
    const k = options.k ?? 10;
    return [1, 2, 3, 4].slice(0, k).map((item): Recommendation => ({ item, score: rows[item]!.reduce((s, x) => s + x, 0) }));
  },
  async userStates(histories) {
    return new Float32Array(histories.length * 3).fill(1); // h = 1, so φ = e
  },
  async itemStates(items) {
    return Float32Array.from(Array.from(items!, (i) => rows[i]!).flat());
  },
};

function det3(m: number[][]): number {
  const [a, b, c] = m as [number[], number[], number[]];
  return a[0]! * (b[1]! * c[2]! - b[2]! * c[1]!) - a[1]! * (b[0]! * c[2]! - b[2]! * c[0]!) + a[2]! * (b[0]! * c[1]! - b[1]! * c[0]!);
}
/** A⁻¹ of a 3×3 by the adjugate. */
function inverse3(m: number[][]): number[][] {
  const det = det3(m);
  const minor = (r: number, c: number) => {
    const sub = m.filter((_, i) => i !== r).map((row) => row.filter((_, j) => j !== c));
    return sub[0]![0]! * sub[1]![1]! - sub[0]![1]! * sub[1]![0]!;
  };
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => ((i + j) % 2 ? -1 : 1) * (minor(j, i) / det)));
}

const events = [
  { history: [1], item: 1, reward: 1 },
  { history: [1], item: 2, reward: 0 },
  { history: [2], item: 3, reward: 1 },
  { history: [2], item: 4, reward: 0.5 },
  { history: [3], item: 1, reward: 0 },
];

/** A = λI + Σφφᵀ and b = λw₀ + Σrφ built directly. */
function statistics(lambda: number, prior: number): { A: number[][]; b: number[] } {
  const A = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? lambda : 0)));
  const b = [lambda * prior, lambda * prior, lambda * prior];
  for (const e of events) {
    const phi = rows[e.item]!;
    for (let i = 0; i < 3; i++) {
      b[i]! += e.reward * phi[i]!;
      for (let j = 0; j < 3; j++) A[i]![j]! += phi[i]! * phi[j]!;
    }
  }
  return { A, b };
}

describe('LinearBandit', () => {
  it('has the ridge posterior mean of the normal equations, and ranks LinUCB by mean plus α·width', async () => {
    const bandit = new LinearBandit(model, { policy: 'linucb', alpha: 0.7, lambda: 0.5, prior: 0.2 });
    await bandit.observe(events);
    const { A, b } = statistics(0.5, 0.2);
    const det = det3(A);
    const cramer = [0, 1, 2].map((c) => det3(A.map((row, r) => row.map((x, j) => (j === c ? b[r]! : x)))) / det);
    Array.from(bandit.mean).forEach((w, i) => expect(w).toBeCloseTo(cramer[i]!, 6));
    expect(bandit.state.observations).toBe(5);

    const inv = inverse3(A);
    const ucb = [1, 2, 3, 4].map((item) => {
      const phi = rows[item]!;
      const width = Math.sqrt(phi.reduce((s, x, i) => s + x * phi.reduce((t, y, j) => t + inv[i]![j]! * y, 0), 0));
      return { item, value: phi.reduce((s, x, i) => s + x * cramer[i]!, 0) + 0.7 * width };
    });
    ucb.sort((p, q) => q.value - p.value);
    const list = await bandit.recommend([1], { k: 4 });
    expect(list.map((r) => r.item)).toEqual(ucb.map((u) => u.item));
    list.forEach((r, i) => {
      expect(r.value).toBeCloseTo(ucb[i]!.value, 6);
      expect(r.propensity).toBe(1);
    });

    // the statistics carry over to a new bandit; reset forgets them
    const copy = new LinearBandit(model, { policy: 'linucb', alpha: 0.7, lambda: 0.5, prior: 0.2, state: bandit.state });
    expect(Array.from(copy.mean)).toEqual(Array.from(bandit.mean));
    bandit.reset();
    Array.from(bandit.mean).forEach((w) => expect(w).toBeCloseTo(0.2, 12)); // the prior mean
  });

  it("reports Thompson sampling propensities that match the policy's own draw frequencies", async () => {
    const bandit = new LinearBandit(model, { policy: 'thompson', noise: 0.5, seed: 9, draws: 500 });
    await bandit.observe(events);
    const counts = new Map<number, number>();
    const reported = new Map<number, number[]>();
    const n = 2000;
    for (let t = 0; t < n; t++) {
      const [first] = await bandit.recommend([1], { k: 2 });
      counts.set(first!.item, (counts.get(first!.item) ?? 0) + 1);
      reported.set(first!.item, [...(reported.get(first!.item) ?? []), first!.propensity]);
    }
    expect(counts.size).toBeGreaterThan(1); // it explores
    for (const [item, c] of counts) {
      const p = reported.get(item)!.reduce((s, x) => s + x, 0) / c;
      expect(Math.abs(c / n - p)).toBeLessThan(0.03);
    }
  });

  it('refuses bad options and events, naming the field', async () => {
    expect(() => new LinearBandit(model, { policy: 'ucb' as never })).toThrow(/options\.policy/);
    expect(() => new LinearBandit(model, { policy: 'linucb', noise: 1 } as never)).toThrow(/options\.noise/);
    expect(() => new LinearBandit(model, { policy: 'linucb', draws: 5 })).toThrow(/options\.draws/);
    expect(() => new LinearBandit(model, { policy: 'thompson', lambda: 0 })).toThrow(/options\.lambda/);
    expect(
      () => new LinearBandit(model, { policy: 'thompson', state: { precision: new Float64Array(4), rewardSum: new Float64Array(3), observations: 0 } }),
    ).toThrow(/options\.state\.precision/);
    const bandit = new LinearBandit(model, { policy: 'thompson' });
    await expect(bandit.observe([{ history: [1], item: 9, reward: 1 }])).rejects.toThrow(/events\[0\]\.item/);
    await expect(bandit.observe([{ history: [1], item: 1, reward: Number.NaN }])).rejects.toThrow(/events\[0\]\.reward/);
    await expect(bandit.recommend([1], { explore: { policy: 'softmax', temperature: 1 } })).rejects.toThrow(/options\.explore/);
  });
});
