/**
 * Re-rankers that trade a little accuracy for long-term health, applied to a candidate list the
 * model ranked (the native top-N, N = max(50, 5k), with every filter already applied):
 *   mmr        Maximal Marginal Relevance (Carbonell & Goldstein, SIGIR 1998): greedily add the
 *              item maximising λ·rel(i) − (1 − λ)·max_{j chosen} cos(i, j), rel = the model score
 *              min-max scaled over the candidates and cos over the item vectors scores are dot
 *              products with (itemStates). λ = 1 is the model's order.
 *   calibrated Calibrated recommendations (Steck, RecSys 2018): the list's category mix q should
 *              match the history's p; greedily add the item maximising
 *              (1 − λ)·Σ rel − λ·KL(p ‖ (1 − α)q + αp), α = 0.01, categories from `categories(item, id)`
 *              (each item's categories share its unit weight). λ = 0 is the model's order.
 *   fair       Exposure floor for a protected item group (in the spirit of FA*IR, Zehlike et al. CIKM
 *              2017): every prefix of length i holds at least ⌊share · i⌋ items of the group when the
 *              candidates allow it; otherwise the best remaining item.
 * All keep the model's score on each item; they only reorder and choose.
 */
import { invalid, noUnknownKeys, number, oneOf, optionsObject } from '../validate.js';

export type RerankOptions =
  | { method: 'mmr'; lambda?: number }
  | { method: 'calibrated'; lambda?: number; categories: (item: number, id: string | undefined) => readonly string[] }
  | { method: 'fair'; group: (item: number, id: string | undefined) => boolean; share: number };

/** A checked re-ranker: what it needs beyond the candidates, and how many candidates it wants for a list of k. */
export interface Reranker {
  options: RerankOptions;
  candidates(k: number, numItems: number): number;
}

export function checkRerank(value: unknown): Reranker {
  const o = optionsObject('options.rerank', value) as RerankOptions & Record<string, unknown>;
  const method = oneOf('options.rerank.method', o.method, ['mmr', 'calibrated', 'fair'] as const);
  const candidates = (k: number, V: number) => Math.min(V, Math.max(50, 5 * k));
  if (method === 'mmr') {
    noUnknownKeys('options.rerank', o, ['method', 'lambda']);
    return { options: { method, lambda: number('options.rerank.lambda', o.lambda ?? 0.7, 0, 1) }, candidates };
  }
  if (method === 'calibrated') {
    noUnknownKeys('options.rerank', o, ['method', 'lambda', 'categories']);
    if (typeof o.categories !== 'function') throw invalid('options.rerank.categories', 'a function (item, id) => string[]', o.categories);
    return {
      options: {
        method,
        lambda: number('options.rerank.lambda', o.lambda ?? 0.5, 0, 1),
        categories: o.categories as (item: number, id: string | undefined) => readonly string[],
      },
      candidates,
    };
  }
  noUnknownKeys('options.rerank', o, ['method', 'group', 'share']);
  if (typeof o.group !== 'function') throw invalid('options.rerank.group', 'a function (item, id) => boolean (true = the protected group)', o.group);
  return {
    options: { method, group: o.group as (item: number, id: string | undefined) => boolean, share: number('options.rerank.share', o.share, 0, 1) },
    candidates,
  };
}

export interface Candidate {
  item: number;
  id?: string;
  score: number;
}

/** Scores min-max scaled to [0, 1] over the candidates (all 1 when they are equal). */
function relevance(candidates: readonly Candidate[]): number[] {
  const scores = candidates.map((c) => c.score);
  const lo = Math.min(...scores);
  const span = Math.max(...scores) - lo;
  return scores.map((s) => (span > 0 ? (s - lo) / span : 1));
}

/** Greedily pick k of `candidates` by `gain(index, chosen so far)`, best first. */
function greedy(candidates: readonly Candidate[], k: number, gain: (i: number, chosen: number[]) => number): number[] {
  const chosen: number[] = [];
  const left = new Set(candidates.map((_, i) => i));
  while (chosen.length < k && left.size > 0) {
    let best = -1;
    let bestGain = -Infinity;
    for (const i of left) {
      const g = gain(i, chosen);
      if (g > bestGain) [best, bestGain] = [i, g];
    }
    chosen.push(best);
    left.delete(best);
  }
  return chosen;
}

/** MMR over `vectors` ((n·d) row-major, one row per candidate). */
export function mmr(candidates: readonly Candidate[], vectors: Float32Array, k: number, lambda: number): Candidate[] {
  const n = candidates.length;
  const d = n > 0 ? vectors.length / n : 0;
  const norms = Array.from({ length: n }, (_, i) => Math.hypot(...vectors.subarray(i * d, (i + 1) * d)) || 1);
  const cos = (i: number, j: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += vectors[i * d + c]! * vectors[j * d + c]!;
    return s / (norms[i]! * norms[j]!);
  };
  const rel = relevance(candidates);
  return greedy(candidates, k, (i, chosen) => lambda * rel[i]! - (1 - lambda) * (chosen.length === 0 ? 0 : Math.max(...chosen.map((j) => cos(i, j))))).map(
    (i) => candidates[i]!,
  );
}

/** Category distribution of items (each item's categories share its unit weight). */
export function categoryMix(
  items: readonly { item: number; id?: string }[],
  categories: (item: number, id: string | undefined) => readonly string[],
): Map<string, number> {
  const mix = new Map<string, number>();
  for (const { item, id } of items) {
    const cats = categories(item, id);
    for (const c of cats) mix.set(c, (mix.get(c) ?? 0) + 1 / cats.length / items.length);
  }
  return mix;
}

/** KL(p ‖ (1 − α)q + αp), α = 0.01 (Steck 2018): 0 when the list's mix is the history's. */
export function miscalibration(p: Map<string, number>, q: Map<string, number>, alpha = 0.01): number {
  let kl = 0;
  for (const [c, pc] of p) if (pc > 0) kl += pc * Math.log(pc / ((1 - alpha) * (q.get(c) ?? 0) + alpha * pc));
  return kl;
}

export function calibrated(
  candidates: readonly Candidate[],
  history: readonly { item: number; id?: string }[],
  k: number,
  lambda: number,
  categories: (item: number, id: string | undefined) => readonly string[],
): Candidate[] {
  const p = categoryMix(history, categories);
  const rel = relevance(candidates);
  return greedy(candidates, k, (i, chosen) => {
    const list = [...chosen.map((j) => candidates[j]!), candidates[i]!];
    return (1 - lambda) * [...chosen, i].reduce((s, j) => s + rel[j]!, 0) - lambda * miscalibration(p, categoryMix(list, categories));
  }).map((i) => candidates[i]!);
}

export function fairFloor(candidates: readonly Candidate[], k: number, inGroup: (item: number, id: string | undefined) => boolean, share: number): Candidate[] {
  const protectedOnes = candidates.filter((c) => inGroup(c.item, c.id));
  const others = candidates.filter((c) => !inGroup(c.item, c.id));
  const out: Candidate[] = [];
  let shown = 0;
  while (out.length < k && (protectedOnes.length > 0 || others.length > 0)) {
    const needed = Math.floor(share * (out.length + 1));
    const takeProtected = protectedOnes.length > 0 && (shown < needed || others.length === 0 || protectedOnes[0]!.score >= others[0]!.score);
    out.push(takeProtected ? protectedOnes.shift()! : others.shift()!);
    if (takeProtected) shown++;
  }
  return out;
}
