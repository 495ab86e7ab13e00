#!/usr/bin/env node
/**
 * Learning online, on ML-1M in time order (the GroupLens ratings of users 1–2999, 5-core): a base model
 * on the first half of time, then the rest cut into --blocks equal blocks of events. Before each block
 * is revealed, every user active in it with some history is asked for their first item of the block
 * (NDCG@10, full ranking, history = everything before the block); then the policy sees the block:
 *   none         the base model, never updated;
 *   incremental  model.update(the block's active users' sequences so far), 2 epochs, lr 1e-3;
 *   + replay     the same with replay of the data before the block (half the sequences trained on);
 *   retrain      a new model fit from scratch on everything so far, as long as the base.
 * Reported: NDCG@10 per block and averaged, training time of each policy (updates or retrains only),
 * and forgetting: NDCG@10 on the base period's last events (leave-one-out within it) after all blocks.
 *
 *   node benchmarks/streaming-ml1m.mjs [--blocks 10] [--threads 2] [--no-record]
 *
 * Target (issue 15): incremental with replay ≥ 97% of full-retrain NDCG@10 averaged over blocks at
 * ≤ 20% of its time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Dataset, SASRec, loadModel, readMovieLensRatings, versions } from '../dist/index.js';
import { DATA, commandLine, cpuDevice, ml1mFiles, recordRun, requireFiles } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    blocks: { type: 'string', default: '10' },
    threads: { type: 'string', default: '2' },
    'base-epochs': { type: 'string', default: '10' },
    'no-record': { type: 'boolean', default: false },
  },
});
const files = ml1mFiles(DATA);
requireFiles([files.ratings]);
const [B, threads, baseEpochs] = [Number(a.blocks), Number(a.threads), Number(a['base-epochs'])];
const started = Date.now();

const { log } = await readMovieLensRatings(files.ratings);
const { dataset } = log.toDataset({ kCore: 5 });
const V = dataset.numItems;
const U = dataset.numUsers;
const seq = Array.from({ length: U }, (_, u) => Array.from(dataset.sequence(u)));
const times = Array.from({ length: U }, (_, u) => Array.from(dataset.times.subarray(dataset.offsets[u], dataset.offsets[u + 1])));
const all = times.flat().sort((x, y) => x - y);
const cut = (q) => all[Math.min(all.length - 1, Math.floor(q * all.length))];
const bounds = Array.from({ length: B + 1 }, (_, b) => cut(0.5 + (0.5 * b) / B)); // block b = [bounds[b], bounds[b+1])
bounds[B] = Infinity;
const before = (u, t) => (times[u].findIndex((x) => x >= t) === -1 ? seq[u].length : times[u].findIndex((x) => x >= t)); // events of u before t
const upTo = (t) =>
  Dataset.fromSequences(
    seq.map((s, u) => s.slice(0, before(u, t))).filter((s) => s.length >= 2),
    V,
  );

/** Users active in block b with history: history before it, first item in it. */
function blockEval(b) {
  const users = [];
  for (let u = 0; u < U; u++) {
    const p = before(u, bounds[b]);
    if (p > 0 && p < seq[u].length && times[u][p] < bounds[b + 1]) users.push(u);
  }
  const offsets = new Int32Array(users.length + 1);
  const hist = users.map((u) => seq[u].slice(0, before(u, bounds[b])));
  hist.forEach((h, e) => (offsets[e + 1] = offsets[e] + h.length));
  return {
    users: Int32Array.from(users),
    offsets,
    items: Int32Array.from(hist.flat()),
    targets: Int32Array.from(users, (u) => seq[u][before(u, bounds[b])]),
    numItems: V,
  };
}
/** The block's active users' sequences up to the block's end (what the block reveals, with its context). */
const blockFresh = (b) =>
  Dataset.fromSequences(
    seq.map((s, u) => (before(u, bounds[b]) < before(u, bounds[b + 1]) ? s.slice(0, before(u, bounds[b + 1])) : [])).filter((s) => s.length >= 2),
    V,
  );

const ARCH = { items: V, dim: 64, layers: 2, heads: 2, maxLen: 50, dropout: 0.2, threads, seed: 0 };
const FIT = { epochs: baseEpochs, batchSize: 128, lr: 2e-3, warmupSteps: 50 };
const ndcg = async (model, evalSet) => (await model.evaluate(evalSet, { metrics: ['ndcg@10'] })).metrics['ndcg@10'];
const basePeriod = upTo(bounds[0]);
const forgettingSet = basePeriod.split('leave-one-out').test;

// The base model, trained once on the first half of time; every policy starts from a copy of it.
const dir = mkdtempSync(join(tmpdir(), 'seqrec-streaming-'));
const basePath = join(dir, 'base.safetensors');
const baseStart = Date.now();
{
  const base = await SASRec.create(ARCH);
  await base.fit(upTo(bounds[0]), FIT);
  await base.save(basePath);
  await base.dispose();
}
const baseSec = (Date.now() - baseStart) / 1000;

async function run(policy) {
  let model = await loadModel(basePath, { threads });
  let trainSec = 0;
  const perBlock = [];
  for (let b = 0; b < B; b++) {
    perBlock.push(await ndcg(model, blockEval(b)));
    const t = Date.now();
    if (policy === 'incremental') await model.update(blockFresh(b), { epochs: 2, lr: 1e-3 });
    else if (policy === 'replay') await model.update(blockFresh(b), { epochs: 2, lr: 1e-3, replay: upTo(bounds[b]), replayShare: 0.5 });
    else if (policy === 'retrain' && b + 1 < B) {
      await model.dispose();
      model = await SASRec.create(ARCH);
      await model.fit(upTo(bounds[b + 1]), FIT);
    }
    trainSec += (Date.now() - t) / 1000;
  }
  const forgetting = await ndcg(model, forgettingSet);
  await model.dispose();
  const mean = perBlock.reduce((s, x) => s + x, 0) / perBlock.length;
  console.log(
    `${policy.padEnd(12)} NDCG@10 by block ${perBlock.map((x) => x.toFixed(4)).join(' ')}  mean ${mean.toFixed(4)}  train ${trainSec.toFixed(0)} s  base period after ${forgetting.toFixed(4)}`,
  );
  return { policy, perBlock, mean, trainSec, basePeriodNdcg: forgetting };
}

const runs = [];
for (const policy of ['none', 'incremental', 'replay', 'retrain']) runs.push(await run(policy));
rmSync(dir, { recursive: true, force: true });
const byName = Object.fromEntries(runs.map((r) => [r.policy, r]));
const ratio = byName.replay.mean / byName.retrain.mean;
const timeShare = byName.replay.trainSec / byName.retrain.trainSec;
const line = runs.map((r) => `${r.policy} ${r.mean.toFixed(4)} (${r.trainSec.toFixed(0)} s, base period ${r.basePeriodNdcg.toFixed(4)})`).join('; ');
console.log(`${line}; replay / retrain NDCG ${(100 * ratio).toFixed(1)}% at ${(100 * timeShare).toFixed(1)}% of its time`);
if (!a['no-record']) {
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  recordRun(
    'streaming-ml1m',
    {
      date: new Date().toISOString(),
      command: commandLine('streaming-ml1m.mjs'),
      device,
      users: U,
      items: V,
      blocks: B,
      arch: ARCH,
      fit: FIT,
      versions: v,
      runs,
      ratio,
      timeShare,
      baseSec,
      wallMinutes: (Date.now() - started) / 60000,
    },
    `streaming-ml1m | ${device} | ML-1M users 1–2999 5-core in time order, base on the first half, ${B} blocks, SASRec d=64 L=50, NDCG@10 of each block's first item per user | mean NDCG@10 (training time, base-period NDCG after): ${line} | replay = ${(100 * ratio).toFixed(1)}% of retrain at ${(100 * timeShare).toFixed(1)}% of its time (target ≥ 97% at ≤ 20%) | \`${commandLine('streaming-ml1m.mjs')}\``,
  );
}
