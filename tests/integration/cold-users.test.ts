/**
 * New users (few-shot) through the sequence encoder: users held out of training entirely are scored
 * from their first k events. On data whose next group follows from the current one, a model never
 * trained on these users beats most-popular already at k = 1, and the popularity baseline is computed
 * on train only.
 */
import { describe, expect, it } from 'vitest';
import { SASRec, hitRate, popularityRanks } from '../../lib/index.js';
import { V, plantedGroups } from '../helpers/planted-groups.js';

describe("few-shot users with split('cold-users')", () => {
  it('ranks the next item of new users from 1 and 3 events far above most-popular', async () => {
    const { data } = plantedGroups(11);
    const split = data.split('cold-users', { fraction: 0.2, seed: 2, shots: [1, 3] });
    expect(split.coldUsers.length).toBe(120);
    await using model = await SASRec.create({ items: V, dim: 32, layers: 1, heads: 2, maxLen: 20, seed: 3, threads: 1 });
    await model.fit(split.train, { epochs: 15, batchSize: 64, lr: 5e-3, warmupSteps: 5 });
    for (const { shots, test } of split.fewShot) {
      const hr = (await model.evaluate(test, { metrics: ['hr@10'] })).metrics['hr@10']!;
      const popular = hitRate(popularityRanks(split.train.itemCounts(), test), 10);
      console.log(`new users, ${shots} event(s), ${test.targets.length} users: HR@10 ${hr.toFixed(3)}, most-popular ${popular.toFixed(3)}`);
      expect(test.targets.length).toBe(120);
      expect(hr).toBeGreaterThan(Math.max(0.5, 3 * popular));
    }
  });
});
