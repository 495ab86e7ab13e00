#!/usr/bin/env node
/**
 * Data-parallel training speed (issue 17): sequences/s of SASRec (d 64, L 200, 2 blocks, batch 128 per process)
 * trained by one process, and by two ranks on loopback (Gloo): gradients in buckets sent during backward (what
 * fit does), the naive way (one blocking all-reduce per parameter after backward), and the buckets with the
 * item table's gradient sent as its touched rows (itemGradient 'rows'), all in the same invocation. Each process gets `--threads` CPU threads (default 1: on a 2-core machine each rank
 * has a core of its own). Throughput is read from fit's progress windows after --warmup steps, summed over
 * the ranks. Target: two ranks ≥ 1.7× one process.
 *
 *   node benchmarks/distributed-speed.mjs [--data ml1m|large] [--steps 30] [--warmup 10] [--threads 1] [--no-record]
 *
 * --data ml1m: the ML-1M SASRec file (full-softmax CE), else a synthetic set of its shape; --data large: a
 * synthetic 200,000-item catalogue trained with BCE (one negative), where a step touches few item rows.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SASRec, readSasrecText, syntheticDataset, versions } from '../dist/index.js';
import { DATA, ML1M_FIT, ML1M_MODEL, commandLine, cpuDevice, ml1mFiles, recordRun } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    steps: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '10' },
    threads: { type: 'string', default: '1' },
    naive: { type: 'boolean', default: false },
    rows: { type: 'boolean', default: false },
    data: { type: 'string', default: 'ml1m' },
    'no-record': { type: 'boolean', default: false },
  },
});
const [steps, warmup, threads] = [Number(a.steps), Number(a.warmup), Number(a.threads)];
const files = ml1mFiles(DATA);

async function data() {
  if (a.data === 'large')
    return {
      name: 'synthetic, 200,000 items (6,040 users × 20–400 events), BCE with one negative',
      data: syntheticDataset({ users: 6040, items: 200_000, seed: 1, minLength: 20, maxLength: 400 }),
      fit: { loss: 'bce' },
    };
  if (existsSync(files.interactions)) return { name: 'ML-1M, full-softmax CE', data: await readSasrecText(files.interactions), fit: {} };
  return {
    name: 'synthetic (6,040 users × 20–400 events, 3,416 items), full-softmax CE',
    data: syntheticDataset({ users: 6040, items: 3416, seed: 1, minLength: 20, maxLength: 400 }),
    fit: {},
  };
}

/** One process's training: sequences/s over the progress windows after the warm-up. */
async function train(distributed) {
  const { data: d, fit } = await data();
  const model = await SASRec.create({ items: d.numItems, ...ML1M_MODEL, threads });
  const windows = [];
  try {
    await model.fit(d, {
      ...ML1M_FIT,
      ...fit,
      steps: warmup + steps,
      progressEvery: 5,
      onProgress: (p) => {
        if (p.step > warmup) windows.push(p.sequencesPerSec);
      },
      ...(distributed && { distributed }),
    });
  } finally {
    await model.dispose();
  }
  return windows.reduce((s, x) => s + x, 0) / windows.length;
}

if (process.env.RANK !== undefined) {
  // a rank of a two-process run: print this rank's sequences/s
  console.log(JSON.stringify({ sequencesPerSec: await train({ timeout: 600_000, naiveReduce: a.naive, itemGradient: a.rows ? 'rows' : 'dense' }) }));
  process.exit(0);
}

/** Two ranks of this script; their sequences/s summed. */
async function twoRanks(flag) {
  const port = String(29400 + (process.pid % 500));
  const outputs = await Promise.all(
    [0, 1].map(
      (rank) =>
        new Promise((resolve, reject) => {
          const args = [
            import.meta.filename,
            '--data',
            a.data,
            '--steps',
            String(steps),
            '--warmup',
            String(warmup),
            '--threads',
            String(threads),
            ...(flag ? [flag] : []),
          ];
          const child = spawn(process.execPath, args, {
            env: { ...process.env, RANK: String(rank), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: port },
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout.on('data', (x) => (out += x));
          child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(`rank ${rank} exited ${code}`))));
        }),
    ),
  );
  return outputs.reduce((s, o) => s + o.sequencesPerSec, 0);
}

const { name } = await data();
const one = await train(undefined);
console.log(`one process: ${one.toFixed(1)} sequences/s`);
const times = (x) => `${x.toFixed(1)} sequences/s (${(x / one).toFixed(2)}×)`;
const bucketed = await twoRanks(undefined);
console.log(`two ranks, buckets sent during backward: ${times(bucketed)}`);
const naive = await twoRanks('--naive');
console.log(`two ranks, one all-reduce per parameter after backward: ${times(naive)}`);
const rows = await twoRanks('--rows');
console.log(`two ranks, buckets with the item table as touched rows: ${times(rows)}`);

if (!a['no-record']) {
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  const shape = `SASRec d 64 L 200 2 blocks, batch 128 per process, ${name}, ${steps} steps after ${warmup}, Gloo on loopback`;
  recordRun(
    'distributed-speed',
    {
      date: new Date().toISOString(),
      command: commandLine('distributed-speed.mjs'),
      device,
      shape,
      versions: v,
      sequencesPerSec: { one, bucketed, naive, rows },
    },
    `distributed-speed | ${device} per process | ${shape} | one process ${one.toFixed(1)} sequences/s; two ranks: buckets ${times(bucketed)}, naive ${times(naive)}, item table as rows ${times(rows)} | target ≥ 1.7× at 2 ranks | \`${commandLine('distributed-speed.mjs')}\``,
  );
}
