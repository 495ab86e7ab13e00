/**
 * model.session(): a session's lists equal recommend(history) over the same events (items and scores),
 * however the answer was computed: the one-position decode step (start-anchored SASRec, no adapter),
 * LibTorch's cached extend (an unmerged LoRA adapter), the pool path (a catalogue too large for the
 * JS-thread step), a rebuild (the window slid past maxLen, the model was fit again), or a full
 * recompute (end-anchored positions); a new session's first events step from an empty cache. Also:
 * calls on one session run in order, bad input is refused
 * without losing events, and disposal is clean.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BERT4Rec, SASRec, loadModel, syntheticDataset, type Recommendation } from '../../lib/index.js';
import { rejection, thrown } from '../helpers/errors.js';
import { tempDir } from '../helpers/temp.js';

const DIR = tempDir('session');
const V = 80;
const L = 16;
const data = syntheticDataset({ users: 300, items: V, seed: 3 });
const ARCH = { items: V, dim: 32, layers: 2, heads: 2, maxLen: L, seed: 1, threads: 1 } as const;

let start: SASRec;
let end: SASRec;
beforeAll(async () => {
  start = await SASRec.create({ ...ARCH, positions: 'start' });
  end = await SASRec.create(ARCH);
  await start.fit(data, { epochs: 2, batchSize: 64 });
  await end.fit(data, { epochs: 2, batchSize: 64 });
}, 120_000);
afterAll(async () => {
  await start.dispose();
  await end.dispose();
});

/** Same items in the same order, scores within tol. */
function expectSameList(got: Recommendation[], want: Recommendation[], tol = 1e-5): void {
  expect(got.map((r) => r.item)).toEqual(want.map((r) => r.item));
  got.forEach((r, j) => expect(Math.abs(r.score - want[j]!.score)).toBeLessThan(tol));
}

const nextItem = (i: number) => 1 + ((i * 37 + 11) % V);

describe('session', () => {
  it('equals recommend(history) after every append, past maxLen, and caches one position per event (start positions)', async () => {
    await using session = start.session([3, 4]);
    const history = [3, 4];
    for (let i = 0; i < 2 * L; i++) {
      session.append(nextItem(i));
      history.push(nextItem(i));
      expectSameList(await session.recommend({ k: 10 }), await start.recommend(history, { k: 10 }));
      expect(session.info().cachedPositions).toBe(Math.min(history.length, L));
    }
    expect(session.history).toEqual(history);
    expect(session.info().cacheBytes).toBe(2 * 2 * L * 32 * 4); // keys and values of 2 blocks, (L, d) fp32 each
  });

  it("steps a new session's first events from an empty cache, in the call itself once the model has stepped before", async () => {
    const settled = async <T>(p: Promise<T>) => Promise.race([p, Promise.resolve('pending' as const)]);
    await using warm = start.session([5]);
    await warm.append(6).recommend({ k: 3 }); // the model's decode step is built (off the JS thread)
    await using session = start.session();
    const history: number[] = [];
    for (const item of [nextItem(1), nextItem(2), nextItem(3)]) {
      history.push(item);
      const pending = start.recommendSessions([session.append(item)], { k: 10 });
      expect(await settled(pending)).not.toBe('pending'); // answered in the call: no pass through LibTorch
      expectSameList((await pending)[0]!, await start.recommend(history, { k: 10 }));
      expect(session.info().cachedPositions).toBe(history.length);
    }
    // several new sessions at once: one event, two, 16 (the most that step from empty), 17 (past maxLen: one pass)
    const firsts = [1, 2, 16, 17].map((n) => Array.from({ length: n }, (_, i) => nextItem(n + i)));
    const fresh = firsts.map(() => start.session());
    try {
      fresh.forEach((s, u) => s.append(firsts[u]!));
      const lists = await start.recommendSessions(fresh, { k: 6 });
      for (const [u, events] of firsts.entries()) expectSameList(lists[u]!, await start.recommend(events, { k: 6 }));
      expect(fresh.map((s) => s.info().cachedPositions)).toEqual([1, 2, 16, 16]);
    } finally {
      await Promise.all(fresh.map((s) => s.dispose()));
    }
  });

  it('grows its cache by doubling (16, 32, …, maxLen positions), answering the same throughout', async () => {
    const long = await SASRec.create({ ...ARCH, maxLen: 40, positions: 'start' });
    try {
      await using session = long.session();
      const history: number[] = [];
      const perPosition = 2 * 2 * 32 * 4; // keys and values of 2 blocks, d = 32, fp32
      const seen = new Set<number>();
      for (let i = 0; i < 45; i++) {
        history.push(nextItem(i));
        expectSameList(await session.append(nextItem(i)).recommend({ k: 5 }), await long.recommend(history, { k: 5 }));
        seen.add(session.info().cacheBytes / perPosition);
        expect(session.info().cacheBytes / perPosition).toBeGreaterThanOrEqual(Math.min(history.length, 40));
      }
      expect([...seen]).toEqual([16, 32, 40]);
    } finally {
      await long.dispose();
    }
  });

  it('equals recommend(history) when the model recomputes (end positions), caching nothing', async () => {
    await using session = end.session();
    const history: number[] = [];
    for (let i = 0; i < L + 3; i++) {
      history.push(nextItem(i));
      expectSameList(await session.append(nextItem(i)).recommend({ k: 5 }), await end.recommend(history, { k: 5 }));
    }
    expect(session.info().cachedPositions).toBe(0);
  });

  it('appends several events at once, and recommends with no new events', async () => {
    await using session = start.session([1]);
    await session.recommend();
    session.append([5, 6, 7]).append(8);
    expectSameList(await session.recommend({ k: 8 }), await start.recommend([1, 5, 6, 7, 8], { k: 8 }));
    expectSameList(await session.recommend({ k: 8, excludeSeen: false }), await start.recommend([1, 5, 6, 7, 8], { k: 8, excludeSeen: false }));
  });

  it('starts empty: the first list is the model prior, then events arrive one by one', async () => {
    await using session = start.session();
    expectSameList(await session.recommend({ k: 5 }), await start.recommend([], { k: 5 }));
    session.append(9);
    expectSameList(await session.recommend({ k: 5 }), await start.recommend([9], { k: 5 }));
  });

  it('follows the model: after another fit the next answer is the new model’s', async () => {
    const model = await SASRec.create({ ...ARCH, positions: 'start' });
    try {
      await model.fit(data, { epochs: 1, batchSize: 64 });
      const session = model.session([2, 3, 4]);
      await session.recommend();
      await model.fit(data, { epochs: 1, batchSize: 64 }); // new weights: the cached keys and values are stale
      session.append(5);
      expectSameList(await session.recommend({ k: 10 }), await model.recommend([2, 3, 4, 5], { k: 10 }));
      await session.dispose();
    } finally {
      await model.dispose();
    }
  }, 60_000);

  it('serves a LoRA adapter per call (cached extend), a prefix, and a merged one (decode step), like recommend', async () => {
    const model = await SASRec.create({ ...ARCH, positions: 'start' });
    try {
      await model.fit(data, { epochs: 1, batchSize: 64 });
      await model.addAdapter('eu', { r: 4 });
      await model.fit(data, { epochs: 1, batchSize: 64, adapter: 'eu' });
      const session = model.session([7, 8]);
      const history = [7, 8];
      for (const item of [9, 10, 11]) {
        history.push(item);
        session.append(item);
        expectSameList(await session.recommend({ k: 6, adapter: 'eu' }), await model.recommend(history, { k: 6, adapter: 'eu' }));
        expectSameList(await session.recommend({ k: 6, adapter: null }), await model.recommend(history, { k: 6, adapter: null }));
      }
      await model.addAdapter('prefix', { kind: 'prefix', virtualTokens: 3 }); // the cached extend with the prefix's keys and values before the cache's
      await model.fit(data, { epochs: 1, batchSize: 64, adapter: 'prefix' });
      for (const item of [13, 14]) {
        history.push(item);
        expectSameList(await session.append(item).recommend({ k: 6, adapter: 'prefix' }), await model.recommend(history, { k: 6, adapter: 'prefix' }));
      }
      await model.mergeAdapter('eu');
      history.push(12);
      expectSameList(await session.append(12).recommend({ k: 6, adapter: 'eu' }), await model.recommend(history, { k: 6, adapter: 'eu' }));
      await session.dispose();
    } finally {
      await model.dispose();
    }
  }, 60_000);

  it('off the JS thread for a large catalogue (V·dim > 2^20), with the same answers and reduced-precision scoring', async () => {
    const big = await SASRec.create({ ...ARCH, items: 40_000, positions: 'start' });
    try {
      await using session = big.session([100, 200]);
      const history = [100, 200];
      for (const item of [300, 400, 39_999]) {
        history.push(item);
        const pending = session.append(item).recommend({ k: 10 });
        expectSameList(await pending, await big.recommend(history, { k: 10 }));
      }
      for (const scoring of ['int8', 'bf16'] as const) {
        const got = await session.recommend({ k: 10, scoring });
        expectSameList(got, await big.recommend(history, { k: 10, scoring }));
      }
    } finally {
      await big.dispose();
    }
  }, 60_000);

  it('runs calls on one session in call order, each seeing the events appended before it', async () => {
    await using session = start.session([1, 2]);
    const lists = [
      session.append(3).recommend({ k: 4 }),
      session.append(4).recommend({ k: 4, signal: new AbortController().signal }),
      session.append(5).recommend({ k: 4 }),
    ];
    const got = await Promise.all(lists);
    expectSameList(got[0]!, await start.recommend([1, 2, 3], { k: 4 }));
    expectSameList(got[1]!, await start.recommend([1, 2, 3, 4], { k: 4 }));
    expectSameList(got[2]!, await start.recommend([1, 2, 3, 4, 5], { k: 4 }));
  });

  it('explains its lists as explain() does', async () => {
    await using session = start.session([4, 5, 6]);
    const [top] = await session.recommend({ k: 1, explain: true });
    expect(top!.because).toEqual(await start.explain([4, 5, 6], top!.item));
  });

  it('refuses bad events and options before anything changes; rejects after dispose', async () => {
    const session = start.session([1]);
    expect(thrown(() => session.append(V + 1)).message).toMatch(/history\[0\]/);
    expect(thrown(() => session.append([2, 0])).code).toBe('E_INVALID_OPTION');
    expect(thrown(() => session.recommend({ k: 0 })).code).toBe('E_INVALID_OPTION');
    expect(session.history).toEqual([1]);
    expect(thrown(() => start.session([0])).code).toBe('E_INVALID_OPTION');
    const aborted = new AbortController();
    aborted.abort();
    expect((await rejection(session.append(2).recommend({ signal: aborted.signal }))).code).toBe('E_ABORTED');
    await session.dispose();
    await session.dispose(); // idempotent
    expect(session.disposed).toBe(true);
    expect(thrown(() => session.append(2)).code).toBe('E_DISPOSED');
    expect(thrown(() => session.recommend()).code).toBe('E_DISPOSED');
  });

  it('gives events back when the model is gone, and the model refuses new sessions', async () => {
    const model = await SASRec.create({ ...ARCH, positions: 'start' });
    const session = model.session([1, 2]);
    await session.recommend();
    await model.dispose();
    expect((await rejection(session.append(3).recommend())).code).toBe('E_DISPOSED');
    expect(session.history).toEqual([1, 2, 3]); // the event waits for the next call
    expect(thrown(() => model.session()).code).toBe('E_DISPOSED');
    await session.dispose();
  });
});

describe('model.recommendSessions', () => {
  /** Sessions over `model` with histories of lengths 0, 1, …, n−1 (each already listed once, so cached when it can be). */
  async function openSessions(model: SASRec, n: number) {
    const histories = Array.from({ length: n }, (_, u) => Array.from({ length: u }, (_, i) => nextItem(u * 7 + i)));
    const sessions = histories.map((h) => model.session(h));
    await Promise.all(sessions.map((s) => s.recommend({ k: 1 })));
    return { histories, sessions };
  }

  it('lists each session as its own recommend() would: new events on some, none on others, few and many sessions', async () => {
    // 3: scanned scoring; 9 and 16: batched steps and scoring, in the call; 17: past what runs in the call
    for (const [model, n] of [
      [start, 3],
      [start, 9],
      [start, 16],
      [start, 17],
      [end, 6],
    ] as const) {
      const { histories, sessions } = await openSessions(model, n);
      try {
        sessions.forEach((s, u) => {
          if (u % 3 !== 1) {
            s.append([nextItem(u), nextItem(u + 1)].slice(0, 1 + (u % 2)));
            histories[u]!.push(...[nextItem(u), nextItem(u + 1)].slice(0, 1 + (u % 2)));
          }
        });
        for (const options of [{ k: 6 }, { k: 4, scoring: 'int8' as const, deny: [nextItem(0)] }, { k: 3, excludeSeen: false, allow: [1, 2, 3, 4, 5] }]) {
          const lists = await model.recommendSessions(sessions, options);
          expect(lists).toHaveLength(n);
          for (let u = 0; u < n; u++) expectSameList(lists[u]!, await model.recommend(histories[u]!, options));
        }
        sessions.forEach((s, u) => expect(s.history).toEqual(histories[u]));
        if (model === start) expect(sessions.map((s) => s.info().cachedPositions)).toEqual(histories.map((h) => Math.min(h.length, L)));
      } finally {
        await Promise.all(sessions.map((s) => s.dispose()));
      }
    }
  });

  it('runs off the JS thread with offThread: the call returns before its lists exist (in the call without it), the same lists', async () => {
    const histories = Array.from({ length: 16 }, (_, u) => [nextItem(u), nextItem(u + 5)]);
    const sessions = histories.map((h) => start.session(h));
    await Promise.all(sessions.map((s) => s.recommend({ k: 1 }))); // each cached: its next events are one-position steps
    try {
      for (const offThread of [false, true, undefined]) {
        sessions.forEach((s, u) => s.append(nextItem(u + 3)));
        histories.forEach((h, u) => h.push(nextItem(u + 3)));
        const call = start.recommendSessions(sessions, { k: 5, ...(offThread !== undefined && { offThread }) });
        expect(inspect(call).includes('<pending>')).toBe(offThread === true); // a pool thread's answer needs the event loop
        const lists = await call;
        for (let u = 0; u < 16; u++) expectSameList(lists[u]!, await start.recommend(histories[u]!, { k: 5 }));
      }
    } finally {
      await Promise.all(sessions.map((s) => s.dispose()));
    }
  });

  it("keeps each session's calls in order: waits for one in flight, and its own recommend() after it sees its events", async () => {
    const { histories, sessions } = await openSessions(start, 4);
    try {
      const first = sessions[1]!.append(9).recommend({ k: 5, signal: new AbortController().signal }); // off the JS thread
      sessions.forEach((s, u) => s.append(u + 20));
      const together = start.recommendSessions(sessions, { k: 5 });
      const after = sessions[2]!.append(30).recommend({ k: 5 });
      histories[1]!.push(9);
      histories.forEach((h, u) => h.push(u + 20));
      expectSameList(await first, await start.recommend([...histories[1]!.slice(0, -1)], { k: 5 }));
      const lists = await together;
      for (let u = 0; u < 4; u++) expectSameList(lists[u]!, await start.recommend(histories[u]!, { k: 5 }));
      expectSameList(await after, await start.recommend([...histories[2]!, 30], { k: 5 }));
    } finally {
      await Promise.all(sessions.map((s) => s.dispose()));
    }
  });

  it('explains, re-ranks and answers [] for no sessions', async () => {
    await using a = start.session([4, 5, 6]);
    await using b = start.session([7]);
    const [listA, listB] = await start.recommendSessions([a, b], { k: 2, explain: true });
    expect(listA![0]!.because).toEqual(await start.explain([4, 5, 6], listA![0]!.item));
    expect(listB![0]!.because).toEqual(await start.explain([7], listB![0]!.item));
    const mmr = { k: 5, rerank: { method: 'mmr', lambda: 0.3 } } as const;
    const [diverseA, diverseB] = await start.recommendSessions([a, b], mmr);
    expectSameList(diverseA!, await start.recommend([4, 5, 6], mmr));
    expectSameList(diverseB!, await start.recommend([7], mmr));
    expect(await start.recommendSessions([], { k: 2 })).toEqual([]);
  });

  it("refuses another model's session, a session twice, a disposed one and bad options, changing nothing; gives events back when the model is gone", async () => {
    await using a = start.session([1]);
    await using other = end.session([1]);
    a.append(2);
    expect(thrown(() => start.recommendSessions([a, other])).message).toMatch(/sessions\[1\]/);
    expect(thrown(() => start.recommendSessions([a, a])).message).toMatch(/each session once for sessions\[1\]/);
    expect(thrown(() => start.recommendSessions([a], { k: 0 })).code).toBe('E_INVALID_OPTION');
    expect(thrown(() => start.recommendSessions([a], { offThread: 'yes' as never })).message).toMatch(/options\.offThread/);
    expect(thrown(() => start.recommendSessions('a' as never)).code).toBe('E_INVALID_OPTION');
    expect(a.history).toEqual([1, 2]);
    const gone = start.session([3]);
    await gone.dispose();
    expect(thrown(() => start.recommendSessions([a, gone])).code).toBe('E_DISPOSED');
    expect(a.history).toEqual([1, 2]);
    expectSameList((await start.recommendSessions([a], { k: 3 }))[0]!, await start.recommend([1, 2], { k: 3 }));

    const model = await SASRec.create({ ...ARCH, positions: 'start' });
    const [x, y] = [model.session([1]), model.session([2])];
    await model.dispose();
    x.append(5);
    expect((await rejection(model.recommendSessions([x, y]))).code).toBe('E_DISPOSED');
    expect(x.history).toEqual([1, 5]); // the event waits for the next call
    await Promise.all([x.dispose(), y.dispose()]);
  });
});

describe('session: other models', () => {
  it('a text model (item rows = id embedding + projected text) steps exactly, the text folded into the decode step', async () => {
    const model = await SASRec.create({ ...ARCH, textDim: 8, positions: 'start' });
    try {
      const random = Array.from({ length: (V + 1) * 8 }, (_, i) => Math.sin(i * 12.9898) * 0.5);
      await model.setItemText({ data: Float32Array.from(random), dim: 8 });
      await model.fit(data, { epochs: 1, batchSize: 64 });
      await using session = model.session([5]);
      const history = [5];
      for (const item of [6, 7, 8]) {
        history.push(item);
        expectSameList(await session.append(item).recommend({ k: 8 }), await model.recommend(history, { k: 8 }));
      }
      expect(session.info().cachedPositions).toBe(4);
    } finally {
      await model.dispose();
    }
  });

  it('BERT4Rec recomputes each call, with the same answers as recommend', async () => {
    const model = await BERT4Rec.create({ items: V, dim: 32, layers: 1, heads: 2, maxLen: L, seed: 1, threads: 1 });
    try {
      await using session = model.session([1, 2]);
      for (const history of [
        [1, 2, 3],
        [1, 2, 3, 4],
      ])
        expectSameList(await session.append(history.at(-1)!).recommend({ k: 5 }), await model.recommend(history, { k: 5 }));
      expect(session.info().cachedPositions).toBe(0);
    } finally {
      await model.dispose();
    }
  });
});

describe("positions: 'start'", () => {
  it('lists a batch of histories of different lengths as it lists each alone', async () => {
    const histories = [[1, 2, 3], Array.from({ length: L + 4 }, (_, i) => nextItem(i)), [9]];
    const batch = await start.recommend(histories, { k: 6 });
    for (const [u, h] of histories.entries()) expectSameList(batch[u]!, await start.recommend(h, { k: 6 }));
  });

  it('is kept by save / load, and refused for BERT4Rec', async () => {
    await start.save(`${DIR}/m.safetensors`);
    const loaded = await loadModel(`${DIR}/m.safetensors`, { inference: true });
    try {
      expect(loaded.config.positions).toBe('start');
      expectSameList(await loaded.recommend([1, 2, 3], { k: 5 }), await start.recommend([1, 2, 3], { k: 5 }));
    } finally {
      await loaded.dispose();
    }
    expect((await rejection(BERT4Rec.create({ items: V, positions: 'start' } as never))).message).toMatch(/options\.positions/);
  });
});
