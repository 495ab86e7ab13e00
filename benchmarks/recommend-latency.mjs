#!/usr/bin/env node
/**
 * Latency of one recommendation: seqrec's model.recommend(history, { k: 10 }) awaited call after call
 * (one user, a full history of max-len events, seen items excluded) beside the same model in PyTorch
 * eager (benchmarks/recommend_latency.py), in one invocation on the same threads, at each catalogue
 * size given. p50 / p99 / mean in ms over --calls calls after 20 warm-up calls.
 *
 *   node benchmarks/recommend-latency.mjs [--items 3706,100000] [--calls 500] [--threads 1] [--no-record]
 *
 * Targets (issue 14, one thread): p50 ≤ 1.2 ms and p99 ≤ 2 ms at 3,706 items; p50 ≤ 2 ms at 100k items.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SASRec, versions } from '../dist/index.js';
import { commandLine, cpuDevice, recordRun } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    items: { type: 'string', default: '3706,100000' },
    calls: { type: 'string', default: '500' },
    threads: { type: 'string', default: '1' },
    'max-len': { type: 'string', default: '200' },
    'no-record': { type: 'boolean', default: false },
  },
});
const calls = Number(a.calls);
const threads = Number(a.threads);
const maxLen = Number(a['max-len']);
const root = join(import.meta.dirname, '..');
const python = existsSync(join(root, '.venv/bin/python')) ? join(root, '.venv/bin/python') : 'python3';

const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function seqrecLatency(items) {
  const model = await SASRec.create({ items, dim: 64, layers: 2, heads: 2, maxLen, threads, seed: 0 });
  try {
    const history = Array.from({ length: maxLen }, (_, i) => 1 + ((i * 7919) % items));
    const times = [];
    for (let call = 0; call < calls + 20; call++) {
      const t = performance.now();
      await model.recommend(history, { k: 10 });
      if (call >= 20) times.push(performance.now() - t);
    }
    times.sort((x, y) => x - y);
    return { p50_ms: percentile(times, 0.5), p99_ms: percentile(times, 0.99), mean_ms: times.reduce((s, x) => s + x, 0) / times.length };
  } finally {
    await model.dispose(); // Node 20 has no `await using`
  }
}

const rows = [];
for (const items of a.items.split(',').map(Number)) {
  const seqrec = await seqrecLatency(items);
  const torch = JSON.parse(
    execFileSync(
      python,
      [
        join(root, 'benchmarks/recommend_latency.py'),
        '--items',
        String(items),
        '--calls',
        String(calls),
        '--threads',
        String(threads),
        '--max-len',
        String(maxLen),
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n')
      .at(-1),
  );
  rows.push({ items, seqrec, torch });
  console.log(
    `${items} items: seqrec p50 ${seqrec.p50_ms.toFixed(2)} ms, p99 ${seqrec.p99_ms.toFixed(2)} ms, mean ${seqrec.mean_ms.toFixed(2)}; PyTorch ${torch.torch} eager p50 ${torch.p50_ms.toFixed(2)} ms, p99 ${torch.p99_ms.toFixed(2)} ms, mean ${torch.mean_ms.toFixed(2)}`,
  );
}
if (!a['no-record']) {
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  const cell = (r) => rows.map((x) => `${x.items} items p50 ${x[r].p50_ms.toFixed(2)} / p99 ${x[r].p99_ms.toFixed(2)} ms`).join('; ');
  recordRun(
    'recommend-latency',
    { date: new Date().toISOString(), command: commandLine('recommend-latency.mjs'), device, calls, maxLen, versions: v, rows },
    `recommend-latency | ${device} | one user, ${maxLen}-event history, k=10, d=64, 2 blocks, ${calls} calls | seqrec ${cell('seqrec')} | PyTorch eager ${cell('torch')} | targets: p50 ≤ 1.2 ms, p99 ≤ 2 ms at 3706 items; p50 ≤ 2 ms at 100k | \`${commandLine('recommend-latency.mjs')}\``,
  );
}
