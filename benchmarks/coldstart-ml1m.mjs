#!/usr/bin/env node
/**
 * MovieLens-1M cold start from item text (issue 5): how well items that were never trained on are
 * ranked once their embedding rows are mapped from their text (Gantner et al., ICDM 2010; lib/coldstart).
 * The SASRec-preprocessed file with original ids, titles and genres from movies.dat, hashed into text
 * vectors; a seeded 10% of the items held out entirely (split 'cold-items'); a small SASRec trained on
 * the rest; then each test user's last cold-item event is the target, ranked (1) over all items with seen
 * items excluded and (2) among the user's unseen cold items only (the new-item protocol of Gantner et al.),
 * for: the model with mapped cold rows, the same model before mapping (cold rows only ever pushed down by
 * the softmax), most-popular (cold items have count 0, so it can never rank them above a warm item: HR = 0
 * by construction) and random (for (2) its exact expectation, no draws). Beside that post-hoc map, a second
 * SASRec of the same shape learns the text path jointly (ModelOptions.textDim: row = id embedding, once
 * trained on, + a learned projection of the same text vector; id dropout --id-dropout), so its cold items
 * are scored from text alone with no mapping step.
 * On a busy 2-core machine pass --threads 1: two OpenMP threads beside another job ran ~10× slower.
 *
 *   node benchmarks/coldstart-ml1m.mjs [--epochs 10] [--max-len 50] [--threads 1] [--text-dim 256] [--lambda auto|<number>] [--id-dropout 0.5]
 *
 * Needs the built package (npm run build). Writes benchmarks/results/coldstart-ml1m-<date>.json and appends a row to
 * RESULTS.md. Exits 0 with a message when ../shared/data is absent (it is never copied into the repo).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, randomAmongCold, ranksAmongCold } from './cold-items.mjs';
import { DATA, commandLine, cpuDevice, ml1mFiles, recordRun, requireFiles } from './record.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: DATA },
    epochs: { type: 'string', default: '10' },
    'max-len': { type: 'string', default: '50' },
    'text-dim': { type: 'string', default: '256' },
    lambda: { type: 'string', default: 'auto' },
    'id-dropout': { type: 'string', default: '0.5' },
    lr: { type: 'string', default: '2e-3' },
    batch: { type: 'string', default: '128' },
    threads: { type: 'string' },
    'no-record': { type: 'boolean', default: false },
  },
});
const files = ml1mFiles(a.data);
requireFiles([files.interactions, files.itemMap, files.userMap, files.movies]);

const lib = await import(join(here, '../dist/index.js'));
const started = Date.now();
const epochs = Number(a.epochs);
const maxLen = Number(a['max-len']);
const lambda = a.lambda === 'auto' ? 'auto' : Number(a.lambda);

const data = (await lib.readSasrecText(files.interactions, { itemIdMap: files.itemMap, userIdMap: files.userMap })).withItemInfo(
  await lib.readMovieLensMovies(files.movies),
);
const encoder = new lib.HashingTextEncoder({ dim: Number(a['text-dim']) });
const vectors = encoder.encode(lib.itemText(data));
const { train, test, coldItems } = data.split('cold-items', { fraction: 0.1, seed: 0 });
console.log(`${data.numItems} items (${data.itemInfoMatch.matched} with title/genres), ${coldItems.length} cold; ${test.targets.length} test users`);

const model = await lib.SASRec.create({
  items: data.numItems,
  dim: 64,
  layers: 2,
  heads: 2,
  maxLen,
  dropout: 0.2,
  seed: 0,
  ...(a.threads && { threads: Number(a.threads) }),
});
const fitOptions = {
  epochs,
  batchSize: Number(a.batch),
  lr: Number(a.lr),
  warmupSteps: 100,
  schedule: 'cosine',
  minLrRatio: 0.05,
  weightDecay: 0.05,
  clipNorm: 1.0,
  progressEvery: 10,
};
const summary = await model.fit(train, {
  ...fitOptions,
  onProgress: (p) => console.log(`step ${p.step}/${p.totalSteps} epoch ${p.epoch} loss ${p.loss.toFixed(4)} ${p.sequencesPerSec.toFixed(0)} seq/s`),
});
const evaluateOptions = { metrics: ['hr@10', 'ndcg@10', 'mrr'], train, bootstrap: { resamples: 1000 } };
const before = await model.evaluate(test, evaluateOptions);
const beforeCold = await ranksAmongCold(model, test, coldItems);
const mappingStarted = Date.now();
const { mapping } = await lib.coldStartFromText(model, train, vectors, { lambda });
const mappingSec = (Date.now() - mappingStarted) / 1000;
const after = await model.evaluate(test, evaluateOptions);
const afterCold = await ranksAmongCold(model, test, coldItems);
await model.dispose();

const idDropout = Number(a['id-dropout']);
const textModel = await lib.SASRec.create({
  items: data.numItems,
  dim: 64,
  layers: 2,
  heads: 2,
  maxLen,
  dropout: 0.2,
  seed: 0,
  textDim: vectors.dim,
  ...(a.threads && { threads: Number(a.threads) }),
});
await textModel.setItemText(vectors);
const textSummary = await textModel.fit(train, {
  ...fitOptions,
  idDropout,
  onProgress: (p) => console.log(`text model: step ${p.step}/${p.totalSteps} epoch ${p.epoch} loss ${p.loss.toFixed(4)} ${p.sequencesPerSec.toFixed(0)} seq/s`),
});
const joint = await textModel.evaluate(test, evaluateOptions);
const jointCold = await ranksAmongCold(textModel, test, coldItems);
await textModel.dispose();
const wallMinutes = (Date.now() - started) / 60000;

const row = (ev, scorer, name) => ev.table.find((r) => r.name === name).values[scorer];
const full = (ev, scorer) => ({ 'hr@10': row(ev, scorer, 'hr@10'), 'ndcg@10': row(ev, scorer, 'ndcg@10'), mrr: row(ev, scorer, 'mrr') });
const modelFull = (ev) => ({ ...full(ev, 'model'), medianRank: median(ev.ranks) });
const amongCold = (ranks) => ({ 'hr@10': lib.hitRate(ranks, 10), 'ndcg@10': lib.ndcg(ranks, 10), medianRank: median(ranks) });
const result = {
  benchmark: 'coldstart-ml1m',
  date: new Date().toISOString(),
  device: cpuDevice(lib.versions()),
  versions: lib.versions(),
  protocol: {
    split: "cold-items (10% of the items, seed 0): target = each user's last cold-item event, history = every event before it",
    full: 'rank of the target over all items, seen items excluded, ties pessimistic',
    amongCold: 'rank of the target among the cold items the user has not seen (the new-item protocol of Gantner et al. 2010)',
  },
  data: {
    items: data.numItems,
    withText: data.itemInfoMatch.matched,
    coldItems: coldItems.length,
    testUsers: test.targets.length,
    trainInteractions: train.numInteractions,
  },
  text: { encoder: 'HashingTextEncoder', config: encoder.config, fields: 'title. genres' },
  model: { dim: 64, layers: 2, heads: 2, maxLen, dropout: 0.2 },
  options: fitOptions,
  mapping: {
    lambdaOption: lambda,
    lambda: mapping.lambda,
    lambdaSearch: mapping.lambdaSearch,
    warmItems: mapping.warmCount,
    warmR2: mapping.warmR2,
    seconds: mappingSec,
  },
  jointText: { textDim: vectors.dim, idDropout, steps: textSummary.steps, trainMinutes: textSummary.elapsedSec / 60 },
  full: {
    joint: modelFull(joint),
    mapped: modelFull(after),
    unmapped: modelFull(before),
    popularity: full(after, 'popularity'),
    random: full(after, 'random'),
  },
  amongCold: { joint: amongCold(jointCold), mapped: amongCold(afterCold), unmapped: amongCold(beforeCold), random: randomAmongCold(test, coldItems, 10) },
  ci: {
    joint: joint.table.map((r) => ({ metric: r.name, ...r.ci?.model })),
    mapped: after.table.map((r) => ({ metric: r.name, ...r.ci?.model })),
    unmapped: before.table.map((r) => ({ metric: r.name, ...r.ci?.model })),
  },
  steps: summary.steps,
  trainMinutes: summary.elapsedSec / 60,
  wallMinutes,
  command: commandLine('coldstart-ml1m.mjs'),
};
const { full: F, amongCold: C } = result;
const f = (s) => `HR@10 ${s['hr@10'].toFixed(4)}, NDCG@10 ${s['ndcg@10'].toFixed(4)}`;
const cell = (v) => (v === undefined ? '—' : v.toFixed(4));
const rank = (v) => (v === undefined ? '—' : String(v));
console.log(
  `\ncold targets (${test.targets.length} users, ${coldItems.length} cold items), warm R² of the map ${mapping.warmR2.toFixed(3)}, λ ${mapping.lambda.toPrecision(2)}:`,
);
console.log(
  '| scorer | full HR@10 | full NDCG@10 | full median rank | among-cold HR@10 | among-cold NDCG@10 | among-cold median rank |\n| --- | --- | --- | --- | --- | --- | --- |',
);
for (const [name, x, y] of [
  [`SASRec with learned text projection (id dropout ${idDropout})`, F.joint, C.joint],
  ['SASRec + text-mapped cold rows', F.mapped, C.mapped],
  ['SASRec, cold rows unmapped', F.unmapped, C.unmapped],
  ['most popular (cannot rank cold items)', F.popularity, undefined],
  ['random', F.random, C.random],
]) {
  console.log(
    `| ${name} | ${cell(x['hr@10'])} | ${cell(x['ndcg@10'])} | ${rank(x.medianRank)} | ${cell(y?.['hr@10'])} | ${cell(y?.['ndcg@10'])} | ${rank(y?.medianRank)} |`,
  );
}
console.log(`${summary.steps} steps, train ${result.trainMinutes.toFixed(1)} min, mapping ${mappingSec.toFixed(1)} s, wall ${wallMinutes.toFixed(1)} min`);

if (!a['no-record']) {
  recordRun(
    'coldstart-ml1m',
    result,
    `coldstart-ml1m | ${result.device} | cold-items 10% (seed 0), ${coldItems.length} cold items, ${test.targets.length} users; L=${maxLen} d=64 blocks=2, ${epochs} epochs; ` +
      `hashed title+genres t=${encoder.config.dim}, ridge λ=${lambda === 'auto' ? `auto→${mapping.lambda.toPrecision(2)}` : lambda} (warm R² ${mapping.warmR2.toFixed(3)}); full ranking and among cold items | ` +
      `learned text projection (textDim ${vectors.dim}, id dropout ${idDropout}): full ${f(F.joint)} (median rank ${F.joint.medianRank}); among cold ${f(C.joint)}; ` +
      `text-mapped: full ${f(F.mapped)} (median rank ${F.mapped.medianRank}); among cold ${f(C.mapped)} | ` +
      `unmapped: full ${f(F.unmapped)} (median rank ${F.unmapped.medianRank}); among cold ${f(C.unmapped)} | ` +
      `random: full ${f(F.random)}, among cold ${f(C.random)}; most-popular full ${f(F.popularity)} (cannot rank cold items); ${wallMinutes.toFixed(1)} min wall | \`${result.command}\``,
  );
}
