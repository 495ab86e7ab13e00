#!/usr/bin/env node
/**
 * The feedback loop on ML-1M (Mansoury et al., CIKM 2020), in seqrec's simulator: --users real ML-1M
 * users start from their real histories (the last --start-events, default 100); their true utility for every film is
 * a trained SASRec's score (quality-ml1m.mjs --save) from their full real history; women are the
 * minority group (users.dat). The deployed recommender knows only what it observes: by default
 * (--deploy fresh) a new SASRec (d 64, 2 blocks) fit on the start histories (--warm-epochs), as
 * Mansoury et al.'s recommenders are fit on observed data, not on the truth; --deploy truth starts it
 * as the truth model itself. Then it learns only from the loop it drives: every round each user gets its top-10 and takes one item
 * of it — by default (--choice position) as Mansoury et al.'s users do, by rank alone (rank r with probability ∝ r^−1,
 * --position-bias), or (--choice utility) the item of highest true utility (Chaney et al.'s users) — and the model is fit again
 * on the histories so far (1 epoch, lr 5e-4). Without exploration, and with ε-greedy
 * exploration over the whole catalogue (ε = 0.1). Reported per round: coverage, popularity lift
 * (overall and per group), utility; the trend of coverage and popularity over rounds (Spearman ρ);
 * the coverage loss (round 1 − last round) of each run.
 *
 *   node benchmarks/feedback-loop-ml1m.mjs --model sasrec.safetensors [--users 1000] [--rounds 10]
 *                                          [--deploy fresh|truth] [--warm-epochs 10] [--fit-epochs 1] [--fit-lr 5e-4]
 *                                          [--choice position|utility] [--position-bias 1] [--temperature T]
 *                                          [--refit continue|scratch] [--start-events 100]
 *                                          [--seeds 1,2,3] [--no-record]
 *
 * --seeds: run the pair of loops (ε = 0 and 0.1) once per seed (the deployed models' initialisation, the users'
 * choices, the exploration) and report each and the spread over seeds: the trends' ρ, each group's rise and the
 * difference (women − men), and the share of the coverage loss exploration keeps away.
 *
 * --refit scratch: instead of fitting the deployed model further each round, a new SASRec is trained (--warm-epochs)
 * on all the histories so far every round, as Mansoury et al.'s recommenders are.
 *
 * Target (issue 15): coverage falls and popularity rises (|ρ| ≥ 0.8), more for the minority group;
 * ε = 0.1 at least halves the coverage loss. The run prints in how many seeds all of it holds ("more for the minority"
 * by Mansoury et al.'s measure: the group's popularity lift over its own profiles grows more).
 * Met in every seed with all 6,040 users from their last 20 events, as Mansoury et al. run all of ML-1M
 * (--users 6040 --start-events 20 --seeds 1,2,3,4,5, 2 threads, 42 min, 2026-12-06): coverage falls every round
 * (0.30 → 0.22; ρ −1.00 ± 0.01, max −0.99) and the popularity of what is recommended rises every round (lift 4.5 →
 * 7.8; ρ 1.00 in both groups, every seed); women's lift over their own profiles grows more than men's in all five
 * (+0.060 ± 0.018; e.g. seed 1: women 0.437 → 0.504, men 0.455 → 0.458), and their lists' popularity rises more in
 * four of five (+0.11 ± 0.10 on a rise of ~3); ε = 0.1 keeps 83% ± 7% of the coverage loss away (76% at least).
 * With 1,000 users (the default) the deployed model sees a sixth of the data; the runs below show which parts hold.
 * Measured with --choice position (2026-12-06, 1,000 users, 10 rounds): coverage falls (0.080 → 0.047, ρ −0.91) and
 * the popularity of what is recommended rises every round (lift 8.2 → 16.7, ρ 1.00 in both groups); women's lists
 * are the more popular in every round, but their rise is the same as men's (+8.48 and +8.47); ε = 0.1 keeps 70% of
 * the coverage loss away (0.0337 → 0.0102). With all 6,040 users (--users 6040, --no-record) the deployed model
 * learns from six times the data: coverage still falls (0.446 → 0.413, ρ −0.84) and ε = 0.1 keeps 99% of that
 * loss away, but popularity first falls and then rises (lift 3.61 → 3.36 → 3.44, ρ −0.58), and the groups move
 * alike. From 100 events the minority's larger amplification is not reproduced at either size.
 * Over five seeds (--seeds 1,2,3,4,5, 1 thread, 39 min; seed 1 is the run above, digit for digit): popularity rises
 * every round in every seed (ρ 1.00 in both groups), but coverage falls with ρ ≤ −0.7 in three seeds only (−0.91,
 * −0.77, −0.71; +0.15 and +0.16 in the others: mean −0.41 ± 0.53); women's rise equals men's (difference −0.01 ±
 * 0.36, larger in 3 of 5), and their lift over their own profiles grows less than men's in all five (−0.18 ± 0.07):
 * the opposite of Mansoury et al.'s minority; ε = 0.1 keeps 83% ± 30% of the coverage loss away (48% at least).
 * From shorter histories (--start-events 20 --seeds 1,2,3, 2 threads, 12 min), so the loop's own events weigh more:
 * coverage falls in every seed (0.086 → 0.016; ρ −0.96 in all three), popularity rises (ρ ≥ 0.92; lift 10 → 41), and
 * women's lists rise more than men's in all three (+0.30 ± 0.11 on a rise of ~30, 1%) — but ε = 0.1 keeps only 39% ±
 * 12% of the coverage loss away, and the lift over profiles still grows less for women (−0.07 ± 0.01).
 * From 50 events (--start-events 50 --seeds 1,2,3, 12 min), in between: coverage ρ −0.64, −0.89, −0.84; popularity
 * ρ 1.00; women's lists rise more in two of three (+0.34 ± 0.47); ε = 0.1 keeps 47% ± 5% of the coverage loss away.
 * With users who look by rank and take by appeal (--temperature 1: rank r ∝ r^−1 · exp(utility), the position-based
 * click model; seed 1, 2 threads, 3.7 min): the same picture — popularity ρ 1.00 (+8.25 men, +8.12 women), coverage
 * 0.080 → 0.048 by round 5 and back to 0.055 (ρ −0.03), women's lift over profiles grows less than men's (1.54 →
 * 1.55 against 1.34 → 1.59); ε = 0.1 keeps 56% of the coverage loss away.
 * With --refit scratch (1,000 users, 7.6 min at 2 threads): coverage falls harder (0.076 → 0.027) but flattens after
 * round 5 (ρ −0.66); popularity rises (8.44 → 17.17, ρ 0.99), a little more for women (+8.82 against +8.69); ε = 0.1
 * keeps only 41% of the coverage loss away.
 * Measured with --choice utility (the only choice model before then):
 * (2026-12-06, truth: quality-ml1m --epochs 8): with --warm-epochs 10 the popularity of what is
 * recommended rises every round (ρ 1.00, both groups, women's lift higher throughout) and ε = 0.1 keeps 63%
 * of the coverage loss away, but coverage falls for three rounds and then partly recovers (ρ 0.10); with
 * --warm-epochs 30 (a deployed model that has learned the start data well) no loop effect shows (coverage
 * ρ +0.81). The amplification here is that of an under-trained, popularity-leaning recommender.
 * Measured (2026-12-06, --rounds 20, --no-record): with the round's fit at 1 epoch, lr 5e-4, coverage falls for
 * three rounds (0.080 → 0.053) and then climbs past its start (0.093 at round 20; ρ +0.75) while popularity peaks at
 * round 14; at 2 epochs, lr 1e-3, coverage climbs from round 3 (0.081 → 0.229, ρ +0.99) and popularity falls
 * (ρ −0.99). The deployed model keeps learning the users' tastes from the loop, which outweighs the loop's pull.
 */
import { parseArgs } from 'node:util';
import { Dataset, SASRec, loadModel, readMovieLensUsers, readSasrecText, simulate, versions, writeReport } from '../dist/index.js';
import { DATA, commandLine, cpuDevice, ml1mFiles, recordRun, requireFiles, runFiles } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string' },
    users: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '10' },
    threads: { type: 'string', default: '2' },
    deploy: { type: 'string', default: 'fresh' },
    'warm-epochs': { type: 'string', default: '10' },
    'fit-epochs': { type: 'string', default: '1' },
    'fit-lr': { type: 'string', default: '5e-4' },
    choice: { type: 'string', default: 'position' },
    'position-bias': { type: 'string', default: '1' },
    temperature: { type: 'string' },
    refit: { type: 'string', default: 'continue' },
    seeds: { type: 'string', default: '1' },
    'start-events': { type: 'string', default: '100' },
    'no-record': { type: 'boolean', default: false },
  },
});
const files = ml1mFiles(DATA);
requireFiles([files.interactions, files.userMap, files.users]);
if (!a.model) throw new Error('--model: a SASRec trained on ML-1M (benchmarks/quality-ml1m.mjs --save)');
const [U, rounds, threads] = [Number(a.users), Number(a.rounds), Number(a.threads)];
const started = Date.now();

const data = await readSasrecText(files.interactions, { userIdMap: files.userMap });
const people = await readMovieLensUsers(files.users);
const V = data.numItems;
const histories = Array.from({ length: U }, (_, u) => Array.from(data.sequence(u)));

// True utility: the trained model's score of every film for each user's full real history.
const truth = await loadModel(a.model, { inference: true, threads });
const states = await truth.userStates(histories);
const rows = await truth.itemStates();
await truth.dispose();
const d = rows.length / V;
const utility = new Float64Array(U * V);
for (let u = 0; u < U; u++)
  for (let i = 0; i < V; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += states[u * d + c] * rows[i * d + c];
    utility[u * V + i] = s;
  }
const group = Uint8Array.from({ length: U }, (_, u) => (people.get(data.userIds[u])?.gender === 'F' ? 1 : 0));
const population = { users: U, items: V, utility, group };
const start = histories.map((h) => h.slice(-Number(a['start-events'])));

/** A new, untrained recommender, and how it is first trained on what it can observe (--warm-epochs). */
const untrained = (seed) => SASRec.create({ items: V, dim: 64, layers: 2, heads: 2, maxLen: 200, dropout: 0.2, seed, threads });
const warmFit = { epochs: Number(a['warm-epochs']), batchSize: 128, lr: 2e-3, warmupSteps: 20 };
const choice = {
  choice: a.choice,
  ...(a.choice === 'position' && { positionBias: Number(a['position-bias']) }),
  ...(a.temperature !== undefined && { temperature: Number(a.temperature) }),
};

/** The deployed recommender: the truth itself, or a new model (initialised from `seed`) fit on what it can observe (the start histories). */
async function deployed(seed) {
  if (a.deploy === 'truth') return loadModel(a.model, { threads });
  if (a.deploy !== 'fresh') throw new Error(`--deploy: fresh or truth, not ${a.deploy}`);
  const model = await untrained(seed);
  await model.fit(Dataset.fromSequences(start, V), warmFit);
  return model;
}

/** The loop's options for a run from `from` (the histories so far) with the seed `seed`. */
function loopOptions(epsilon, from, seed, model, fit) {
  return {
    population,
    start: from,
    k: 10,
    seed,
    ...choice,
    policy: { model, fit, ...(epsilon > 0 && { recommend: { explore: { policy: 'epsilon-greedy', epsilon, pool: V, seed } } }) },
    onRound: (r) => logRound(epsilon, r),
  };
}

function logRound(epsilon, r) {
  console.log(
    `ε=${epsilon} round ${r.round}: coverage ${r.coverage.toFixed(4)}  popularity lift ${r.popularityLift.toFixed(3)} (men ${r.groupPopularityLift[0].toFixed(3)}, women ${r.groupPopularityLift[1].toFixed(3)})  profile lift (men ${groupLift(r, 0).toFixed(3)}, women ${groupLift(r, 1).toFixed(3)})  utility ${r.utility.toFixed(3)}  gap ${r.groupGap.toFixed(3)}`,
  );
}

/** One loop at exploration rate `epsilon` with seed `seed` (the deployed models' initialisation, the users' choices, the exploration). */
async function run(epsilon, seed) {
  const t = Date.now();
  if (a.refit === 'scratch') {
    // Mansoury et al.'s recommenders are trained anew on all the data each iteration: here a new SASRec per round,
    // fit (--warm-epochs) on the histories so far inside a one-round loop that continues from the last one's.
    let from = start;
    const out = [];
    for (let round = 1; round <= rounds; round++) {
      const roundSeed = 1000 * (seed - 1) + round; // the round's new model and its loop
      const model = await untrained(roundSeed);
      const loop = loopOptions(epsilon, from, roundSeed, model, warmFit);
      const result = await simulate({ ...loop, rounds: 1, onRound: (r) => logRound(epsilon, { ...r, round }) });
      await model.dispose();
      out.push({ ...result.rounds[0], round });
      from = result.histories;
    }
    return { epsilon, seed, seconds: (Date.now() - t) / 1000, rounds: out };
  }
  const model = await deployed(seed);
  const fit = { epochs: Number(a['fit-epochs']), batchSize: 128, lr: Number(a['fit-lr']) };
  const result = await simulate({ ...loopOptions(epsilon, start, seed, model, fit), rounds });
  await model.dispose();
  return { epsilon, seed, seconds: (Date.now() - t) / 1000, rounds: result.rounds };
}

/**
 * Abdollahpouri et al.'s popularity lift of group g, the measure Mansoury et al. compare groups by: the mean
 * popularity of what the group is recommended over that of what it has consumed, minus 1.
 */
function groupLift(r, g) {
  return r.groupPopularityLift[g] / r.groupProfilePopularity[g] - 1;
}

/** Spearman ρ of xs against the round index (no ties in the index; average ranks for ties in xs). */
function spearman(xs) {
  const rank = (v) => {
    const order = v.map((x, i) => [x, i]).sort((p, q) => p[0] - q[0]);
    const r = new Array(v.length);
    for (let i = 0; i < order.length;) {
      let j = i;
      while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
      for (let m = i; m <= j; m++) r[order[m][1]] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  const rx = rank(xs);
  const ry = xs.map((_, i) => i + 1);
  const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
  const [mx, my] = [mean(rx), mean(ry)];
  const cov = rx.reduce((s, x, i) => s + (x - mx) * (ry[i] - my), 0);
  const sx = Math.sqrt(rx.reduce((s, x) => s + (x - mx) ** 2, 0));
  const sy = Math.sqrt(ry.reduce((s, y) => s + (y - my) ** 2, 0));
  return cov / (sx * sy);
}

const seeds = a.seeds.split(',').map(Number);
const runs = [];
for (const seed of seeds) runs.push(await run(0, seed), await run(0.1, seed));
const summary = runs.map((r) => {
  const cov = r.rounds.map((x) => x.coverage);
  const [first, last] = [r.rounds[0], r.rounds.at(-1)];
  return {
    epsilon: r.epsilon,
    seed: r.seed,
    coverageLoss: cov[0] - cov.at(-1),
    rhoCoverage: spearman(cov),
    rhoPopularity: spearman(r.rounds.map((x) => x.popularityLift)),
    rhoPopularityMen: spearman(r.rounds.map((x) => x.groupPopularityLift[0])),
    rhoPopularityWomen: spearman(r.rounds.map((x) => x.groupPopularityLift[1])),
    liftChangeMen: last.groupPopularityLift[0] - first.groupPopularityLift[0],
    liftChangeWomen: last.groupPopularityLift[1] - first.groupPopularityLift[1],
    profileLiftMen: [groupLift(first, 0), groupLift(last, 0)],
    profileLiftWomen: [groupLift(first, 1), groupLift(last, 1)],
    seconds: r.seconds,
  };
});
const describe = (s) =>
  `ε=${s.epsilon}: coverage loss ${s.coverageLoss.toFixed(4)}, ρ(coverage) ${s.rhoCoverage.toFixed(2)}, ρ(popularity) ${s.rhoPopularity.toFixed(2)} (men ${s.rhoPopularityMen.toFixed(2)}, women ${s.rhoPopularityWomen.toFixed(2)}), popularity lift change men ${s.liftChangeMen.toFixed(3)}, women ${s.liftChangeWomen.toFixed(3)}, group popularity lift (lists over profiles − 1) men ${s.profileLiftMen.map((x) => x.toFixed(3)).join(' → ')}, women ${s.profileLiftWomen.map((x) => x.toFixed(3)).join(' → ')}`;
/** What held for each seed and on average: the trends, the groups' rises (women − men), exploration's share of the coverage loss. */
function acrossSeeds() {
  const plain = summary.filter((s) => s.epsilon === 0);
  const kept = seeds.map((seed) => {
    const [off, on] = [0, 0.1].map((e) => summary.find((s) => s.seed === seed && s.epsilon === e).coverageLoss);
    return 1 - on / off;
  });
  const stat = (xs) => {
    const mean = xs.reduce((t, x) => t + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((t, x) => t + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1));
    return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
  };
  const riseGap = plain.map((s) => s.liftChangeWomen - s.liftChangeMen);
  const profileGap = plain.map((s) => s.profileLiftWomen[1] - s.profileLiftWomen[0] - (s.profileLiftMen[1] - s.profileLiftMen[0]));
  return {
    seeds: seeds.length,
    rhoCoverage: stat(plain.map((s) => s.rhoCoverage)),
    rhoPopularity: stat(plain.map((s) => s.rhoPopularity)),
    liftChangeMen: stat(plain.map((s) => s.liftChangeMen)),
    liftChangeWomen: stat(plain.map((s) => s.liftChangeWomen)),
    riseWomenMinusMen: stat(riseGap),
    seedsWomenRiseMore: riseGap.filter((x) => x > 0).length,
    profileLiftChangeWomenMinusMen: stat(profileGap),
    seedsWomenProfileLiftRisesMore: profileGap.filter((x) => x > 0).length,
    explorationKeeps: stat(kept),
    // the target, seed by seed: both trends, the minority's lift over its own profiles growing more (Mansoury et al.'s
    // measure), and exploration keeping at least half the coverage loss away
    seedsMeetingTarget: plain.filter((s, i) => s.rhoCoverage <= -0.8 && s.rhoPopularity >= 0.8 && profileGap[i] > 0 && kept[i] >= 0.5).length,
  };
}
const across = acrossSeeds();
const f = (st, digits = 3) => `${st.mean.toFixed(digits)} ± ${st.sd.toFixed(digits)}`;
const acrossLine = `over ${across.seeds} seed(s), no exploration: ρ(coverage) ${f(across.rhoCoverage, 2)} (max ${across.rhoCoverage.max.toFixed(2)}), ρ(popularity) ${f(across.rhoPopularity, 2)} (min ${across.rhoPopularity.min.toFixed(2)}); popularity rise men ${f(across.liftChangeMen)}, women ${f(across.liftChangeWomen)}, women − men ${f(across.riseWomenMinusMen)} (women more in ${across.seedsWomenRiseMore} of ${across.seeds}); change of the lift over profiles, women − men ${f(across.profileLiftChangeWomenMinusMen)} (women more in ${across.seedsWomenProfileLiftRisesMore} of ${across.seeds}); ε = 0.1 keeps ${f(across.explorationKeeps, 2)} of the coverage loss away (min ${across.explorationKeeps.min.toFixed(2)}); the whole target holds in ${across.seedsMeetingTarget} of ${across.seeds}`;
const line = seeds.length === 1 ? summary.map(describe).join('; ') : acrossLine;
const stem = runFiles('feedback-loop-ml1m', { noRecord: a['no-record'] }); // --no-record: a smoke test that leaves the records alone
const html = `${stem}.html`;
await writeReport(html, {
  title: 'Feedback loop on ML-1M: SASRec retrained on its own feedback',
  generatedAt: new Date().toISOString(),
  protocol: `${U} ML-1M users from their last ${a['start-events']} real events; true utility from a trained SASRec; top-10 a round; women = minority group`,
  table: [],
  simulation: runs.map((r) => ({
    name: `${r.epsilon > 0 ? `ε-greedy ${r.epsilon}` : 'no exploration'}${seeds.length > 1 ? `, seed ${r.seed}` : ''}`,
    rounds: r.rounds,
  })),
});
console.log(`wrote ${html}`);
for (const s of summary) console.log(`seed ${s.seed} ${describe(s)}`);
console.log(acrossLine);
if (!a['no-record']) {
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  recordRun(
    'feedback-loop-ml1m',
    {
      date: new Date().toISOString(),
      command: commandLine('feedback-loop-ml1m.mjs'),
      device,
      users: U,
      rounds,
      truthModel: a.model,
      deploy: a.deploy,
      warmEpochs: Number(a['warm-epochs']),
      refit: a.refit,
      choice,
      versions: v,
      seeds,
      runs,
      summary,
      acrossSeeds: across,
      wallMinutes: (Date.now() - started) / 60000,
    },
    `feedback-loop-ml1m | ${device} | ${U} ML-1M users (women = minority) from their last ${a['start-events']} events, true utility from a trained SASRec, ${a.refit === 'scratch' ? `deployed a new SASRec trained on all histories so far every round (${a['warm-epochs']} epochs)` : `deployed ${a.deploy === 'truth' ? 'the truth model itself' : `a new SASRec fit on the start histories (${a['warm-epochs']} epochs)`}, fit every round on its own feedback`}, ${rounds} rounds, top-10, users choose ${a.choice === 'position' ? `by rank (∝ r^−${a['position-bias']}${a.temperature ? ` · exp(utility / ${a.temperature})` : ''})` : `by true utility${a.temperature ? ` (softmax at ${a.temperature})` : ''}`}${seeds.length > 1 ? `, seeds ${a.seeds}` : ''} | ${line}${seeds.length === 1 ? `; ε = 0.1 keeps ${(100 * across.explorationKeeps.mean).toFixed(0)}% of the coverage loss away` : ''} | target: |ρ| ≥ 0.8, more for the minority; ε = 0.1 halves the coverage loss | \`${commandLine('feedback-loop-ml1m.mjs')}\``,
    stem,
  );
}
