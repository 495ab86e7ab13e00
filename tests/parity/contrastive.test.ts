/**
 * CL4SRec's auxiliary loss (native/train/contrastive.h): InfoNCE computed with LibTorch ops and autograd
 * against the formula written out in double loops (and its central differences), and the augmented views
 * checked against each augmentation's definition on random batches.
 */
import { describe, expect, it } from 'vitest';
import { addon } from '../../lib/native/loader.js';
import type { AddonParityContrastiveRequest, AddonParityContrastiveResult } from '../../lib/native/raw.js';
import { expectClose } from '../helpers/compare.js';

const base: AddonParityContrastiveRequest = {
  batch: 64,
  length: 12,
  dim: 8,
  items: 50,
  seed: 3,
  causal: true,
  crop: 0.6,
  mask: 0.3,
  reorder: 0.6,
  temperature: 1,
  probes: 16,
};

/** Row b of a flat (B·L) array without its left padding. */
function rowOf(flat: Int32Array, b: number, L: number): number[] {
  return [...flat.subarray(b * L, (b + 1) * L)].filter((v) => v !== 0);
}

/** The events a row's views start from: the batch row with a bidirectional batch's [mask] restored. */
function eventsOf(r: AddonParityContrastiveResult, b: number, L: number): number[] {
  const events: number[] = [];
  for (let t = b * L; t < (b + 1) * L; t++) if (r.inputs[t] !== 0) events.push(r.targets[t] !== 0 ? r.targets[t]! : r.inputs[t]!);
  return events;
}

/** Every (events, view) pair of a check's batch, both views. */
function pairs(r: AddonParityContrastiveResult, req: AddonParityContrastiveRequest): Array<[number[], number[]]> {
  const out: Array<[number[], number[]]> = [];
  for (let b = 0; b < req.batch; b++) {
    const events = eventsOf(r, b, req.length);
    out.push([events, rowOf(r.first, b, req.length)], [events, rowOf(r.second, b, req.length)]);
  }
  return out;
}

const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);

describe('InfoNCE vs the formula in loops', () => {
  for (const c of [{ temperature: 1 }, { temperature: 0.2, seed: 4 }, { batch: 1 }, { batch: 5, dim: 3, temperature: 2 }]) {
    it(`B ${c.batch ?? base.batch}, τ ${c.temperature}`, async () => {
      const r = await addon().parityContrastive({ ...base, ...c });
      expectClose('loss', [r.loss], [r.referenceLoss], { atol: 1e-10 });
      expectClose('gradient', r.probeAnalytic, r.probeNumeric, { atol: 1e-6, rtol: 1e-6 });
      if ((c.batch ?? base.batch) > 1) expect(r.probeAnalytic.some((g) => Math.abs(g) > 1e-4)).toBe(true);
    });
  }
});

describe('CL4SRec augmentations', () => {
  it('crop keeps a contiguous ⌊η·n⌋ of the events (at least one)', async () => {
    const req = { ...base, crop: 0.6, mask: 0, reorder: 0 };
    const r = await addon().parityContrastive(req);
    for (const [events, view] of pairs(r, req)) {
      expect(view.length).toBe(Math.max(1, Math.floor(0.6 * events.length)));
      const at = events.findIndex((_, s) => view.every((v, j) => events[s + j] === v));
      expect(at).toBeGreaterThanOrEqual(0);
    }
  });

  it('mask leaves a causal model’s masked events out, in order, each with probability γ', async () => {
    const req = { ...base, crop: 0, mask: 0.3, reorder: 0, batch: 400 };
    const r = await addon().parityContrastive(req);
    let kept = 0;
    let total = 0;
    for (const [events, view] of pairs(r, req)) {
      expect(view.length).toBeGreaterThanOrEqual(1);
      let i = 0;
      for (const v of view) {
        while (i < events.length && events[i] !== v) i++;
        expect(i).toBeLessThan(events.length); // a subsequence of the events
        i++;
      }
      kept += view.length;
      total += events.length;
    }
    expect(1 - kept / total).toBeGreaterThan(0.26);
    expect(1 - kept / total).toBeLessThan(0.32);
  });

  it('mask puts BERT4Rec’s [mask] in place of each event with probability γ', async () => {
    const req = { ...base, causal: false, crop: 0, mask: 0.3, reorder: 0, batch: 400 };
    const r = await addon().parityContrastive(req);
    const maskToken = req.items + 1;
    expect(r.inputs.includes(maskToken)).toBe(true); // the batch itself carries BERT4Rec masks
    let masked = 0;
    let total = 0;
    for (const [events, view] of pairs(r, req)) {
      expect(view.length).toBe(events.length);
      view.forEach((v, j) => expect(v === events[j] || v === maskToken).toBe(true));
      masked += view.filter((v) => v === maskToken).length;
      total += events.length;
    }
    expect(masked / total).toBeGreaterThan(0.27);
    expect(masked / total).toBeLessThan(0.33);
  });

  it('reorder permutes a contiguous ⌊β·n⌋ of the events and keeps the rest in place', async () => {
    const req = { ...base, crop: 0, mask: 0, reorder: 0.6 };
    const r = await addon().parityContrastive(req);
    let moved = 0;
    for (const [events, view] of pairs(r, req)) {
      expect(sorted(view)).toEqual(sorted(events));
      const differ = view.map((v, j) => (v !== events[j] ? j : -1)).filter((j) => j >= 0);
      if (differ.length > 0) expect(differ.at(-1)! - differ[0]! + 1).toBeLessThanOrEqual(Math.floor(0.6 * events.length));
      moved += differ.length > 0 ? 1 : 0;
    }
    expect(moved).toBeGreaterThan(req.batch / 2); // most views did change
  });

  it('draws one of the enabled augmentations per view, the two views independently, as a pure function of the seed', async () => {
    const r = await addon().parityContrastive(base);
    const again = await addon().parityContrastive(base);
    expect(again.first).toEqual(r.first);
    expect(again.second).toEqual(r.second);
    let differentViews = 0;
    for (let b = 0; b < base.batch; b++) if (rowOf(r.first, b, base.length).join() !== rowOf(r.second, b, base.length).join()) differentViews++;
    expect(differentViews).toBeGreaterThan(base.batch / 2);
  });

  it('refuses rates out of range or none enabled', async () => {
    await expect(addon().parityContrastive({ ...base, crop: 0, mask: 0, reorder: 0 })).rejects.toThrow(/at least one above 0/);
    await expect(addon().parityContrastive({ ...base, crop: 1.5 })).rejects.toThrow(/in \[0, 1\]/);
  });
});
