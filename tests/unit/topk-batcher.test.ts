/**
 * TopKBatcher (lib/models/topk-batcher.ts) against a fake native top-K that records its calls: a lone
 * call goes through at once, untouched; calls that queue behind busy slots are merged per options
 * into one call whose rows go back to their callers in order; other options are never merged; the
 * user cap holds; a failing merged call rejects exactly its callers and the batcher goes on.
 */
import { describe, expect, it } from 'vitest';
import type { AddonTopKRequest, AddonTopKResult } from '../../lib/native/raw.js';
import { TopKBatcher } from '../../lib/models/topk-batcher.js';
import { plainList } from '../../lib/models/inference.js';

const request = (histories: number[][], k = 2, adapter = ''): AddonTopKRequest => {
  const offsets = Int32Array.from([0, ...histories.map((_, i) => histories.slice(0, i + 1).reduce((n, h) => n + h.length, 0))]);
  return {
    offsets,
    items: Int32Array.from(histories.flat()),
    batchSize: 64,
    list: plainList(k, true, adapter),
  };
};

/** A fake top-K: user u's list is [first item of its history × 10 + j], held until release(). */
function fakeNative() {
  const calls: AddonTopKRequest[] = [];
  const gates: (() => void)[] = [];
  let fail = false;
  const run = (r: AddonTopKRequest): Promise<AddonTopKResult> => {
    calls.push(r);
    return new Promise((resolve, reject) =>
      gates.push(() => {
        if (fail) return reject(new Error('native failure'));
        const users = r.offsets.length - 1;
        const items = Int32Array.from({ length: users * r.list.k }, (_, i) => r.items[r.offsets[Math.floor(i / r.list.k)]!]! * 10 + (i % r.list.k));
        resolve({ k: r.list.k, items, scores: Float32Array.from(items, (x) => -x) });
      }),
    );
  };
  const releaseAll = async () => {
    while (gates.length) gates.shift()!();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { calls, run, releaseAll, setFail: (f: boolean) => (fail = f) };
}

describe('TopKBatcher', () => {
  it('sends a lone call at once, as it is', async () => {
    const f = fakeNative();
    const b = new TopKBatcher(f.run);
    const r = request([[3, 4]]);
    const p = b.submit(r);
    expect(f.calls).toEqual([r]);
    await f.releaseAll();
    expect(Array.from((await p).items)).toEqual([30, 31]);
  });

  it('merges calls that queue behind a busy slot, and gives each caller its own rows', async () => {
    const f = fakeNative();
    const b = new TopKBatcher(f.run, { maxInFlight: 1 });
    const first = b.submit(request([[1]]));
    const queued = [b.submit(request([[2, 9]])), b.submit(request([[3], [4, 4]])), b.submit(request([[5]]))];
    expect(f.calls).toHaveLength(1);
    await f.releaseAll(); // the first call ends; the three queued go as one
    expect(f.calls).toHaveLength(2);
    expect(Array.from(f.calls[1]!.offsets)).toEqual([0, 2, 3, 5, 6]);
    expect(Array.from(f.calls[1]!.items)).toEqual([2, 9, 3, 4, 4, 5]);
    await f.releaseAll();
    expect(Array.from((await first).items)).toEqual([10, 11]);
    const got = await Promise.all(queued);
    expect(got.map((r) => Array.from(r.items))).toEqual([
      [20, 21],
      [30, 31, 40, 41],
      [50, 51],
    ]);
  });

  it('never merges calls with other options, and keeps the user cap', async () => {
    const f = fakeNative();
    const b = new TopKBatcher(f.run, { maxInFlight: 1, maxUsers: 2 });
    const ps = [
      b.submit(request([[1]])),
      b.submit(request([[2]], 3)),
      b.submit(request([[3]], 2, 'fans')),
      b.submit(request([[4]])),
      b.submit(request([[5]])),
      b.submit(request([[6]])),
    ];
    for (let i = 0; i < 6; i++) await f.releaseAll();
    await Promise.all(ps);
    const shapes = f.calls.map((c) => `${c.list.k}${c.list.adapter}:${c.offsets.length - 1}`);
    // [1] at once; then by first arrival: k=3, 'fans', then base k=2 as [4, 5] and [6] (cap 2)
    expect(shapes).toEqual(['2:1', '3:1', '2fans:1', '2:2', '2:1']);
  });

  it('rejects exactly the callers of a failing call, then carries on', async () => {
    const f = fakeNative();
    const b = new TopKBatcher(f.run, { maxInFlight: 1 });
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: Error) => e.message,
      );
    const first = outcome(b.submit(request([[1]])));
    const merged = [outcome(b.submit(request([[2]]))), outcome(b.submit(request([[3]])))];
    f.setFail(true);
    await f.releaseAll();
    expect(await first).toBe('native failure');
    await f.releaseAll();
    expect(await Promise.all(merged)).toEqual(['native failure', 'native failure']);
    expect(f.calls).toHaveLength(2);
    f.setFail(false);
    const later = b.submit(request([[7]]));
    await f.releaseAll();
    expect(Array.from((await later).items)).toEqual([70, 71]);
  });
});
