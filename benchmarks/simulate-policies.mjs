#!/usr/bin/env node
/**
 * Long-term effects of serving policies, in the closed-loop simulator (issue 15): one synthetic population
 * (latent tastes, a 20% minority group), a SASRec fit again every round on what its lists made users take,
 * served as pure exploitation, with exploration (ε-greedy 0.1, softmax T 0.5 over the top 50; LinUCB α 0.5 and
 * Thompson sampling v 0.3 over its last layer, rewarded 1 for the item taken, 0 for the others shown) and through
 * each re-ranker (MMR λ 0.7; calibrated λ 0.5 to the history's topic mix; an exposure floor of 0.3 for the
 * long tail, items outside the 20% most consumed at the start), beside the ideal, popularity and random
 * policies. Averaged over --seeds seeds: each measure at the last round; the first seed's runs are
 * written as the report's simulation plots.
 *
 *   node benchmarks/simulate-policies.mjs [--seeds 5] [--rounds 20] [--no-record]
 */
import { parseArgs } from 'node:util';
import { SASRec, simulate, syntheticPopulation, versions, writeReport } from '../dist/index.js';
import { commandLine, cpuDevice, recordRun, runFiles } from './record.mjs';

const { values: a } = parseArgs({
  options: { seeds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '20' }, 'no-record': { type: 'boolean', default: false } },
});
const [seeds, rounds] = [Number(a.seeds), Number(a.rounds)];
const USERS = 200;
const ITEMS = 300;

function policies(population) {
  const popularAtStart = new Set(); // filled by the first round's histories: the 20% most consumed start items
  const category = (item) => [`topic ${population.itemTopic[item]}`];
  const model = (recommend) => ({ kind: 'model', recommend });
  return {
    ideal: 'ideal',
    popularity: 'popularity',
    random: 'random',
    exploit: model({}),
    'ε-greedy 0.1': model({ explore: { policy: 'epsilon-greedy', epsilon: 0.1, seed: 1 } }),
    'softmax T 0.5': model({ explore: { policy: 'softmax', temperature: 0.5, seed: 1 } }),
    LinUCB: { kind: 'model', recommend: {}, bandit: { policy: 'linucb', alpha: 0.5 } },
    Thompson: { kind: 'model', recommend: {}, bandit: { policy: 'thompson', noise: 0.3, draws: 64 } },
    'MMR 0.7': model({ rerank: { method: 'mmr', lambda: 0.7 } }),
    'calibrated 0.5': model({ rerank: { method: 'calibrated', lambda: 0.5, categories: category } }),
    'long-tail floor 0.3': model({ rerank: { method: 'fair', group: (item) => !popularAtStart.has(item), share: 0.3 } }),
    popularAtStart,
  };
}

const MEASURES = ['utility', 'coverage', 'gini', 'popularityLift', 'homogenization', 'groupGap'];
const totals = new Map();
let reportRuns = [];
for (let seed = 1; seed <= seeds; seed++) {
  const population = syntheticPopulation({ users: USERS, items: ITEMS, topics: 10, seed });
  const all = policies(population);
  const seedRuns = [];
  for (const [name, policy] of Object.entries(all)) {
    if (name === 'popularAtStart') continue;
    let model;
    const options = { population, rounds, k: 10, startEvents: 5, seed };
    if (typeof policy === 'object') {
      model = await SASRec.create({ items: ITEMS, dim: 32, layers: 1, heads: 2, maxLen: 40, dropout: 0.1, threads: 2, seed });
      options.policy = { model, fit: { epochs: 3, batchSize: 64, lr: 5e-3 }, recommend: policy.recommend, ...(policy.bandit && { bandit: policy.bandit }) };
    } else options.policy = policy;
    if (all.popularAtStart.size === 0) {
      // the long tail is fixed from the start events (the same in every run of this seed)
      const { histories } = await simulate({ ...options, policy: 'random', rounds: 1 });
      const counts = new Map();
      for (const h of histories) for (const i of h.slice(0, 5)) counts.set(i, (counts.get(i) ?? 0) + 1);
      [...counts.entries()]
        .sort((x, y) => y[1] - x[1])
        .slice(0, Math.round(0.2 * ITEMS))
        .forEach(([i]) => all.popularAtStart.add(i));
    }
    const { rounds: stats } = await simulate(options);
    await model?.dispose();
    const last = stats.at(-1);
    const t = totals.get(name) ?? Object.fromEntries(MEASURES.map((m) => [m, 0]));
    for (const m of MEASURES) t[m] += last[m] / seeds;
    totals.set(name, t);
    seedRuns.push({ name, rounds: stats });
    console.log(`seed ${seed} ${name.padEnd(20)} ${MEASURES.map((m) => `${m} ${last[m].toFixed(3)}`).join('  ')}`);
  }
  if (seed === 1) reportRuns = seedRuns;
}
console.log(`\nlast round, mean over ${seeds} seeds:`);
for (const [name, t] of totals) console.log(`${name.padEnd(20)} ${MEASURES.map((m) => `${m} ${t[m].toFixed(3)}`).join('  ')}`);
const stem = runFiles('simulate-policies', { noRecord: a['no-record'] }); // --no-record: a smoke test that leaves the records alone
const html = `${stem}.html`;
await writeReport(html, {
  title: 'Serving policies in the closed loop (synthetic population, seed 1)',
  generatedAt: new Date().toISOString(),
  protocol: `${USERS} users, ${ITEMS} items, 10 topics, 20% minority; top-10 lists, ${rounds} rounds; SASRec fit again every round`,
  table: [],
  simulation: reportRuns,
});
console.log(`wrote ${html}`);
if (!a['no-record']) {
  const v = versions();
  const cell = [...totals]
    .map(
      ([name, t]) =>
        `${name}: utility ${t.utility.toFixed(3)}, coverage ${t.coverage.toFixed(3)}, gini ${t.gini.toFixed(3)}, homogenisation ${t.homogenization.toFixed(3)}, gap ${t.groupGap.toFixed(3)}`,
    )
    .join('; ');
  recordRun(
    'simulate-policies',
    {
      date: new Date().toISOString(),
      command: commandLine('simulate-policies.mjs'),
      device: cpuDevice({ ...v, threads: 2 }),
      seeds,
      rounds,
      users: USERS,
      items: ITEMS,
      versions: v,
      lastRound: Object.fromEntries(totals),
    },
    `simulate-policies | ${cpuDevice({ ...v, threads: 2 })} | synthetic population ${USERS} users × ${ITEMS} items, ${rounds} rounds, SASRec refit each round, last round averaged over ${seeds} seeds | ${cell} | long-term effect of exploitation, exploration and re-rankers (issue 15) | \`${commandLine('simulate-policies.mjs')}\``,
    stem,
  );
}
