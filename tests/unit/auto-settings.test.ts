/**
 * suggestSettings (lib/train/auto-settings.ts): each rule on data shaped to land on either side of it,
 * the long dense ML-1M shape and the short sparse e-commerce shape.
 */
import { describe, expect, it } from 'vitest';
import { Dataset, suggestSettings, syntheticDataset } from '../../lib/index.js';

describe('settings from the data', () => {
  it('long dense sequences (ML-1M-like): L 200, dropout 0.2, d 64, epochs for ~4e7 target visits', () => {
    const data = syntheticDataset({ users: 600, items: 800, minLength: 150, maxLength: 400, seed: 1 });
    const s = suggestSettings(data);
    expect(s.model).toEqual({ maxLen: 200, dim: 64, dropout: 0.2 });
    let targets = 0;
    for (let u = 0; u < data.numUsers; u++) targets += Math.min(data.sequence(u).length - 1, 200);
    expect(s.fit.epochs).toBe(Math.min(200, Math.max(20, Math.round(4e7 / targets))));
    expect(s.fit.validateEvery).toBe(Math.max(1, Math.round(s.fit.epochs / 12)));
    expect(s.reasons.maxLen).toMatch(/90th percentile of 600 sequence lengths = \d+ → 200/);
  });

  it('short sparse sequences over a large catalogue: a short window, dropout 0.5, d 32, the most epochs', () => {
    const data = syntheticDataset({ users: 2000, items: 5000, minLength: 5, maxLength: 10, seed: 2 });
    const s = suggestSettings(data);
    expect(s.model).toEqual({ maxLen: 16, dim: 32, dropout: 0.5 });
    expect(s.fit.epochs).toBe(200);
    expect(s.fit.warmupSteps).toBe(200);
  });

  it('the window is the 90th percentile of lengths rounded up to a multiple of 8, at least 8', () => {
    const lengths = [...Array(90).fill(3), ...Array(10).fill(30)]; // p90 = 30 → 32
    const seqs = lengths.map((n, u) => Array.from({ length: n }, (_, j) => 1 + ((u + j) % 50)));
    expect(suggestSettings(Dataset.fromSequences(seqs, 50)).model.maxLen).toBe(32);
    const short = Array.from({ length: 20 }, () => [1, 2]);
    expect(suggestSettings(Dataset.fromSequences(short, 2)).model.maxLen).toBe(8);
  });

  it('a short run warms up for a tenth of its steps', () => {
    const seqs = Array.from({ length: 50 }, (_, u) => Array.from({ length: 300 }, (_, j) => 1 + ((u * 7 + j) % 40)));
    const s = suggestSettings(Dataset.fromSequences(seqs, 40));
    expect(s.fit.epochs).toBe(200); // 50 × 200 targets: far below 4e7
    expect(s.fit.warmupSteps).toBe(Math.round((200 * 1) / 10));
  });
});
