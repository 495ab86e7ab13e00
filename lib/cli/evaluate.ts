/**
 * `seqrec evaluate`: load a model and the data it was trained on, hold out the same test targets, and
 * evaluate by full ranking (or the named legacy sampled-100 protocol) beside most-popular and random, with
 * CIs, exposure and fairness by activity (and by gender/age/occupation given a MovieLens users.dat). The
 * result is the ReportData that `seqrec report` draws; the per-user rows can go to a CSV file.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { readMovieLensUsers } from '../data/readers/movielens.js';
import type { EvaluateOptions, Evaluation } from '../eval/evaluate.js';
import { attributeGroups } from '../eval/fairness.js';
import { perUserRows, toCsv } from '../eval/per-user.js';
import { SAMPLED_SUFFIX } from '../eval/sampled.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadModel } from '../models/sasrec.js';
import type { ReportData } from '../report/data.js';
import { reportData } from '../report/from-evaluation.js';
import type { Config } from './config.js';
import { alignToModel, loadData, type UnknownItems } from './load-data.js';
import type { Progress } from './progress.js';
import { historyPath, splitData, type TrainHistory } from './train.js';

const fullMetrics = [
  'hr@5',
  'hr@10',
  'hr@20',
  'ndcg@5',
  'ndcg@10',
  'ndcg@20',
  'mrr',
  'coverage@10',
  'coverage@20',
  'gini@10',
  'novelty@10',
  'popularityLift@10',
];
const sampledMetrics = ['hr@1', 'hr@5', 'hr@10', 'ndcg@5', 'ndcg@10', 'mrr'];

export interface EvaluateRun {
  report: ReportData;
  evaluation: Evaluation;
  /** events left out because the model never saw the item */
  unknownItems: UnknownItems;
}

export async function runEvaluate(config: Config, modelPath: string, progress: Progress, perUserPath?: string): Promise<EvaluateRun> {
  await using model = await loadModel(modelPath);
  progress.start('reading');
  const data = await loadData(config.data, (lines) => progress.update(lines, 'lines'));
  progress.stop();
  const { dataset, unknown: unknownItems } = alignToModel(data.dataset, model, data.name);
  const { train, test } = splitData(dataset, config.data?.split);
  const e = config.evaluate ?? {};
  const protocol = e.protocol ?? 'full';
  const options: EvaluateOptions = {
    metrics: e.metrics ?? (protocol === 'full' ? fullMetrics : sampledMetrics),
    protocol,
    train,
    bootstrap: e.bootstrap === false ? false : {},
    groups: await userGroups(e, dataset.userIds, test.users),
    ...(e.negatives && { negatives: e.negatives }),
    ...(e.seed !== undefined && { seed: e.seed }),
  };
  const evaluation = await model.evaluate(test, options);
  if (perUserPath)
    await writeFileAtomic(
      perUserPath,
      toCsv(perUserRows(evaluation, test, { ...(dataset.userIds && { userIds: dataset.userIds }), ...(model.itemIds && { itemIds: model.itemIds }) })),
    );

  const history = await readHistory(modelPath);
  const info = model.info();
  const split = config.data?.split ?? 'leave-one-out';
  const report = reportData({
    title: `${model.config.architecture === 'sasrec' ? 'SASRec' : 'BERT4Rec'} on ${data.name}`,
    protocol:
      protocol === 'full'
        ? `${split}, full ranking over ${dataset.numItems} items, seen items excluded, ties pessimistic`
        : `${split}, LEGACY sampled protocol: target among 100 ${e.negatives ?? 'uniform'}-sampled unseen items (metrics end in ${SAMPLED_SUFFIX})`,
    datasetName: data.name,
    dataset,
    train,
    evaluation,
    model: {
      architecture: model.config.architecture,
      config: { ...model.config },
      parameters: info.parameters,
      ...(model.itemIds && { itemIds: model.itemIds }),
    },
    ...(history && { training: history }),
  });
  return { report, evaluation, unknownItems };
}

/** Activity tertiles always; MovieLens attributes when a users.dat is configured (gender and age by default). */
async function userGroups(
  e: NonNullable<Config['evaluate']>,
  userIds: readonly string[] | undefined,
  users: Int32Array,
): Promise<Record<string, readonly string[] | 'activity'>> {
  const groups: Record<string, readonly string[] | 'activity'> = { activity: 'activity' };
  if (e.users === undefined) return groups;
  if (!userIds) return groups;
  const attributes = await readMovieLensUsers(e.users);
  for (const field of e.groups ?? ['gender', 'age']) groups[field] = attributeGroups(users, userIds, attributes, field as never);
  return groups;
}

async function readHistory(modelPath: string): Promise<TrainHistory | undefined> {
  const path = historyPath(modelPath);
  return existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as TrainHistory) : undefined;
}
