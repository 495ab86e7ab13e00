#!/usr/bin/env node
/**
 * CL4SRec's contrastive auxiliary loss (fit's `contrastive`, issue 16) against the same model without it,
 * in one run:
 *   sparse   a synthetic set of short sequences over a larger catalogue (6,000 users, 3–8 events each,
 *            4,000 items, taste clusters without sequential order: `markov` 0), where self-supervision
 *            should help most: SASRec d 32, 2 blocks, L 10, 30 epochs, seeds 1–3, each weight in --weights
 *   ML-1M    the quality recipe of quality-ml1m (leave-one-out, full ranking, early stopping on valid
 *            NDCG@10) at --epochs, plainly and with weight --ml1m-weight
 * Test NDCG@10 / HR@10 of each, and the wall time (CL costs two more forward/backward passes per step).
 *
 *   node benchmarks/contrastive-ml1m.mjs [--epochs 24] [--ml1m-weight 0.1] [--weights 0.1,0.3] [--temperature 1]
 *                                        [--threads 2] [--skip-ml1m] [--no-record]
 */
import { parseArgs } from 'node:util';
import { SASRec, readSasrecText, syntheticDataset, versions } from '../dist/index.js';
import { DATA, ML1M_FIT, ML1M_MODEL, ML1M_VALIDATION, commandLine, cpuDevice, ml1mFiles, recordRun, requireFiles } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    epochs: { type: 'string', default: '24' },
    'ml1m-weight': { type: 'string', default: '0.1' },
    weights: { type: 'string', default: '0.1,0.3' },
    temperature: { type: 'string', default: '1' },
    threads: { type: 'string', default: '2' },
    'skip-ml1m': { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
  },
});
const [epochs, ml1mWeight, temperature, threads] = [Number(a.epochs), Number(a['ml1m-weight']), Number(a.temperature), Number(a.threads)];
const weights = a.weights.split(',').map(Number);
const files = ml1mFiles(DATA);
if (!a['skip-ml1m']) requireFiles([files.interactions]);

async function trainAndTest(create, train, valid, test, options) {
  const started = Date.now();
  const model = await SASRec.create({ ...create, threads });
  const summary = await model.fit(train, {
    ...options,
    ...(valid && { validation: { data: valid, ...ML1M_VALIDATION } }),
  });
  const { metrics } = await model.evaluate(test, { metrics: ['hr@10', 'ndcg@10'] });
  await model.dispose();
  return { 'hr@10': metrics['hr@10'], 'ndcg@10': metrics['ndcg@10'], minutes: (Date.now() - started) / 60000, steps: summary.steps };
}

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;

// The sparse synthetic set: mean over three data seeds of each setting.
const sparse = [];
for (const weight of [0, ...weights]) {
  const runs = [];
  for (const seed of [1, 2, 3]) {
    const data = syntheticDataset({ users: 6000, items: 4000, tastes: 32, seed, minLength: 3, maxLength: 8, markov: 0 });
    const { train, test } = data.split('leave-one-out');
    runs.push(
      await trainAndTest({ items: 4000, dim: 32, layers: 2, heads: 2, maxLen: 10, dropout: 0.3, seed: 0 }, train, null, test, {
        epochs: 30,
        batchSize: 128,
        lr: 2e-3,
        ...(weight > 0 && { contrastive: { weight, temperature } }),
      }),
    );
  }
  const row = {
    weight,
    'ndcg@10': mean(runs.map((r) => r['ndcg@10'])),
    'hr@10': mean(runs.map((r) => r['hr@10'])),
    minutes: mean(runs.map((r) => r.minutes)),
    runs,
  };
  sparse.push(row);
  console.log(
    `sparse synthetic, weight ${weight}: NDCG@10 ${row['ndcg@10'].toFixed(4)}  HR@10 ${row['hr@10'].toFixed(4)}  (${(row.minutes * 60).toFixed(1)} s per run)`,
  );
}

const ml1m = [];
if (!a['skip-ml1m']) {
  const data = await readSasrecText(files.interactions);
  const { train, valid, test } = data.split('leave-one-out');
  for (const weight of [0, ml1mWeight]) {
    const row = {
      weight,
      ...(await trainAndTest({ items: data.numItems, ...ML1M_MODEL }, train, valid, test, {
        epochs,
        ...ML1M_FIT,
        ...(weight > 0 && { contrastive: { weight, temperature } }),
      })),
    };
    ml1m.push(row);
    console.log(
      `ML-1M, weight ${weight}: NDCG@10 ${row['ndcg@10'].toFixed(4)}  HR@10 ${row['hr@10'].toFixed(4)}  (${row.minutes.toFixed(1)} min, ${row.steps} steps)`,
    );
  }
}

if (!a['no-record']) {
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  const cell = (rows, unit) => rows.map((r) => `weight ${r.weight}: NDCG@10 ${r['ndcg@10'].toFixed(4)} (${unit(r)})`).join(', ');
  const ml1mCell = ml1m.length ? `ML-1M ${epochs} epochs: ${cell(ml1m, (r) => `${r.minutes.toFixed(1)} min`)}` : 'ML-1M skipped';
  recordRun(
    'contrastive-ml1m',
    {
      benchmark: 'contrastive-ml1m',
      date: new Date().toISOString(),
      device,
      versions: v,
      epochs,
      temperature,
      sparse,
      ml1m,
      command: commandLine('contrastive-ml1m.mjs'),
    },
    `contrastive-ml1m | ${device} | CL4SRec auxiliary InfoNCE (τ ${temperature}) vs none; sparse synthetic (6000 users × 3–8 events, 4000 items, mean of 3 seeds) and ML-1M quality recipe | sparse: ${cell(sparse, (r) => `${(r.minutes * 60).toFixed(0)} s`)}; ${ml1mCell} | test NDCG@10, full ranking | \`${commandLine('contrastive-ml1m.mjs')}\``,
  );
}
