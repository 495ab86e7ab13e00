#!/usr/bin/env node
/**
 * Latency of one recommendation, at each catalogue size given, in one invocation on the same threads:
 *   full:    model.recommend(history, { k: 10 }) awaited call after call (one user, a full history of
 *            max-len events, seen items excluded), exact fp32 scoring and int8 scoring (with the
 *            share of top-10 lists identical to fp32 over --calls varied histories);
 *   session: append one event to a model.session() and recommend (positions: 'start'; sessions start
 *            at max-len/2 events and are renewed at max-len, so every append is incremental);
 *   PyTorch: the same model in eager mode recomputing the full history (benchmarks/recommend_latency.py).
 * p50 / p99 / mean in ms over --calls calls after 20 warm-up calls. The models are untrained (random
 * weights: the timing does not depend on them); --model adds the top-10 agreement of int8 and bf16
 * scoring with fp32 over every user of ML-1M for a trained checkpoint.
 *
 *   node benchmarks/recommend-latency.mjs [--items 3706,100000] [--calls 500] [--threads 1]
 *                                         [--model ml1m.safetensors] [--no-record]
 *
 * Targets (issue 14, one thread): p50 ≤ 1.2 ms and p99 ≤ 2 ms at 3,706 items; p50 ≤ 2 ms at 100k items
 * (reduced precision allowed); a session append + recommend p50 ≤ 0.2 ms, p99 ≤ 0.5 ms, ≥ 5× faster
 * than recomputing the history in PyTorch eager.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SASRec, loadModel, readSasrecText, versions } from '../dist/index.js';
import { DATA, commandLine, cpuDevice, latencySummary, ml1mFiles, recordRun } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    items: { type: 'string', default: '3706,100000' },
    calls: { type: 'string', default: '500' },
    threads: { type: 'string', default: '1' },
    'max-len': { type: 'string', default: '200' },
    model: { type: 'string' },
    'no-record': { type: 'boolean', default: false },
  },
});
const calls = Number(a.calls);
const threads = Number(a.threads);
const maxLen = Number(a['max-len']);
const root = join(import.meta.dirname, '..');
const python = existsSync(join(root, '.venv/bin/python')) ? join(root, '.venv/bin/python') : 'python3';

/** p50 / p99 / mean of `call` run calls + 20 times (the first 20 not counted); `untimed` runs before each, outside the clock. */
async function timed(call, untimed = async () => {}) {
  const times = [];
  for (let i = 0; i < calls + 20; i++) {
    await untimed();
    const t = performance.now();
    await call(i);
    if (i >= 20) times.push(performance.now() - t);
  }
  return latencySummary(times);
}

const historyOf = (items, seed, length = maxLen) => Array.from({ length }, (_, i) => 1 + ((i * 7919 + seed * 104729) % items));

/** Share of users whose top-10 under `scoring` equals the fp32 top-10. */
async function agreement(model, histories, scoring) {
  const exact = await model.recommend(histories, { k: 10 });
  const reduced = await model.recommend(histories, { k: 10, scoring });
  return reduced.filter((list, u) => list.map((r) => r.item).join() === exact[u].map((r) => r.item).join()).length / histories.length;
}

async function seqrecLatency(items) {
  const model = await SASRec.create({ items, dim: 64, layers: 2, heads: 2, maxLen, threads, seed: 0 });
  const startModel = await SASRec.create({ items, dim: 64, layers: 2, heads: 2, maxLen, threads, seed: 0, positions: 'start' });
  try {
    const history = historyOf(items, 0);
    const fp32 = await timed(() => model.recommend(history, { k: 10 }));
    const int8 = await timed(() => model.recommend(history, { k: 10, scoring: 'int8' }));
    int8.top10Agreement = await agreement(
      model,
      Array.from({ length: calls }, (_, u) => historyOf(items, u + 1)),
      'int8',
    );
    let session = startModel.session(historyOf(items, 0, maxLen / 2));
    await session.recommend({ k: 10 });
    const scoring = items * 64 > 1 << 20 ? 'int8' : 'fp32'; // exact where it costs nothing
    const renew = async () => {
      if (session.history.length < maxLen) return;
      await session.dispose(); // a full window: start again at max-len / 2 events (not an append, so not timed)
      session = startModel.session(historyOf(items, 0, maxLen / 2));
      await session.recommend({ k: 10 });
    };
    const sessionRow = { scoring, ...(await timed((i) => session.append(1 + ((i * 31) % items)).recommend({ k: 10, scoring }), renew)) };
    await session.dispose();
    return { fp32, int8, session: sessionRow };
  } finally {
    await model.dispose(); // Node 20 has no `await using`
    await startModel.dispose();
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
  rows.push({ items, ...seqrec, torch });
  const ms = (r) => `p50 ${r.p50_ms.toFixed(3)} / p99 ${r.p99_ms.toFixed(3)} ms`;
  console.log(
    `${items} items: seqrec fp32 ${ms(seqrec.fp32)}; int8 ${ms(seqrec.int8)} (top-10 = fp32 for ${(100 * seqrec.int8.top10Agreement).toFixed(1)}%); ` +
      `session append+recommend (${seqrec.session.scoring}) ${ms(seqrec.session)}; PyTorch ${torch.torch} eager recompute ${ms(torch)} ` +
      `(${(torch.p50_ms / seqrec.session.p50_ms).toFixed(1)}× the session p50)`,
  );
}

// Top-10 agreement of reduced-precision scoring on a trained ML-1M model, over every user's full history.
let ml1m;
if (a.model) {
  const model = await loadModel(a.model, { inference: true, threads });
  try {
    const data = await readSasrecText(ml1mFiles(DATA).interactions);
    const histories = Array.from({ length: data.numUsers }, (_, u) => Array.from(data.sequence(u)));
    ml1m = { model: a.model, users: histories.length, int8: await agreement(model, histories, 'int8'), bf16: await agreement(model, histories, 'bf16') };
    console.log(
      `ML-1M (${a.model}, ${ml1m.users} users): top-10 identical to fp32: int8 ${(100 * ml1m.int8).toFixed(2)}%, bf16 ${(100 * ml1m.bf16).toFixed(2)}%`,
    );
  } finally {
    await model.dispose();
  }
}
if (!a['no-record']) {
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  const cell = (r) => `p50 ${r.p50_ms.toFixed(2)} / p99 ${r.p99_ms.toFixed(2)} ms`;
  const sizes = rows
    .map(
      (x) =>
        `${x.items} items: fp32 ${cell(x.fp32)}, int8 ${cell(x.int8)} (top-10 agreement ${(100 * x.int8.top10Agreement).toFixed(1)}%), session append+recommend ${cell(x.session)}, PyTorch eager ${cell(x.torch)}`,
    )
    .join('; ');
  const agreementCell = ml1m
    ? `ML-1M trained model, ${ml1m.users} users: top-10 identical to fp32 int8 ${(100 * ml1m.int8).toFixed(2)}%, bf16 ${(100 * ml1m.bf16).toFixed(2)}%`
    : 'no trained model given';
  recordRun(
    'recommend-latency',
    { date: new Date().toISOString(), command: commandLine('recommend-latency.mjs'), device, calls, maxLen, versions: v, rows, ml1m },
    `recommend-latency | ${device} | one user, ${maxLen}-event history, k=10, d=64, 2 blocks, ${calls} calls | ${sizes} | ${agreementCell} | targets: p50 ≤ 1.2 ms, p99 ≤ 2 ms at 3706 items; p50 ≤ 2 ms at 100k; session p50 ≤ 0.2 ms, p99 ≤ 0.5 ms | \`${commandLine('recommend-latency.mjs')}\``,
  );
}
