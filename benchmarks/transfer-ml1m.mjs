#!/usr/bin/env node
/**
 * MovieLens-1M cross-domain transfer by item text (issue 5): two catalogues with no item in common,
 * films released before 1995 (A) and from 1995 on (B), each user's events split between them. A SASRec
 * whose item rows are id embedding + learned projection of the hashed title and genres (textDim) learns
 * catalogue A; transferToCatalogue moves it to B, where every item is new and scored from its text alone.
 * On B's leave-one-out test (full ranking, seen excluded) it is compared, zero-shot, with most-popular
 * and random; then after a short fine-tune on B (--tune-epochs) with the same model trained from scratch
 * for the same epochs, and with a scratch model given the full --epochs.
 *
 *   node benchmarks/transfer-ml1m.mjs [--epochs 10] [--tune-epochs 2] [--threads 1]
 *
 * Needs the built package (npm run build). Writes benchmarks/results/transfer-ml1m-<date>.json and
 * appends a row to RESULTS.md. Exits 0 with a message when ../shared/data is absent.
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
    'tune-epochs': { type: 'string', default: '2' },
    'text-dim': { type: 'string', default: '256' },
    threads: { type: 'string' },
    'no-record': { type: 'boolean', default: false },
  },
});
const files = ml1mFiles(a.data);
requireFiles([files.interactions, files.itemMap, files.userMap, files.movies]);
const lib = await import(join(here, '../dist/index.js'));
const started = Date.now();
const CUT = 1995;
const epochs = Number(a.epochs);
const tuneEpochs = Number(a['tune-epochs']);

const data = (await lib.readSasrecText(files.interactions, { itemIdMap: files.itemMap, userIdMap: files.userMap })).withItemInfo(
  await lib.readMovieLensMovies(files.movies),
);
const texts = lib.itemText(data);
const year = (item) => Number(/\((\d{4})\)\s*$/.exec(data.itemInfo[item]?.title ?? '')?.[1] ?? NaN);

/** The users' events on the items `keep` selects, renumbered 1..V' in id order, with their texts. */
function catalogue(keep) {
  const ids = [0];
  const dense = new Int32Array(data.numItems + 1);
  for (let i = 1; i <= data.numItems; i++) if (keep(i)) dense[i] = ids.push(i) - 1;
  const seqs = [];
  for (let u = 0; u < data.numUsers; u++) {
    const seq = Array.from(data.sequence(u))
      .filter((i) => dense[i] > 0)
      .map((i) => dense[i]);
    if (seq.length > 0) seqs.push(seq);
  }
  const items = ids.length - 1;
  const set = lib.Dataset.fromSequences(seqs, items);
  return { set, items, vectors: encoder.encode(ids.map((i) => (i === 0 ? '' : texts[i]))) };
}
const encoder = new lib.HashingTextEncoder({ dim: Number(a['text-dim']) });
const A = catalogue((i) => year(i) < CUT);
const B = catalogue((i) => year(i) >= CUT);
const undated = Array.from({ length: data.numItems }, (_, i) => i + 1).filter((i) => Number.isNaN(year(i))).length;
console.log(
  `catalogue A (before ${CUT}): ${A.items} items, ${A.set.numUsers} users, ${A.set.numInteractions} events; B: ${B.items} items, ${B.set.numUsers} users, ${B.set.numInteractions} events; ${undated} undated items left out`,
);

const arch = {
  dim: 64,
  layers: 2,
  heads: 2,
  maxLen: 50,
  dropout: 0.2,
  seed: 0,
  textDim: Number(a['text-dim']),
  ...(a.threads && { threads: Number(a.threads) }),
};
const fitOptions = { batchSize: 128, lr: 2e-3, warmupSteps: 100, minLrRatio: 0.05, weightDecay: 0.05 };
const log = (what) => (p) => p.step % 100 === 0 && console.log(`${what}: step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)}`);
const { train, test } = B.set.split('leave-one-out');
const metrics = ['hr@10', 'ndcg@10'];
async function score(model) {
  const ev = await model.evaluate(test, { metrics, train, bootstrap: false });
  const cell = (name, scorer) => ev.table.find((r) => r.name === name).values[scorer];
  return Object.fromEntries(['model', 'popularity', 'random'].map((s) => [s, { 'hr@10': cell('hr@10', s), 'ndcg@10': cell('ndcg@10', s) }]));
}

const base = await lib.SASRec.create({ items: A.items, ...arch });
await base.setItemText(A.vectors);
const baseFit = await base.fit(A.set, { ...fitOptions, epochs, onProgress: log('base on A') });
const moved = await lib.transferToCatalogue(base, { items: B.items, itemVectors: B.vectors });
const zeroShot = await score(moved);
await moved.fit(train, { ...fitOptions, epochs: tuneEpochs, onProgress: log('transferred, tuning on B') });
const tuned = (await score(moved)).model;
async function scratch(n) {
  const model = await lib.SASRec.create({ items: B.items, ...arch });
  await model.setItemText(B.vectors);
  await model.fit(train, { ...fitOptions, epochs: n, onProgress: log(`scratch on B, ${n} epochs`) });
  const s = (await score(model)).model;
  await model.dispose();
  return s;
}
const scratchShort = await scratch(tuneEpochs);
const scratchFull = await scratch(epochs);
await Promise.all([base.dispose(), moved.dispose()]);
const wallMinutes = (Date.now() - started) / 60000;

const f = (m) => `${m['hr@10'].toFixed(4)} / ${m['ndcg@10'].toFixed(4)}`;
const rows = [
  ['zero-shot transfer (A → B, no B training)', zeroShot.model],
  ['most popular on B', zeroShot.popularity],
  ['random', zeroShot.random],
  [`transfer + ${tuneEpochs} epochs on B`, tuned],
  [`scratch, ${tuneEpochs} epochs on B`, scratchShort],
  [`scratch, ${epochs} epochs on B`, scratchFull],
];
console.log('| model | HR@10 / NDCG@10 |\n| --- | --- |');
for (const [name, m] of rows) console.log(`| ${name} | ${f(m)} |`);
console.log(`${test.targets.length} test users on B; wall ${wallMinutes.toFixed(1)} min`);
const result = {
  benchmark: 'transfer-ml1m',
  date: new Date().toISOString(),
  device: cpuDevice(lib.versions()),
  versions: lib.versions(),
  protocol: `catalogue A = films before ${CUT}, B = from ${CUT} (disjoint items); base trained on A, transferToCatalogue to B; B leave-one-out test, full ranking, seen excluded`,
  catalogues: {
    A: { items: A.items, users: A.set.numUsers, events: A.set.numInteractions },
    B: { items: B.items, users: B.set.numUsers, events: B.set.numInteractions, testUsers: test.targets.length },
  },
  model: arch,
  options: { ...fitOptions, epochs, tuneEpochs },
  baseSteps: baseFit.steps,
  results: { zeroShot, tuned, scratchShort, scratchFull },
  wallMinutes,
  command: commandLine('transfer-ml1m.mjs'),
};
if (!a['no-record']) {
  recordRun(
    'transfer-ml1m',
    result,
    `transfer-ml1m | ${result.device} | text SASRec (hashed title+genres, textDim ${arch.textDim}, L=50 d=64 blocks=2) trained ${epochs} epochs on films before ${CUT} (${A.items} items), moved to films from ${CUT} (${B.items} new items); B leave-one-out, full ranking, ${test.targets.length} users | ` +
      `HR@10 / NDCG@10: zero-shot ${f(zeroShot.model)}; +${tuneEpochs} epochs on B ${f(tuned)} | most-popular ${f(zeroShot.popularity)}, random ${f(zeroShot.random)}; scratch ${tuneEpochs} epochs ${f(scratchShort)}, scratch ${epochs} epochs ${f(scratchFull)}; ${wallMinutes.toFixed(1)} min wall | \`${result.command}\``,
  );
}
