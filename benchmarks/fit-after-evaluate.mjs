#!/usr/bin/env node
/**
 * Training speed before and after the process has run an evaluation (native/common/openmp_team.h):
 * at the ML-1M shape (SASRec d 64, 2 blocks, L 200, 3,706 items, batch 128) on synthetic sequences, the
 * optimizer steps/s of a fit, then of the same model's next fit after one full-ranking evaluation on the
 * job pool, each the best of --repeats fits of --steps steps. With libgomp's idle team left on a pool
 * thread the second ran 12% slower here (3× at small shapes); the two should now match.
 *
 *   node benchmarks/fit-after-evaluate.mjs [--steps 20] [--repeats 3] [--threads 2] [--no-record]
 */
import { parseArgs } from 'node:util';
import { SASRec, syntheticDataset, versions } from '../dist/index.js';
import { commandLine, cpuDevice, recordRun } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    steps: { type: 'string', default: '20' },
    repeats: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    'no-record': { type: 'boolean', default: false },
  },
});
const [steps, repeats, threads] = [Number(a.steps), Number(a.repeats), Number(a.threads)];

const data = syntheticDataset({ users: 1500, items: 3706, seed: 1, minLength: 150, maxLength: 250 });
const { train, test } = data.split('leave-one-out');
const model = await SASRec.create({ items: 3706, dim: 64, layers: 2, heads: 2, maxLen: 200, dropout: 0.2, seed: 0, threads });

async function bestStepsPerSec() {
  let best = 0;
  for (let r = 0; r < repeats; r++) {
    const started = performance.now();
    await model.fit(train, { steps, batchSize: 128 });
    best = Math.max(best, steps / ((performance.now() - started) / 1000));
  }
  return best;
}

const fresh = await bestStepsPerSec();
await model.evaluate(test, { metrics: ['ndcg@10'] });
const afterEvaluate = await bestStepsPerSec();
await model.dispose();
console.log(`steps/s: fresh process ${fresh.toFixed(3)}, after an evaluation ${afterEvaluate.toFixed(3)} (${((afterEvaluate / fresh) * 100).toFixed(1)}%)`);

if (!a['no-record']) {
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  recordRun(
    'fit-after-evaluate',
    {
      benchmark: 'fit-after-evaluate',
      date: new Date().toISOString(),
      device,
      versions: v,
      steps,
      repeats,
      fresh,
      afterEvaluate,
      command: commandLine('fit-after-evaluate.mjs'),
    },
    `fit-after-evaluate | ${device} | SASRec d 64, 2 blocks, L 200, 3706 items, batch 128, best of ${repeats} fits of ${steps} steps | fresh ${fresh.toFixed(3)} steps/s, after an evaluation ${afterEvaluate.toFixed(3)} steps/s (${((afterEvaluate / fresh) * 100).toFixed(1)}%) | the job pool hands back its OpenMP team after each job | \`${commandLine('fit-after-evaluate.mjs')}\``,
  );
}
