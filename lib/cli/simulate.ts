/**
 * `seqrec simulate --config sim.json`: run the closed-loop simulator (lib/sim/simulate.ts) for each
 * policy of the config on one synthetic population, print a line per round, and write the runs as
 * JSON (`--out`) and as the HTML report's simulation plots (`--report`). The config is checked by a
 * zod schema (unknown keys are errors naming their path), then again by the library.
 */
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { SASRec } from '../models/sasrec.js';
import { writeReport } from '../report/render.js';
import { syntheticPopulation } from '../sim/population.js';
import { type RoundStats, type SimulationPolicy, simulate } from '../sim/simulate.js';
import { checkWithSchema, readJsonFile } from './config.js';

const positiveInt = z.number().int().positive();
const modelPolicy = z.strictObject({
  /** (str) the run's name in the output and the plots */
  name: z.string().min(1),
  /** SASRec options besides items (the population's) */
  model: z
    .strictObject({
      dim: positiveInt.optional(),
      layers: positiveInt.optional(),
      heads: positiveInt.optional(),
      maxLen: positiveInt.optional(),
      dropout: z.number().min(0).max(1).optional(),
      positions: z.enum(['end', 'start']).optional(),
      seed: z.number().int().min(0).optional(),
      threads: positiveInt.optional(),
    })
    .optional(),
  fit: z.strictObject({ epochs: positiveInt.optional(), batchSize: positiveInt.optional(), lr: z.number().positive().optional() }).optional(),
  retrainEvery: positiveInt.optional(),
  explore: z
    .strictObject({
      policy: z.enum(['epsilon-greedy', 'softmax']),
      epsilon: z.number().min(0).max(1).optional(),
      temperature: z.number().positive().optional(),
      pool: positiveInt.optional(),
      seed: z.number().int().min(0).optional(),
    })
    .optional(),
  rerank: z.strictObject({ method: z.literal('mmr'), lambda: z.number().min(0).max(1).optional() }).optional(),
  bandit: z
    .strictObject({
      policy: z.enum(['linucb', 'thompson']),
      alpha: z.number().min(0).optional(),
      noise: z.number().positive().optional(),
      lambda: z.number().positive().optional(),
      prior: z.number().optional(),
      pool: positiveInt.optional(),
      draws: positiveInt.optional(),
      seed: z.number().int().min(0).optional(),
    })
    .optional(),
});

const schema = z.strictObject({
  population: z
    .strictObject({
      users: positiveInt.optional(),
      items: positiveInt.optional(),
      topics: positiveInt.optional(),
      minority: z.number().min(0).lt(1).optional(),
      seed: z.number().int().min(0).optional(),
    })
    .optional(),
  policies: z.array(z.union([z.enum(['ideal', 'random', 'popularity']), modelPolicy])).min(1),
  rounds: positiveInt.optional(),
  k: positiveInt.optional(),
  startEvents: positiveInt.optional(),
  choice: z.enum(['utility', 'position']).optional(),
  temperature: z.number().min(0).optional(),
  positionBias: z.number().positive().optional(),
  seed: z.number().int().min(0).optional(),
});
export type SimulationConfig = z.infer<typeof schema>;

export interface SimulateCommandOptions {
  config: string;
  rounds?: number;
  out?: string;
  report?: string;
  log: (line: string) => void;
}

export async function runSimulateCommand(o: SimulateCommandOptions): Promise<{ config: SimulationConfig; runs: { name: string; rounds: RoundStats[] }[] }> {
  const parsed = checkWithSchema(schema, await readJsonFile(o.config, 'config', 'the config file '), o.config);
  const config = { ...parsed, ...(o.rounds !== undefined && { rounds: o.rounds }) };
  const population = syntheticPopulation(config.population);
  const runs: { name: string; rounds: RoundStats[] }[] = [];
  for (const p of config.policies) {
    const name = typeof p === 'string' ? p : p.name;
    const model = typeof p === 'string' ? undefined : await SASRec.create({ ...p.model, items: population.items });
    try {
      const policy: SimulationPolicy =
        typeof p === 'string'
          ? p
          : {
              model: model!,
              ...(p.fit && { fit: p.fit }),
              ...(p.retrainEvery && { retrainEvery: p.retrainEvery }),
              ...(p.bandit && { bandit: p.bandit }),
              recommend: { ...(p.explore && { explore: p.explore as never }), ...(p.rerank && { rerank: p.rerank }) },
            };
      const { rounds } = await simulate({
        population,
        policy,
        ...(config.rounds !== undefined && { rounds: config.rounds }),
        ...(config.k !== undefined && { k: config.k }),
        ...(config.startEvents !== undefined && { startEvents: config.startEvents }),
        ...(config.choice !== undefined && { choice: config.choice }),
        ...(config.temperature !== undefined && { temperature: config.temperature }),
        ...(config.positionBias !== undefined && { positionBias: config.positionBias }),
        ...(config.seed !== undefined && { seed: config.seed }),
        onRound: (r) =>
          o.log(
            `${name} round ${r.round}: utility ${r.utility.toFixed(3)}  coverage ${r.coverage.toFixed(3)}  gini ${r.gini.toFixed(3)}  popularity lift ${r.popularityLift.toFixed(2)}  homogenisation ${r.homogenization.toFixed(3)}  group gap ${r.groupGap.toFixed(3)}`,
          ),
      });
      runs.push({ name, rounds });
    } finally {
      await model?.dispose();
    }
  }
  const result = { config, runs };
  if (o.out) await writeFile(o.out, `${JSON.stringify(result, null, 2)}\n`);
  if (o.report)
    await writeReport(o.report, {
      title: `Closed-loop simulation (${config.policies.length} policies)`,
      generatedAt: new Date().toISOString(),
      protocol: `synthetic population: ${population.users} users, ${population.items} items; top-${config.k ?? 10} lists, one item taken per round`,
      table: [],
      simulation: runs,
    });
  return result;
}
