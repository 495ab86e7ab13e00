#!/usr/bin/env node
/**
 * MovieLens-1M new users (issue 5): users held out of training entirely, recommended for from their
 * first k events through the sequence encoder (split 'cold-users', 10% of the users, seed 0). A SASRec
 * (L=50, d=64, 2 blocks) learns the other 90%; each held-out user with more than k events is scored on
 * event k+1 by full ranking (seen items excluded, ties pessimistic) beside most-popular and random,
 * for k = 1, 3, 5, 10, 20.
 *
 *   node benchmarks/fewshot-ml1m.mjs [--epochs 10] [--threads 1]
 *
 * Needs the built package (npm run build). Writes benchmarks/results/fewshot-ml1m-<date>.json and appends
 * a row to RESULTS.md. Exits 0 with a message when ../shared/data is absent.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DATA, commandLine, cpuDevice, ml1mFiles, recordRun, requireFiles } from './record.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: DATA },
    epochs: { type: 'string', default: '10' },
    threads: { type: 'string' },
    'no-record': { type: 'boolean', default: false },
  },
});
const file = ml1mFiles(a.data).interactions;
requireFiles([file]);
const lib = await import(join(here, '../dist/index.js'));
const started = Date.now();
const shots = [1, 3, 5, 10, 20];
const data = await lib.readSasrecText(file);
const { train, coldUsers, fewShot } = data.split('cold-users', { fraction: 0.1, seed: 0, shots });
const model = await lib.SASRec.create({
  items: data.numItems,
  dim: 64,
  layers: 2,
  heads: 2,
  maxLen: 50,
  dropout: 0.2,
  seed: 0,
  ...(a.threads && { threads: Number(a.threads) }),
});
const fitOptions = { epochs: Number(a.epochs), batchSize: 128, lr: 2e-3, warmupSteps: 100, minLrRatio: 0.05, weightDecay: 0.05 };
const summary = await model.fit(train, {
  ...fitOptions,
  onProgress: (p) => p.step % 100 === 0 && console.log(`step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)}`),
});
const rows = [];
for (const { shots: k, test } of fewShot) {
  const ev = await model.evaluate(test, { metrics: ['hr@10', 'ndcg@10'], train, bootstrap: false });
  const cell = (name, scorer) => ev.table.find((r) => r.name === name).values[scorer];
  rows.push({
    shots: k,
    users: test.targets.length,
    model: { 'hr@10': cell('hr@10', 'model'), 'ndcg@10': cell('ndcg@10', 'model') },
    popularity: { 'hr@10': cell('hr@10', 'popularity'), 'ndcg@10': cell('ndcg@10', 'popularity') },
    random: { 'hr@10': cell('hr@10', 'random'), 'ndcg@10': cell('ndcg@10', 'random') },
  });
}
await model.dispose();
const wallMinutes = (Date.now() - started) / 60000;
const result = {
  benchmark: 'fewshot-ml1m',
  date: new Date().toISOString(),
  device: cpuDevice(lib.versions()),
  versions: lib.versions(),
  protocol: 'cold-users 10% (seed 0): held-out users are absent from training; history = their first k events, target = event k+1; full ranking, seen excluded',
  coldUsers: coldUsers.length,
  model: { dim: 64, layers: 2, heads: 2, maxLen: 50, dropout: 0.2 },
  options: fitOptions,
  steps: summary.steps,
  rows,
  wallMinutes,
  command: commandLine('fewshot-ml1m.mjs'),
};
const f = (m) => `${m['hr@10'].toFixed(4)} / ${m['ndcg@10'].toFixed(4)}`;
console.log('| k | users | SASRec HR@10 / NDCG@10 | most popular | random |\n| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.shots} | ${r.users} | ${f(r.model)} | ${f(r.popularity)} | ${f(r.random)} |`);
console.log(`${summary.steps} steps, wall ${wallMinutes.toFixed(1)} min`);
if (!a['no-record']) {
  const list = (pick) => rows.map((r) => `k=${r.shots}: ${f(pick(r))}`).join(', ');
  recordRun(
    'fewshot-ml1m',
    result,
    `fewshot-ml1m | ${result.device} | cold-users 10% (seed 0, ${coldUsers.length} users never trained on), history = first k events, full ranking; L=50 d=64 blocks=2, ${fitOptions.epochs} epochs | ` +
      `HR@10 / NDCG@10 ${list((r) => r.model)} | most-popular ${list((r) => r.popularity)} | random ${list((r) => r.random)}; ${wallMinutes.toFixed(1)} min wall | \`${result.command}\``,
  );
}
