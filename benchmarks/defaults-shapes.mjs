#!/usr/bin/env node
/**
 * Do the settings seqrec train picks from the data (suggestSettings, lib/train/auto-settings.ts) do well on
 * data shapes they were not tuned on? Per data set, test NDCG@10 (leave-one-out, full ranking) of SASRec with
 *   data      the settings the rules read off the training data
 *   ml1m      the ML-1M quality recipe as is (L 200, dropout 0.2, d 64, 50 epochs, lr 2e-3, validation every 4)
 *   tuned     the best on validation NDCG@10 of data, ml1m and data with the other dropout (0.2 ↔ 0.5)
 * beside most-popular. Data sets (--sets):
 *   short     synthetic, short sequences over a large catalogue: 4,000 users × 5–10 events, 50,000 items
 *   long      synthetic, long sequences: 400 users × 100–250 events, 1,000 items
 *   ml1m-sub  --users random users of the ML-1M SASRec file (skipped when it is absent)
 *
 *   node benchmarks/defaults-shapes.mjs [--sets short,long,ml1m-sub] [--users 1000] [--threads 2] [--no-record]
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { Dataset, SASRec, readSasrecText, seededRandom, suggestSettings, syntheticDataset, versions } from '../dist/index.js';
import { DATA, ML1M_FIT, ML1M_MODEL, ML1M_VALIDATION, commandLine, cpuDevice, ml1mFiles, recordRun } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    sets: { type: 'string', default: 'short,long,ml1m-sub' },
    users: { type: 'string', default: '1000' },
    threads: { type: 'string', default: '2' },
    'no-record': { type: 'boolean', default: false },
  },
});
const threads = Number(a.threads);
const files = ml1mFiles(DATA);

async function dataSet(name) {
  if (name === 'short') return syntheticDataset({ users: 4000, items: 50000, tastes: 64, seed: 1, minLength: 5, maxLength: 10 });
  if (name === 'long') return syntheticDataset({ users: 400, items: 1000, seed: 1, minLength: 100, maxLength: 250 });
  if (!existsSync(files.interactions)) return undefined;
  const full = await readSasrecText(files.interactions);
  const rand = seededRandom(7);
  const chosen = Array.from({ length: full.numUsers }, (_, u) => u)
    .sort(() => rand() - 0.5)
    .slice(0, Number(a.users))
    .sort((x, y) => x - y);
  return Dataset.fromSequences(
    chosen.map((u) => Array.from(full.sequence(u))),
    full.numItems,
  );
}

const ML1M_RECIPE = {
  model: { maxLen: ML1M_MODEL.maxLen, dim: ML1M_MODEL.dim, dropout: ML1M_MODEL.dropout },
  fit: { epochs: 50, ...ML1M_FIT, validateEvery: ML1M_VALIDATION.every, patience: ML1M_VALIDATION.patience },
};

async function trainAndTest(data, settings) {
  const { train, valid, test } = data.split('leave-one-out');
  const started = Date.now();
  const model = await SASRec.create({ items: data.numItems, layers: 2, heads: 2, seed: 0, threads, ...settings.model });
  const { validateEvery: every, patience, ...fit } = settings.fit;
  const summary = await model.fit(train, { ...fit, validation: { data: valid, every, patience, metric: 'ndcg@10', restoreBest: true } });
  const evaluation = await model.evaluate(test, { metrics: ['ndcg@10', 'hr@10'], train, bootstrap: false });
  await model.dispose();
  return {
    valid: summary.validation.best.value,
    'ndcg@10': evaluation.metrics['ndcg@10'],
    'hr@10': evaluation.metrics['hr@10'],
    popularity: evaluation.table[0].values.popularity,
    steps: summary.steps,
    minutes: (Date.now() - started) / 60000,
  };
}

const results = [];
for (const name of a.sets.split(',')) {
  const data = await dataSet(name);
  if (!data) {
    console.log(`${name}: skipped (${files.interactions} not found)`);
    continue;
  }
  const suggested = suggestSettings(data.split('leave-one-out').train);
  const other = { model: { ...suggested.model, dropout: suggested.model.dropout === 0.2 ? 0.5 : 0.2 }, fit: suggested.fit };
  const runs = { data: await trainAndTest(data, suggested), ml1m: await trainAndTest(data, ML1M_RECIPE), otherDropout: await trainAndTest(data, other) };
  const tuned = Object.entries(runs).sort(([, x], [, y]) => y.valid - x.valid)[0];
  const row = { name, users: data.numUsers, items: data.numItems, events: data.numInteractions, suggested, runs, tuned: { from: tuned[0], ...tuned[1] } };
  results.push(row);
  console.log(
    `${name.padEnd(9)} ${data.numUsers} users, ${data.numItems} items: data-chosen NDCG@10 ${runs.data['ndcg@10'].toFixed(4)} (L ${suggested.model.maxLen}, dropout ${suggested.model.dropout}, d ${suggested.model.dim}, ${runs.data.steps} steps, ${runs.data.minutes.toFixed(1)} min)` +
      `  ML-1M recipe ${runs.ml1m['ndcg@10'].toFixed(4)}  tuned (${tuned[0]}) ${tuned[1]['ndcg@10'].toFixed(4)}  most-popular ${runs.data.popularity.toFixed(4)}`,
  );
}

if (!a['no-record'] && results.length > 0) {
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  const cell = results
    .map(
      (r) =>
        `${r.name}: data-chosen ${r.runs.data['ndcg@10'].toFixed(4)}, ML-1M recipe ${r.runs.ml1m['ndcg@10'].toFixed(4)}, tuned ${r.tuned['ndcg@10'].toFixed(4)}, most-popular ${r.runs.data.popularity.toFixed(4)}`,
    )
    .join('; ');
  recordRun(
    'defaults-shapes',
    { benchmark: 'defaults-shapes', date: new Date().toISOString(), device, versions: v, results, command: commandLine('defaults-shapes.mjs') },
    `defaults-shapes | ${device} | SASRec with settings read off the data vs the ML-1M recipe vs the best on validation, test NDCG@10 (leave-one-out, full ranking) | ${cell} | issue 16 defaults | \`${commandLine('defaults-shapes.mjs')}\``,
  );
}
