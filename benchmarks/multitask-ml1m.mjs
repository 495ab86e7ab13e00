#!/usr/bin/env node
/**
 * Multi-task training on ML-1M with explicit feedback (issue 16): the GroupLens ratings of users 1–2999
 * (../shared/data/ml-1m/ratings.users-1-2999.dat, 5-core, time order, leave-one-out) with the 18 genres of
 * movies.dat. One SASRec (d 64, 2 blocks, L 200, dropout 0.2) with a rating head and a genre head, trained
 * four times at one epoch budget with fit's `tasks` weights:
 *   next item   the next-item objective alone            → test NDCG@10 / HR@10 (full ranking)
 *   rating      the rating head alone (nextItem 0)       → test RMSE / MAE of the held-out event's rating
 *   genres      the genre head alone (nextItem 0)        → genre AUC / log-loss of the held-out item's genres
 *   all three   1 · next item + w_r · rating + w_g · genres
 * beside the mean training rating (RMSE) and the training genre frequencies (genre AUC) as baselines.
 *
 *   node benchmarks/multitask-ml1m.mjs [--epochs 20] [--rating-weight 1] [--genre-weight 1] [--threads 2] [--no-record]
 */
import { parseArgs } from 'node:util';
import { SASRec, attributeLabels, auc, logLoss, readMovieLensMovies, readMovieLensRatings, versions } from '../dist/index.js';
import { DATA, commandLine, cpuDevice, ml1mFiles, recordRun, requireFiles } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    epochs: { type: 'string', default: '20' },
    'rating-weight': { type: 'string', default: '1' },
    'genre-weight': { type: 'string', default: '1' },
    threads: { type: 'string', default: '2' },
    'no-record': { type: 'boolean', default: false },
  },
});
const files = ml1mFiles(DATA);
requireFiles([files.ratings, files.movies]);
const [epochs, ratingWeight, genreWeight, threads] = [Number(a.epochs), Number(a['rating-weight']), Number(a['genre-weight']), Number(a.threads)];

const movies = await readMovieLensMovies(files.movies);
const { log } = await readMovieLensRatings(files.ratings);
const data = log.toDataset({ kCore: 5 }).dataset.withItemInfo(movies);
const genres = [...new Set([...movies.values()].flatMap((m) => m.genres))].sort();
const G = genres.length;
const labels = attributeLabels(data.itemInfo, genres);
const { train, test } = data.split('leave-one-out');
const histories = Array.from({ length: test.targets.length }, (_, e) => test.items.subarray(test.offsets[e], test.offsets[e + 1]));
// (E·G) the held-out items' genre labels
const targetGenres = Float32Array.from({ length: test.targets.length * G }, (_, at) => labels[test.targets[Math.floor(at / G)] * G + (at % G)]);
console.log(`${data.numUsers} users, ${data.numItems} items, ${data.numInteractions} ratings, ${G} genres`);

// Baselines from the training data alone.
const rated = train.ratings.filter((r) => !Number.isNaN(r));
const meanRating = rated.reduce((s, r) => s + r, 0) / rated.length;
const targets = test.targetRatings;
const meanRmse = Math.sqrt(targets.reduce((s, r) => s + (r - meanRating) ** 2, 0) / targets.length);
const genreShare = new Float64Array(G);
for (const item of train.items) for (let g = 0; g < G; g++) genreShare[g] += labels[item * G + g] / train.items.length;
const priorScores = Float32Array.from({ length: targetGenres.length }, (_, at) => genreShare[at % G]);
const baselines = { ratingRmse: meanRmse, genreAuc: auc(priorScores, targetGenres), genreLogLoss: logLoss(priorScores, targetGenres) };
console.log(
  `baselines: mean rating RMSE ${meanRmse.toFixed(4)}, genre frequencies AUC ${baselines.genreAuc.toFixed(4)} log-loss ${baselines.genreLogLoss.toFixed(4)}`,
);

const RUNS = [
  { name: 'next item', tasks: {} },
  { name: 'rating', tasks: { nextItem: 0, pointwise: 1 } },
  { name: 'genres', tasks: { nextItem: 0, attributes: { labels, weight: 1 } } },
  { name: 'all three', tasks: { nextItem: 1, pointwise: ratingWeight, attributes: { labels, weight: genreWeight } } },
];

async function run({ name, tasks }) {
  const started = Date.now();
  const model = await SASRec.create({
    items: data.numItems,
    dim: 64,
    layers: 2,
    heads: 2,
    maxLen: 200,
    dropout: 0.2,
    seed: 0,
    threads,
    pointwise: 'rating',
    attributes: G,
  });
  await model.fit(train, {
    epochs,
    batchSize: 128,
    lr: 2e-3,
    warmupSteps: 100,
    schedule: 'cosine',
    minLrRatio: 0.05,
    weightDecay: 0.05,
    tasks: { pointwise: 0, ...tasks },
  });
  const row = { name, tasks: { ...tasks, attributes: tasks.attributes ? { weight: tasks.attributes.weight } : undefined }, minutes: 0 };
  if (tasks.nextItem !== 0) Object.assign(row, (await model.evaluate(test, { metrics: ['ndcg@10', 'hr@10'] })).metrics);
  if (tasks.pointwise > 0) Object.assign(row, (await model.evaluate(test, { metrics: ['rmse', 'mae'] })).metrics);
  if (tasks.attributes) {
    const p = await model.predictAttributes(histories);
    Object.assign(row, { genreAuc: auc(p, targetGenres), genreLogLoss: logLoss(p, targetGenres) });
  }
  await model.dispose();
  row.minutes = (Date.now() - started) / 60000;
  const show = (k, label) => (row[k] === undefined ? '' : `  ${label} ${row[k].toFixed(4)}`);
  console.log(
    `${name.padEnd(10)}${show('ndcg@10', 'NDCG@10')}${show('hr@10', 'HR@10')}${show('rmse', 'RMSE')}${show('mae', 'MAE')}${show('genreAuc', 'genre AUC')}${show('genreLogLoss', 'log-loss')}  (${row.minutes.toFixed(1)} min)`,
  );
  return row;
}

const rows = [];
for (const r of RUNS) rows.push(await run(r));

if (!a['no-record']) {
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  const [next, rating, genre, all] = rows;
  const cell =
    `NDCG@10 next-item only ${next['ndcg@10'].toFixed(4)} / multi-task ${all['ndcg@10'].toFixed(4)}; RMSE rating only ${rating.rmse.toFixed(4)} / multi-task ${all.rmse.toFixed(4)} (mean rating ${meanRmse.toFixed(4)}); ` +
    `genre AUC genres only ${genre.genreAuc.toFixed(4)} / multi-task ${all.genreAuc.toFixed(4)} (genre frequencies ${baselines.genreAuc.toFixed(4)})`;
  recordRun(
    'multitask-ml1m',
    {
      benchmark: 'multitask-ml1m',
      date: new Date().toISOString(),
      device,
      versions: v,
      epochs,
      ratingWeight,
      genreWeight,
      baselines,
      rows,
      command: commandLine('multitask-ml1m.mjs'),
    },
    `multitask-ml1m | ${device} | ML-1M ratings of users 1–2999 (5-core, leave-one-out), SASRec d 64 L 200 with rating and genre heads, ${epochs} epochs per model | ${cell} | single-task vs multi-task (weights ${ratingWeight}, ${genreWeight}) | \`${commandLine('multitask-ml1m.mjs')}\``,
  );
}
