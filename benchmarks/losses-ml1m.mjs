#!/usr/bin/env node
/**
 * The training objectives side by side on ML-1M at an equal time budget (issue 16): the quality recipe's
 * SASRec (d 64, 2 blocks, L 200, dropout 0.2) trained with each loss for --minutes of wall time (the run
 * is cancelled by an AbortSignal at the budget and keeps its last completed step; constant lr 1e-3 after
 * 200 warm-up steps, so no loss is favoured by a schedule sized to its epoch count), then the test
 * NDCG@10 (leave-one-out, full ranking) and the time per epoch:
 *   ce               full softmax, fused
 *   bce              1 negative (the original SASRec)
 *   gbce             256 negatives, t 0.75 (gSASRec)
 *   sampled-softmax  1024 popularity-drawn shared negatives, logQ-corrected
 *
 *   node benchmarks/losses-ml1m.mjs [--minutes 8] [--threads 2] [--no-record]
 */
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { SASRec, readSasrecText, versions } from '../dist/index.js';
import { DATA, commandLine, cpuDevice, ml1mFiles, recordRun, requireFiles } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    minutes: { type: 'string', default: '8' },
    threads: { type: 'string', default: '2' },
    'no-record': { type: 'boolean', default: false },
  },
});
const files = ml1mFiles(DATA);
requireFiles([files.interactions]);
const [minutes, threads] = [Number(a.minutes), Number(a.threads)];

const data = await readSasrecText(files.interactions);
const { train, test } = data.split('leave-one-out');
const LOSSES = [
  { name: 'ce', options: {} },
  { name: 'bce (1 negative)', options: { loss: 'bce' } },
  { name: 'gbce (256, t 0.75)', options: { loss: 'gbce', negatives: 256, gbceT: 0.75 } },
  { name: 'sampled-softmax (1024)', options: { loss: 'sampled-softmax', negatives: 1024 } },
];

async function run({ name, options }) {
  const model = await SASRec.create({ items: data.numItems, dim: 64, layers: 2, heads: 2, maxLen: 200, dropout: 0.2, seed: 0, threads });
  const started = Date.now();
  let lastLoss = Number.NaN;
  try {
    await model.fit(train, {
      epochs: 1000, // the budget ends it
      batchSize: 128,
      lr: 1e-3,
      warmupSteps: 200,
      schedule: 'constant',
      weightDecay: 0.05,
      signal: AbortSignal.timeout(minutes * 60_000),
      progressEvery: 48,
      onProgress: (p) => (lastLoss = p.loss),
      ...options,
    });
  } catch (e) {
    if (e.code !== 'E_ABORTED') throw e;
  }
  const trainMinutes = (Date.now() - started) / 60000;
  const steps = model.info().trainStep;
  const epochs = (steps * 128) / train.numUsers;
  const evaluation = await model.evaluate(test, { metrics: ['hr@10', 'ndcg@10'] });
  await model.dispose();
  const row = {
    name,
    options,
    'hr@10': evaluation.metrics['hr@10'],
    'ndcg@10': evaluation.metrics['ndcg@10'],
    steps,
    epochs,
    secondsPerEpoch: (trainMinutes * 60) / epochs,
    lastLoss,
  };
  console.log(
    `${name.padEnd(24)} NDCG@10 ${row['ndcg@10'].toFixed(4)}  HR@10 ${row['hr@10'].toFixed(4)}  ${epochs.toFixed(1)} epochs in ${trainMinutes.toFixed(1)} min (${row.secondsPerEpoch.toFixed(1)} s/epoch)`,
  );
  return row;
}

const rows = [];
for (const loss of LOSSES) rows.push(await run(loss));
if (!a['no-record']) {
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  const cell = rows
    .map((r) => `${r.name}: NDCG@10 ${r['ndcg@10'].toFixed(4)}, ${r.epochs.toFixed(1)} epochs, ${r.secondsPerEpoch.toFixed(1)} s/epoch`)
    .join('; ');
  recordRun(
    'losses-ml1m',
    { benchmark: 'losses-ml1m', date: new Date().toISOString(), device, versions: v, minutes, rows, command: commandLine('losses-ml1m.mjs') },
    `losses-ml1m | ${device} | ML-1M leave-one-out full ranking, SASRec d 64 L 200, ${minutes} min of training per loss, constant lr 1e-3 | ${cell} | objectives at an equal time budget (issue 16) | \`${commandLine('losses-ml1m.mjs')}\``,
  );
} else console.log(`(--no-record: nothing written; ${tmpdir()})`);
