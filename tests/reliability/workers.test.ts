/**
 * The addon is context-aware: two worker threads train and serve their own models at the same time,
 * beside the main thread, and each gets exactly what the same work gives on the main thread alone.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { trainAndList } from './fixtures/worker-model.js';

function inWorker(seed: number): Promise<unknown> {
  const entry = new URL('./fixtures/worker-model.ts', import.meta.url).href;
  const worker = new Worker(new URL('./fixtures/tsx-worker.mjs', import.meta.url), { workerData: { entry, seed } });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

describe('worker threads', () => {
  it('two workers and the main thread use seqrec at once, each with its own models', async () => {
    const [a, b, main] = await Promise.all([inWorker(1), inWorker(2), trainAndList(3)]);
    expect(a).toEqual(await trainAndList(1));
    expect(b).toEqual(await trainAndList(2));
    expect(main.session).toEqual(main.recommend);
    expect(a).not.toEqual(b);
  }, 60_000);
});
