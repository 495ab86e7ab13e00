/**
 * Per-user export of an evaluation: one row per evaluated user with the user's and target's ids, the target's
 * rank, the history length and each rank metric's per-user value, as objects or as CSV (RFC 4180 quoting), for
 * analysis outside seqrec (significance tests, slicing by attributes it does not know about).
 */
import type { EvalSet } from '../data/dataset.js';
import { invalid } from '../validate.js';
import { checkEvalSet } from './eval-set.js';
import type { Evaluation } from './evaluate.js';
import { metricPerUser, resolveMetric } from './registry.js';
import { SAMPLED_SUFFIX } from './sampled.js';

export interface PerUserRow {
  /** the user's id in the data (or the dense index when the data has no ids) */
  user: string;
  /** the held-out item's id */
  target: string;
  rank: number;
  historyLength: number;
  /** per-user value of each rank metric, keyed as in evaluation.metrics */
  [metric: string]: string | number;
}

/**
 * Rows in evalSet order. `userIds` (U) and `itemIds` (V+1) translate dense ids back to the data's own
 * (e.g. `train.userIds`, `model.itemIds`). List metrics have no per-user value and are left out.
 */
export function perUserRows(evaluation: Evaluation, evalSet: EvalSet, ids: { userIds?: readonly string[]; itemIds?: readonly string[] } = {}): PerUserRow[] {
  checkEvalSet('evalSet', evalSet);
  if (evaluation.ranks.length !== evalSet.targets.length) {
    throw invalid('evalSet', `the EvalSet the evaluation was computed on (${evaluation.ranks.length} users)`, `${evalSet.targets.length} users`);
  }
  const suffix = evaluation.protocol === 'full' ? '' : SAMPLED_SUFFIX;
  const names = Object.keys(evaluation.metrics)
    .map((key) => key.slice(0, key.length - suffix.length))
    .filter((name) => resolveMetric(name).kind === 'rank');
  const columns = names.map((name) => ({ key: `${name}${suffix}`, values: metricPerUser(name, evaluation.ranks) }));
  return Array.from(evaluation.ranks, (rank, e) => {
    const user = evalSet.users[e]!;
    const target = evalSet.targets[e]!;
    const row: PerUserRow = {
      user: ids.userIds?.[user] ?? String(user),
      target: ids.itemIds?.[target] ?? String(target),
      rank,
      historyLength: evalSet.offsets[e + 1]! - evalSet.offsets[e]!,
    };
    for (const c of columns) row[c.key] = c.values[e]!;
    return row;
  });
}

/** CSV text with a header row; fields with commas, quotes or newlines are quoted. */
export function toCsv(rows: readonly PerUserRow[]): string {
  if (rows.length === 0) return '';
  const header = Object.keys(rows[0]!);
  const field = (v: string | number) => {
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `${[header.map(field).join(','), ...rows.map((r) => header.map((h) => field(r[h]!)).join(','))].join('\n')}\n`;
}
