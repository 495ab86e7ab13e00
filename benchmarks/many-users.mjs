#!/usr/bin/env node
/**
 * Many users at once: top-10 lists for --users full histories (max-len events), on --threads threads,
 * in one invocation beside PyTorch eager batching the same users into one pass (benchmarks/many_users.py):
 *   batch:      one model.recommend(histories) call (and with compute: 'bf16', beside PyTorch under bf16 autocast);
 *   concurrent: --users model.recommend(history) calls in flight together (what a service sees), merged
 *               or not by the model's dynamic batcher;
 *   sessions:   each user's session (positions: 'start') appending one event, --users calls together;
 *               and the same as one model.recommendSessions() call.
 * users/s from the median of --rounds rounds after 2 warm-up rounds.
 *
 *   node benchmarks/many-users.mjs [--items 3706] [--users 256] [--threads 2] [--rounds 10] [--no-record]
 *
 * Target (issue 14): users/s ≥ 2× PyTorch eager batched on the same threads.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SASRec, versions } from '../dist/index.js';
import { commandLine, cpuDevice, recordRun } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    items: { type: 'string', default: '3706' },
    users: { type: 'string', default: '256' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '10' },
    'max-len': { type: 'string', default: '200' },
    'no-record': { type: 'boolean', default: false },
  },
});
const [items, users, threads, rounds, maxLen] = ['items', 'users', 'threads', 'rounds', 'max-len'].map((k) => Number(a[k]));
const root = join(import.meta.dirname, '..');
const python = existsSync(join(root, '.venv/bin/python')) ? join(root, '.venv/bin/python') : 'python3';

const histories = Array.from({ length: users }, (_, u) => Array.from({ length: maxLen }, (_, i) => 1 + ((i * 7919 + u * 104729) % items)));

/** users/s from the median round of `round` (2 warm-up rounds first); `untimed` runs before each, outside the clock. */
async function usersPerSecond(round, untimed = async () => {}) {
  const times = [];
  for (let r = 0; r < rounds + 2; r++) {
    await untimed();
    const t = performance.now();
    await round();
    if (r >= 2) times.push((performance.now() - t) / 1000);
  }
  times.sort((x, y) => x - y);
  return users / times[Math.floor(times.length / 2)];
}

const model = await SASRec.create({ items, dim: 64, layers: 2, heads: 2, maxLen, threads, seed: 0 });
const startModel = await SASRec.create({ items, dim: 64, layers: 2, heads: 2, maxLen, threads, seed: 0, positions: 'start' });
const seqrec = {
  batch: await usersPerSecond(() => model.recommend(histories, { k: 10 })),
  batchBf16: await usersPerSecond(() => model.recommend(histories, { k: 10, compute: 'bf16' })),
  concurrent: await usersPerSecond(() => Promise.all(histories.map((h) => model.recommend(h, { k: 10 })))),
};
let sessions = [];
const fresh = async () => {
  if (sessions.length > 0 && sessions[0].history.length < maxLen) return;
  await Promise.all(sessions.map((s) => s.dispose()));
  sessions = histories.map((h) => startModel.session(h.slice(0, maxLen / 2)));
  await Promise.all(sessions.map((s) => s.recommend({ k: 10 })));
};
let step = 0;
seqrec.sessions = await usersPerSecond(() => Promise.all(sessions.map((s, u) => s.append(1 + ((u + step++) % items)).recommend({ k: 10 }))), fresh);
seqrec.sessionsBatched = await usersPerSecond(() => {
  sessions.forEach((s, u) => s.append(1 + ((u + step++) % items)));
  return startModel.recommendSessions(sessions, { k: 10 });
}, fresh);
await Promise.all(sessions.map((s) => s.dispose()));
// how far bf16 compute moves the lists: shared top-10 slots with fp32 (this model is untrained, so its scores are close together: a hard case)
const [exact, bf16] = [await model.recommend(histories, { k: 10 }), await model.recommend(histories, { k: 10, compute: 'bf16' })];
seqrec.bf16SharedTop10 = exact.reduce((s, l, u) => s + l.filter((r) => bf16[u].some((b) => b.item === r.item)).length, 0) / (10 * users);
await model.dispose();
await startModel.dispose();

const pytorch = (...extra) =>
  JSON.parse(
    execFileSync(
      python,
      [
        join(root, 'benchmarks/many_users.py'),
        '--items',
        String(items),
        '--users',
        String(users),
        '--threads',
        String(threads),
        '--max-len',
        String(maxLen),
        '--rounds',
        String(rounds),
        ...extra,
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n')
      .at(-1),
  );
const torch = pytorch();
const torchBf16 = pytorch('--bf16');
const line = `seqrec users/s: batch ${seqrec.batch.toFixed(0)} (${(seqrec.batch / torch.users_per_s).toFixed(2)}×), batch with compute bf16 ${seqrec.batchBf16.toFixed(0)} (${(seqrec.batchBf16 / torch.users_per_s).toFixed(2)}×; ${(100 * seqrec.bf16SharedTop10).toFixed(1)}% of top-10 slots as fp32), concurrent calls ${seqrec.concurrent.toFixed(0)} (${(seqrec.concurrent / torch.users_per_s).toFixed(2)}×), session appends ${seqrec.sessions.toFixed(0)} (${(seqrec.sessions / torch.users_per_s).toFixed(2)}×), session appends in one recommendSessions ${seqrec.sessionsBatched.toFixed(0)} (${(seqrec.sessionsBatched / torch.users_per_s).toFixed(2)}×); PyTorch ${torch.torch} eager batched ${torch.users_per_s.toFixed(0)}, with bf16 autocast ${torchBf16.users_per_s.toFixed(0)}`;
console.log(line);
if (!a['no-record']) {
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  recordRun(
    'many-users',
    { date: new Date().toISOString(), command: commandLine('many-users.mjs'), device, items, users, maxLen, rounds, versions: v, seqrec, torch, torchBf16 },
    `many-users | ${device} | ${users} users at once, ${maxLen}-event histories, ${items} items, k=10, d=64, 2 blocks | ${line} | target: ≥ 2× PyTorch eager batched | \`${commandLine('many-users.mjs')}\``,
  );
}
