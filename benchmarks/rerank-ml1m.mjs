#!/usr/bin/env node
/**
 * What each re-ranker costs in accuracy and buys in list health on ML-1M, for a trained SASRec
 * (quality-ml1m.mjs --save): every user's top-10 from the model's top-50 (test targets held out,
 * leave-one-out, full ranking), beside the model's own order:
 *   HR@10, NDCG@10; intra-list diversity (genreDiversity: mean pairwise genre Jaccard distance); miscalibration
 *   (KL of the history's genre mix against the list's, Steck 2018); catalogue coverage@10; the
 *   share of list slots given to the long tail (items outside the 20% most popular) — what the
 *   exposure floor (`fair`, share 0.3) protects.
 *
 *   node benchmarks/rerank-ml1m.mjs --model sasrec.safetensors [--threads 2] [--no-record]
 */
import { parseArgs } from 'node:util';
import { categoryMix, coverage, genreDiversity, itemGenres, loadModel, miscalibration, readMovieLensMovies, readSasrecText, versions } from '../dist/index.js';
import { DATA, commandLine, cpuDevice, ml1mFiles, recordRun, requireFiles } from './record.mjs';

const { values: a } = parseArgs({
  options: { model: { type: 'string' }, threads: { type: 'string', default: '2' }, 'no-record': { type: 'boolean', default: false } },
});
const files = ml1mFiles(DATA);
requireFiles([files.interactions, files.itemMap, files.movies]);
if (!a.model) throw new Error('--model: a SASRec trained on ML-1M (benchmarks/quality-ml1m.mjs --save)');

const movies = await readMovieLensMovies(files.movies);
const data = (await readSasrecText(files.interactions, { itemIdMap: files.itemMap })).withItemInfo(movies);
const { train, test } = data.split('leave-one-out');
const genres = itemGenres(data);
const categories = (item) => (genres[item].length > 0 ? genres[item] : ['(none)']);
const counts = train.itemCounts();
const byPopularity = Array.from({ length: data.numItems }, (_, i) => i + 1).sort((x, y) => counts[y] - counts[x]);
const head = new Set(byPopularity.slice(0, Math.round(0.2 * data.numItems)));
const longTail = (item) => !head.has(item);

const histories = Array.from({ length: test.targets.length }, (_, u) => Array.from(test.items.subarray(test.offsets[u], test.offsets[u + 1])));
const model = await loadModel(a.model, { inference: true, threads: Number(a.threads) });

const asItems = (ids) => ids.map((item) => ({ item }));

async function measure(name, rerank) {
  const t = performance.now();
  const lists = await model.recommend(histories, { k: 10, ...(rerank && { rerank }) });
  const seconds = (performance.now() - t) / 1000;
  let hr = 0;
  let ndcg = 0;
  let miscal = 0;
  let tail = 0;
  lists.forEach((list, u) => {
    const items = list.map((r) => r.item);
    const at = items.indexOf(test.targets[u]);
    if (at >= 0) [hr, ndcg] = [hr + 1, ndcg + 1 / Math.log2(at + 2)];
    miscal += miscalibration(categoryMix(asItems(histories[u]), categories), categoryMix(asItems(items), categories));
    tail += items.filter(longTail).length / items.length;
  });
  const top = { lists: Int32Array.from(lists.flatMap((l) => [...l.map((r) => r.item), ...Array(10 - l.length).fill(0)])), width: 10, numItems: data.numItems };
  const n = lists.length;
  const row = {
    name,
    'hr@10': hr / n,
    'ndcg@10': ndcg / n,
    ild: genreDiversity(top, genres),
    miscalibration: miscal / n,
    'coverage@10': coverage(top),
    longTailShare: tail / n,
    seconds,
  };
  console.log(
    `${name.padEnd(22)} HR@10 ${row['hr@10'].toFixed(4)}  NDCG@10 ${row['ndcg@10'].toFixed(4)}  ILD ${row.ild.toFixed(3)}  miscalibration ${row.miscalibration.toFixed(3)}  coverage ${row['coverage@10'].toFixed(3)}  long-tail share ${row.longTailShare.toFixed(3)}  (${seconds.toFixed(1)} s)`,
  );
  return row;
}

const rows = [
  await measure('model order'),
  await measure('mmr λ=0.7', { method: 'mmr', lambda: 0.7 }),
  await measure('calibrated λ=0.5', { method: 'calibrated', lambda: 0.5, categories }),
  await measure('fair long tail 0.3', { method: 'fair', group: longTail, share: 0.3 }),
];
await model.dispose();
if (!a['no-record']) {
  const v = versions();
  const device = cpuDevice({ ...v, threads: Number(a.threads) });
  const cell = rows
    .map(
      (r) =>
        `${r.name}: NDCG@10 ${r['ndcg@10'].toFixed(4)}, ILD ${r.ild.toFixed(3)}, miscal ${r.miscalibration.toFixed(3)}, coverage ${r['coverage@10'].toFixed(3)}, tail ${r.longTailShare.toFixed(3)}`,
    )
    .join('; ');
  recordRun(
    'rerank-ml1m',
    { date: new Date().toISOString(), command: commandLine('rerank-ml1m.mjs'), device, model: a.model, users: histories.length, versions: v, rows },
    `rerank-ml1m | ${device} | ML-1M leave-one-out test, full ranking, top-10 from the model's top-50, ${histories.length} users | ${cell} | accuracy cost vs list health (issue 15) | \`${commandLine('rerank-ml1m.mjs')}\``,
  );
}
