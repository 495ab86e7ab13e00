/**
 * model.update(): fine-tuning on fresh data learns it, and replaying past data keeps more of what the
 * model knew (the past users' next items) than updating on the fresh data alone, from the same start.
 * The fresh data comes from another synthetic world over the same catalogue (its items grouped into
 * other taste clusters), so learning it overwrites the old patterns unless they are replayed.
 */
import { describe, expect, it } from 'vitest';
import { SASRec, loadModel, syntheticDataset, type Dataset } from '../../lib/index.js';
import { rejection } from '../helpers/errors.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('update');
const V = 120;
const past = syntheticDataset({ users: 600, items: V, tastes: 8, seed: 1, minLength: 10, maxLength: 20 });
const fresh = syntheticDataset({ users: 600, items: V, tastes: 8, seed: 2, minLength: 10, maxLength: 20 });

async function ndcg(model: SASRec, data: Dataset): Promise<number> {
  return (await model.evaluate(data.split('leave-one-out').test, { metrics: ['ndcg@10'] })).metrics['ndcg@10']!;
}

describe('update', () => {
  it('learns the fresh data, and with replay forgets less of the past than without', async () => {
    const base = await SASRec.create({ items: V, dim: 32, layers: 1, heads: 2, maxLen: 20, seed: 3, threads: 2 });
    await base.fit(past.split('leave-one-out').train, { epochs: 15, batchSize: 64, lr: 5e-3 });
    await base.save(`${dir}/base.safetensors`);
    const before = { past: await ndcg(base, past), fresh: await ndcg(base, fresh) };
    await base.dispose();

    const after = async (replay: boolean) => {
      const model = (await loadModel(`${dir}/base.safetensors`, { threads: 2 })) as SASRec;
      await model.update(fresh.split('leave-one-out').train, {
        epochs: 10,
        lr: 3e-3,
        batchSize: 64,
        ...(replay && { replay: past.split('leave-one-out').train, replayShare: 0.5 }),
      });
      const out = { past: await ndcg(model, past), fresh: await ndcg(model, fresh) };
      await model.dispose();
      return out;
    };
    const plain = await after(false);
    const replayed = await after(true);
    // measured (NDCG@10, past / fresh): before 0.557 / 0.057, fresh alone 0.134 / 0.462, with replay 0.502 / 0.453
    expect(plain.fresh).toBeGreaterThan(before.fresh + 0.2); // it learned the fresh data
    expect(plain.past).toBeLessThan(before.past - 0.2); // and, alone, forgot most of the past
    expect(replayed.past).toBeGreaterThan(plain.past + 0.2); // replay kept most of it
    expect(replayed.fresh).toBeGreaterThan(before.fresh + 0.2);
  }, 120_000);

  it('refuses what an update is not', async () => {
    await using model = await SASRec.create({ items: V, threads: 1 });
    expect((await rejection(() => model.update([] as never))).message).toMatch(/fresh/);
    expect((await rejection(() => model.update(fresh, { replayShare: 0.3 }))).message).toMatch(/options\.replayShare/);
    expect((await rejection(() => model.update(fresh, { validation: {} } as never))).message).toMatch(/options\.validation/);
  });
});
