#!/usr/bin/env node
/**
 * Top-100 over a million items for one user: model.recommend(history, { k: 100 }) on a SASRec with
 * --items rows of d = 64 (random weights: the search does not depend on them), exact fp32 and int8
 * scoring (recall@100 against fp32), beside hnswlib-node (HNSW, inner product) built over the same
 * item rows (model.itemStates()) and queried with the same user states (model.userStates()), in one
 * invocation on one thread. seqrec's time is the whole call (the transformer pass over the history,
 * ~0.8 ms, included); hnswlib's is the search alone. p50 / p99 ms over --queries users.
 *
 *   npm install --no-save hnswlib-node        # built from source by node-gyp
 *   node benchmarks/top100-1m.mjs [--items 1000000] [--queries 200] [--threads 1] [--no-record]
 *
 * Target (issue 14): ≤ 10 ms for one query, with recall@100 reported.
 */
import { parseArgs } from 'node:util';
import { SASRec, versions } from '../dist/index.js';
import { commandLine, cpuDevice, latencySummary, recordRun } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    items: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '200' },
    threads: { type: 'string', default: '1' },
    'no-record': { type: 'boolean', default: false },
  },
});
const [items, queries, threads] = ['items', 'queries', 'threads'].map((k) => Number(a[k]));
let hnswlib;
try {
  hnswlib = (await import('hnswlib-node')).default;
} catch {
  console.log('hnswlib-node is not installed: `npm install --no-save hnswlib-node`, then run this again');
  process.exit(0);
}

const recall = (got, truth) => {
  const want = new Set(truth);
  return got.filter((i) => want.has(i)).length / truth.length;
};
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;

const d = 64;
const model = await SASRec.create({ items, dim: d, layers: 2, heads: 2, maxLen: 200, threads, seed: 0 });
const histories = Array.from({ length: queries }, (_, u) => Array.from({ length: 200 }, (_, i) => 1 + ((i * 7919 + u * 104729) % items)));

/** Each user's top-100 with `scoring`, and the time of each call. */
async function seqrecRun(scoring) {
  for (const h of histories.slice(0, 10)) await model.recommend(h, { k: 100, excludeSeen: false, scoring }); // warm-up (int8: builds its table)
  const times = [];
  const lists = [];
  for (const h of histories) {
    const t = performance.now();
    const list = await model.recommend(h, { k: 100, excludeSeen: false, scoring });
    times.push(performance.now() - t);
    lists.push(list.map((r) => r.item));
  }
  return { lists, ...latencySummary(times) };
}
const fp32 = await seqrecRun('fp32');
const int8 = await seqrecRun('int8');
int8.recall = mean(int8.lists.map((l, u) => recall(l, fp32.lists[u])));

// hnswlib over the same rows: label i − 1 for item i; queried with the same user states.
const rows = await model.itemStates();
const states = await model.userStates(histories);
await model.dispose();
const index = new hnswlib.HierarchicalNSW('ip', d);
index.initIndex(items, 16, 200, 1);
let t = performance.now();
const point = new Array(d);
for (let i = 0; i < items; i++) {
  for (let j = 0; j < d; j++) point[j] = rows[i * d + j];
  index.addPoint(point, i);
}
const buildSec = (performance.now() - t) / 1000;
const hnsw = [];
for (const ef of [100, 200, 400]) {
  index.setEf(ef);
  const times = [];
  const recalls = [];
  for (let u = 0; u < queries; u++) {
    const q = Array.from(states.subarray(u * d, (u + 1) * d));
    t = performance.now();
    const { neighbors } = index.searchKnn(q, 100);
    times.push(performance.now() - t);
    recalls.push(
      recall(
        neighbors.map((i) => i + 1),
        fp32.lists[u],
      ),
    );
  }
  hnsw.push({ ef, recall: mean(recalls), ...latencySummary(times) });
}

const ms = (r) => `p50 ${r.p50_ms.toFixed(2)} / p99 ${r.p99_ms.toFixed(2)} ms`;
const line =
  `seqrec recommend (whole call) fp32 ${ms(fp32)}; int8 ${ms(int8)} recall@100 ${int8.recall.toFixed(4)}; ` +
  `hnswlib-node (M 16, efConstruction 200, built in ${buildSec.toFixed(0)} s, search only) ${hnsw.map((h) => `ef ${h.ef}: ${ms(h)} recall@100 ${h.recall.toFixed(4)}`).join(', ')}`;
console.log(line);
if (!a['no-record']) {
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  const strip = ({ lists: _lists, ...rest }) => rest;
  recordRun(
    'top100-1m',
    {
      date: new Date().toISOString(),
      command: commandLine('top100-1m.mjs'),
      device,
      items,
      d,
      queries,
      versions: v,
      fp32: strip(fp32),
      int8: strip(int8),
      hnswlib: { buildSec, runs: hnsw },
    },
    `top100-1m | ${device} | top-100 of ${items} items × ${d}, ${queries} users | ${line} | target: ≤ 10 ms | \`${commandLine('top100-1m.mjs')}\``,
  );
}
