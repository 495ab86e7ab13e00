/**
 * Reduced-precision scoring (recommend's `scoring: 'int8' | 'bf16'`): candidates from a cheap copy of
 * the item table, then exact fp32 scores decide. So every returned score is the item's exact score,
 * filters hold as in fp32, and the lists agree with fp32 whenever the true top items reach the
 * candidates. And userStates(): the state whose dot product with an item's row is its score.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SASRec, syntheticDataset } from '../../lib/index.js';
import { readItemRows } from '../../lib/coldstart/item-table.js';
import { rejection } from '../helpers/errors.js';

const V = 400;
const data = syntheticDataset({ users: 400, items: V, seed: 5 });
let model: SASRec;
const histories = Array.from({ length: 120 }, (_, u) => Array.from(data.sequence(u)));

beforeAll(async () => {
  model = await SASRec.create({ items: V, dim: 32, layers: 2, heads: 2, maxLen: 30, seed: 2, threads: 2 });
  await model.fit(data, { epochs: 3, batchSize: 64 });
}, 120_000);
afterAll(() => model.dispose());

describe('reduced-precision scoring', () => {
  it.each(['int8', 'bf16'] as const)('%s: top-10 lists agree with fp32, and every score is the exact one', async (scoring) => {
    const exact = await model.recommend(histories, { k: V });
    const reduced = await model.recommend(histories, { k: 10, scoring });
    let same = 0;
    reduced.forEach((list, u) => {
      const truth = new Map(exact[u]!.map((r) => [r.item, r.score]));
      for (const r of list) expect(Math.abs(r.score - truth.get(r.item)!)).toBeLessThan(1e-5);
      if (
        list.map((r) => r.item).join() ===
        exact[u]!.slice(0, 10)
          .map((r) => r.item)
          .join()
      )
        same++;
    });
    expect(same / histories.length).toBeGreaterThanOrEqual(0.95);
    for (const [u, h] of histories.slice(0, 5).entries()) {
      const alone = await model.recommend(h, { k: 10, scoring }); // int8 alone: a scan of the table, then exact scores
      expect(alone.map((r) => r.item)).toEqual(reduced[u]!.map((r) => r.item));
      alone.forEach((r, j) => expect(Math.abs(r.score - reduced[u]![j]!.score)).toBeLessThan(1e-5));
    }
  });

  it.each(['int8', 'bf16'] as const)(
    '%s: seen, denied and not-allowed items never appear; a list is short only when too few items are admitted',
    async (scoring) => {
      const h = histories[0]!;
      const allow = Array.from({ length: 40 }, (_, i) => i + 1);
      const deny = [1, 2, 3];
      const list = await model.recommend(h, { k: 10, scoring, allow, deny });
      for (const r of list) {
        expect(allow).toContain(r.item);
        expect(deny).not.toContain(r.item);
        expect(h).not.toContain(r.item);
      }
      const admitted = allow.filter((i) => !deny.includes(i) && !h.includes(i));
      expect(list).toHaveLength(Math.min(10, admitted.length));
      const few = await model.recommend(h, { k: 10, scoring, allow: admitted.slice(0, 4) });
      expect(few.map((r) => r.item).sort()).toEqual(admitted.slice(0, 4).sort());
    },
  );

  it('rejects an unknown scoring', async () => {
    expect((await rejection(model.recommend([1], { scoring: 'fp8' as never }))).message).toMatch(/options\.scoring/);
  });
});

describe('userStates', () => {
  it("is the vector whose dot product with an item's row is the item's score", async () => {
    const states = await model.userStates(histories.slice(0, 3));
    const d = model.config.dim;
    expect(states).toHaveLength(3 * d);
    const lists = await model.recommend(histories.slice(0, 3), { k: 3 });
    for (let u = 0; u < 3; u++) {
      const rows = await readItemRows(
        model,
        Int32Array.from(lists[u]!, (r) => r.item),
      );
      lists[u]!.forEach((r, j) => {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += states[u * d + c]! * rows[j * d + c]!;
        expect(dot).toBeCloseTo(r.score, 4);
      });
    }
    const alone = await model.userStates([histories[1]!]);
    alone.forEach((x, c) => expect(x).toBeCloseTo(states[d + c]!, 5));
  });
});

describe('top-k', () => {
  // The k best unseen items by the float64 dot products of userStates() with every item row, computed here: the list
  // holds no item a margin below an item it leaves out, in score order. One user (the scan), 16 (the panels), and 16
  // live sessions, at k from 1 to every unseen item (the heap of the k best replaced over and over).
  it('recommend and recommendSessions give the k best unseen items of an independent full scoring', async () => {
    const users = histories.slice(0, 16);
    const d = model.config.dim;
    const states = await model.userStates(users);
    const rows = await readItemRows(
      model,
      Int32Array.from({ length: V }, (_, i) => i + 1),
    );
    const scores = users.map((_, u) =>
      Array.from({ length: V }, (_, i) => {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += states[u * d + c]! * rows[i * d + c]!;
        return dot;
      }),
    );
    const sessions = users.map((h) => model.session(h));
    try {
      for (const k of [1, 10, 77, V]) {
        const lists = [[await model.recommend(users[0]!, { k })], await model.recommend(users, { k }), await model.recommendSessions(sessions, { k })];
        for (const byUser of lists)
          byUser.forEach((list, u) => {
            const seen = new Set(users[u]);
            const unseen = V - seen.size;
            expect(list).toHaveLength(Math.min(k, unseen));
            const kept = new Set(list.map((r) => r.item));
            list.forEach((r, j) => {
              expect(seen.has(r.item)).toBe(false);
              expect(r.score).toBeCloseTo(scores[u]![r.item - 1]!, 4);
              if (j > 0) expect(r.score).toBeLessThanOrEqual(list[j - 1]!.score);
            });
            const last = list.at(-1)!.score;
            for (let i = 1; i <= V; i++) if (!seen.has(i) && !kept.has(i)) expect(scores[u]![i - 1]!).toBeLessThanOrEqual(last + 1e-4);
          });
      }
    } finally {
      await Promise.all(sessions.map((s) => s.dispose()));
    }
  });
});

describe('filter', () => {
  it('keeps only the items a predicate accepts, inside the top-K (never short), with allow and deny, every scoring', async () => {
    const h = histories[2]!;
    const even = (item: number) => item % 2 === 0;
    for (const scoring of ['fp32', 'int8'] as const) {
      const all = (await model.recommend(h, { k: V, scoring: 'fp32' })).map((r) => r.item);
      const got = await model.recommend(h, { k: 10, filter: even, deny: [all.find(even)!], scoring });
      expect(got.map((r) => r.item)).toEqual(all.filter(even).slice(1, 11));
    }
    const withAllow = await model.recommend(h, { k: 10, filter: even, allow: [1, 2, 3, 4, 5, 6] });
    expect(withAllow.every((r) => [2, 4, 6].includes(r.item))).toBe(true);
    expect(await model.recommend(h, { k: 10, filter: () => false })).toEqual([]);
    expect((await rejection(model.recommend(h, { filter: 'drama' as never }))).message).toMatch(/options\.filter/);
  });
});

describe('rerank', () => {
  it('mmr re-ranks the model top-50 (filters applied first) into k items, its λ = 1 being the model order', async () => {
    const h = histories[3]!;
    const plain = await model.recommend(h, { k: 10 });
    expect(await model.recommend(h, { k: 10, rerank: { method: 'mmr', lambda: 1 } })).toEqual(plain);
    const diverse = await model.recommend(h, { k: 10, rerank: { method: 'mmr', lambda: 0.3 }, deny: [plain[0]!.item] });
    const top50 = (await model.recommend(h, { k: 50, deny: [plain[0]!.item] })).map((r) => r.item);
    expect(diverse).toHaveLength(10);
    for (const r of diverse) expect(top50).toContain(r.item);
  });
});

describe('explore', () => {
  it('draws k distinct items from the model top-50 with their propensities, reproducibly for a seed', async () => {
    const h = histories[4]!;
    const top50 = (await model.recommend(h, { k: 50 })).map((r) => r.item);
    const options = { k: 10, explore: { policy: 'epsilon-greedy', epsilon: 0.5, seed: 5 } } as const;
    const list = await model.recommend(h, options);
    expect(list).toHaveLength(10);
    expect(new Set(list.map((r) => r.item)).size).toBe(10);
    for (const r of list) {
      expect(top50).toContain(r.item);
      expect(r.propensity).toBeGreaterThan(0);
      expect(r.propensity).toBeLessThanOrEqual(1);
    }
    expect(await model.recommend(h, options)).toEqual(list);
  });
});
