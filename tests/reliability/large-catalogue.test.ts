/**
 * A 200,000-item catalogue trains on CPU in bounded memory: the fused, chunked output loss never
 * materialises the [B·L, V] logits (≈ 10 GB here), so peak RSS stays far below that.
 * Runs in its own file (so its own worker process and its own maxRSS).
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../lib/data/random.js';
import { Dataset, SASRec } from '../../lib/index.js';

const ITEMS = 200_000;
const MAX_LEN = 200;
const BATCH = 64;

describe('large catalogue', () => {
  it(
    'trains 200k items (B·L·V logits ≈ 10 GB) for 2 steps with finite losses and peak RSS < 3 GB',
    async () => {
      const logitsBytes = BATCH * MAX_LEN * ITEMS * 4;
      console.log(`[B·L, V] fp32 logits would take ${BATCH}·${MAX_LEN}·${ITEMS}·4 = ${(logitsBytes / 1e9).toFixed(2)} GB`);
      expect(logitsBytes).toBeGreaterThan(10e9);

      // 2 batches' worth of users, each with >= MAX_LEN + 1 random items (so every position has a target)
      const rand = seededRandom(2024);
      const seqs: Int32Array[] = [];
      for (let u = 0; u < 2 * BATCH; u++) {
        const len = MAX_LEN + 1 + Math.floor(rand() * 40);
        seqs.push(Int32Array.from({ length: len }, () => 1 + Math.floor(rand() * ITEMS)));
      }
      const data = Dataset.fromSequences(seqs, ITEMS);
      expect(data.numItems).toBe(ITEMS);

      const rssBefore = process.resourceUsage().maxRSS; // KiB
      const model = await SASRec.create({ items: ITEMS, dim: 32, layers: 1, heads: 1, maxLen: MAX_LEN, seed: 1 });
      try {
        const stepTimes: number[] = [];
        let last = performance.now();
        const t0 = last;
        const summary = await model.fit(data, {
          steps: 2,
          batchSize: BATCH,
          progressEvery: 1,
          onProgress: () => {
            const now = performance.now();
            stepTimes.push((now - last) / 1000);
            last = now;
          },
        }); // lossChunkBytes: default (64 MiB)
        const totalSec = (performance.now() - t0) / 1000;
        const peakKiB = process.resourceUsage().maxRSS;
        console.log(
          `200k items: losses [${Array.from(summary.losses)
            .map((l) => l.toFixed(4))
            .join(', ')}] (ln V = ${Math.log(ITEMS).toFixed(4)}), ` +
            `step times ${stepTimes.map((t) => t.toFixed(1)).join(' s, ')} s (fit ${totalSec.toFixed(1)} s, ` +
            `${summary.sequencesPerSec.toFixed(1)} seq/s), threads ${model.config.threads}, ` +
            `peak RSS ${(peakKiB / 2 ** 20).toFixed(2)} GiB (before the model ${(rssBefore / 2 ** 20).toFixed(2)} GiB)`,
        );
        expect(summary.steps).toBe(2);
        expect(summary.losses.length).toBe(2);
        for (const l of summary.losses) {
          expect(Number.isFinite(l)).toBe(true);
          expect(Math.abs(l - Math.log(ITEMS))).toBeLessThan(1); // fresh weights: near-uniform over 200k items
        }
        expect(peakKiB * 1024).toBeLessThan(3 * 2 ** 30);
        expect(peakKiB * 1024).toBeLessThan(logitsBytes / 3);
      } finally {
        await model.dispose();
      }
    },
    5 * 60_000,
  );
});
