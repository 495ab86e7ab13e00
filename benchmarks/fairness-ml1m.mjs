#!/usr/bin/env node
/**
 * Fairness-aware training on ML-1M (issue 15): the same SASRec and recipe as quality-ml1m (leave-one-out,
 * full ranking, early stopping on valid NDCG@10) trained three times in one run, at one epoch budget:
 * plainly, and with fit's `fairness` penalty (λ·|gap| in mean cross-entropy) between women and men
 * (users.dat), and between less and more active users (train history below / at or above the median).
 * Each model's test NDCG@10 overall and per group of both attributes, and the gaps: what the penalty
 * buys and what it costs.
 *
 *   node benchmarks/fairness-ml1m.mjs [--epochs 20] [--weight 0.3] [--threads 2] [--no-record]
 */
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { SASRec, readMovieLensUsers, readSasrecText, versions } from '../dist/index.js';
import { DATA, ML1M_FIT, ML1M_MODEL, ML1M_VALIDATION, commandLine, cpuDevice, ml1mFiles, recordRun, requireFiles } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    epochs: { type: 'string', default: '20' },
    weight: { type: 'string', default: '0.3' },
    threads: { type: 'string', default: '2' },
    'no-record': { type: 'boolean', default: false },
  },
});
const files = ml1mFiles(DATA);
requireFiles([files.interactions, files.userMap, files.users]);
const [epochs, weight, threads] = [Number(a.epochs), Number(a.weight), Number(a.threads)];

const data = await readSasrecText(files.interactions, { userIdMap: files.userMap });
const people = await readMovieLensUsers(files.users);
const { train, valid, test } = data.split('leave-one-out');
const U = data.numUsers;
const gender = Array.from({ length: U }, (_, u) => (people.get(data.userIds[u])?.gender === 'F' ? 1 : 0)); // 1 = women (28%)
const lengths = Array.from({ length: U }, (_, u) => train.sequence(u).length);
const median = [...lengths].sort((x, y) => x - y)[Math.floor(U / 2)];
const activity = lengths.map((n) => (n < median ? 1 : 0)); // 1 = less active
const labels = {
  gender: Array.from(test.users, (u) => (gender[u] ? 'F' : 'M')),
  activity: Array.from(test.users, (u) => (activity[u] ? 'less active' : 'more active')),
};

async function run(name, fairness) {
  const t = Date.now();
  const model = await SASRec.create({ items: data.numItems, ...ML1M_MODEL, threads });
  const summary = await model.fit(train, {
    epochs,
    ...ML1M_FIT,
    clipNorm: 1.0,
    validation: { data: valid, ...ML1M_VALIDATION },
    ...(fairness && { fairness }),
  });
  const evaluation = await model.evaluate(test, { metrics: ['hr@10', 'ndcg@10'], groups: labels, fairnessMetric: 'ndcg@10' });
  await model.dispose();
  const groups = Object.fromEntries(
    evaluation.fairness.map((f) => [f.attribute, { gap: f.report.gap, ...Object.fromEntries(f.report.groups.map((g) => [g.group, g.mean])) }]),
  );
  const row = {
    name,
    'hr@10': evaluation.metrics['hr@10'],
    'ndcg@10': evaluation.metrics['ndcg@10'],
    groups,
    minutes: (Date.now() - t) / 60000,
    steps: summary.steps,
  };
  console.log(
    `${name.padEnd(18)} NDCG@10 ${row['ndcg@10'].toFixed(4)}  F ${groups.gender.F.toFixed(4)} M ${groups.gender.M.toFixed(4)} gap ${groups.gender.gap.toFixed(4)}  ` +
      `less ${groups.activity['less active'].toFixed(4)} more ${groups.activity['more active'].toFixed(4)} gap ${groups.activity.gap.toFixed(4)}  (${row.minutes.toFixed(1)} min)`,
  );
  return row;
}

const rows = [
  await run('plain'),
  await run(`fair gender λ ${weight}`, { groups: gender, weight }),
  await run(`fair activity λ ${weight}`, { groups: activity, weight }),
];
if (!a['no-record']) {
  const v = versions();
  const result = {
    benchmark: 'fairness-ml1m',
    date: new Date().toISOString(),
    device: cpuDevice({ ...v, threads }),
    versions: v,
    epochs,
    weight,
    rows,
    command: commandLine('fairness-ml1m.mjs'),
  };
  const cell = rows
    .map(
      (r) =>
        `${r.name}: NDCG@10 ${r['ndcg@10'].toFixed(4)}, gender gap ${r.groups.gender.gap.toFixed(4)}, activity gap ${r.groups.activity.gap.toFixed(4)} (${r.minutes.toFixed(1)} min)`,
    )
    .join('; ');
  recordRun(
    'fairness-ml1m',
    result,
    `fairness-ml1m | ${cpuDevice({ ...v, threads })} | ML-1M leave-one-out full ranking, SASRec quality recipe at ${epochs} epochs, group-gap penalty λ ${weight} | ${cell} | fairness-aware training (issue 15) | \`${commandLine('fairness-ml1m.mjs')}\``,
  );
} else console.log(`(--no-record: nothing written; ${tmpdir()})`);
