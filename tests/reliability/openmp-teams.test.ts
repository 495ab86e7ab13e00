/**
 * The job pool hands back its OpenMP workers after each job (native/common/openmp_team.h): libgomp keeps
 * a team of idle workers for each thread that ever ran a parallel region, and once it manages more
 * threads than there are CPUs every team's barriers sleep on futexes; a fit after one evaluation ran
 * up to 3× slower (measured, 2 cores). The observable part: evaluations of a multi-threaded model
 * leave no thread behind in the process.
 */
import { existsSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SASRec, syntheticDataset } from '../../lib/index.js';

const threadsNow = (): number => readdirSync('/proc/self/task').length;

describe.skipIf(!existsSync('/proc/self/task'))('OpenMP teams of the job pool', () => {
  it('evaluations with 2 threads leave no OpenMP worker behind', async () => {
    const data = syntheticDataset({ users: 300, items: 3000, seed: 1, minLength: 30, maxLength: 60 });
    const { train, test } = data.split('leave-one-out');
    await using single = await SASRec.create({ items: 3000, dim: 64, layers: 1, heads: 2, maxLen: 50, threads: 1 });
    await using parallel = await SASRec.create({ items: 3000, dim: 64, layers: 1, heads: 2, maxLen: 50, threads: 2 });
    await single.evaluate(test, { metrics: ['ndcg@10'] }); // the job pool's own threads exist from here on
    await parallel.fit(train, { steps: 2, batchSize: 64 }); // its thread and team end with it
    await sleep(200);
    const before = threadsNow();
    for (let i = 0; i < 4; i++) await Promise.all([parallel.evaluate(test, { metrics: ['ndcg@10'] }), parallel.evaluate(test)]);
    await sleep(200); // released workers exit asynchronously
    expect(threadsNow()).toBe(before);
  });
});
